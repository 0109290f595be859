"""Cost tiers: ``chain/premium``, ``chain/standard`` and ``chain/economy`` (``tier/NAME`` in the config's
``[routing.tasks]`` and ``[agents.NAME]``), built from the catalog's tiers and prices.

Exactly, for a client:

- Providers: those installed or configured (``[providers.NAME]``) that can be called now: not disabled,
  and holding an API key unless their plugin needs none; Azure is left out (its deployments are named
  by the user). A provider without a key is left out here, unlike in ``chain/flagship``, where it stays
  and is skipped at call time: a tier is what this user can buy.
- Models: each provider's models that chat (not embedding models), from the catalog with the config's
  ``[models."provider/model"]`` overrides applied (so a ``tier`` or ``prices`` override counts).
- ``premium``: the catalog tier ``flagship``; ``standard``: the tier ``standard``. One model a provider,
  the first of its catalog's order that calls tools, else its first; providers in the order of the
  built-in chains (:data:`~modelplex._known_models.PROVIDER_ORDER`, then by name).
- ``economy``: the tier ``fast``, priced only: a model whose input or output price is unknown is never
  taken for cheap, so it is left out. One model a provider, its cheapest by input plus output price per
  million tokens (a 1:1 blend; ties: catalog order); the providers' picks then cheapest first (ties:
  provider order, then address).

The same catalog, overrides and keys give the same chain, in the same order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from modelplex._catalog.records import Tier

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo
    from modelplex._client import AsyncClient

#: Cost tier to the catalog tier it is made of.
COST_TIERS: dict[str, Tier] = {"premium": "flagship", "standard": "standard", "economy": "fast"}
TIER_PREFIX = "tier"


def callable_providers(client: AsyncClient) -> list[str]:
    """The providers a tier may use (see the module), in the built-in chains' order."""
    from modelplex._known_models import _LEFT_OUT, PROVIDER_ORDER
    from modelplex.errors import ModelplexError

    rank = {n: i for i, n in enumerate(PROVIDER_ORDER)}
    names = {*client.registry.names, *client.settings.configured_names()} - _LEFT_OUT
    out = []
    for name in sorted(names, key=lambda n: (rank.get(n, len(rank)), n)):
        try:
            settings = client.context(name).settings
            needs_key = client.registry.owner(settings.plugin).info.requires_api_key
        except ModelplexError:  # disabled, or configured for a plugin that is not installed
            continue
        if settings.api_key is not None or not needs_key:
            out.append(name)
    return out


def blended(model: ModelInfo) -> Decimal | None:
    """Input plus output price per million tokens; ``None`` when either is unknown."""
    prices = model.prices
    if prices.input is None or prices.output is None:
        return None
    return prices.input + prices.output


def tier_models(client: AsyncClient, name: str) -> tuple[str, ...]:
    """The addresses of cost tier ``name`` (``premium``, ``standard`` or ``economy``) for ``client``."""
    from modelplex._catalog.merge import known
    from modelplex._known_models import chats

    tier = COST_TIERS[name]
    picks: list[tuple[Decimal, int, str]] = []
    out: list[str] = []
    for order, provider in enumerate(callable_providers(client)):
        fits = [m for m in known(client, provider) if m.tier == tier and chats(m)]
        if name == "economy":
            priced = [(price, i, m) for i, m in enumerate(fits) if (price := blended(m)) is not None]
            if priced:
                price, _, cheapest = min(priced, key=lambda p: (p[0], p[1]))
                picks.append((price, order, cheapest.address))
            continue
        best = next((m for m in fits if m.capabilities.tools), fits[0] if fits else None)
        if best is not None:
            out.append(best.address)
    if name == "economy":
        out = [address for _, _, address in sorted(picks)]
    return tuple(out)
