"""The built-in chains: ``chain/flagship`` and ``chain/fast`` from the catalog's tiers, ``chain/local``
from what the servers on this machine list.

``flagship`` and ``fast`` hold one model per installed provider: the first entry of that provider's
catalog (in its file's order, with the config's ``[models."provider/model"]`` overrides applied, so a
``tier`` override moves a model in or out) of the chain's tier that chats, preferring one known to call
tools; providers in :data:`PROVIDER_ORDER`, then any other installed provider by name. A provider not
configured (no key) stays in the chain and is skipped at call time, with that reason in the trace.
Azure is left out: its deployments are named by the user, so a catalog id is not a name it answers to.
``local`` is found at call time instead: the chat models listed by the providers that run on this
machine (an embedding model never, by what the listing or the catalog says of it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex._catalog.records import Tier

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo
    from modelplex._client import AsyncClient

BUILTIN_CHAINS: dict[str, Tier] = {"flagship": "flagship", "fast": "fast",
                                   # the cost tiers, built by modelplex._agents.tiers
                                   "premium": "flagship", "standard": "standard", "economy": "fast"}
LOCAL_CHAIN = "local"
# The order a built-in chain tries providers in: the most used first, a router of others last.
PROVIDER_ORDER = ("openai", "anthropic", "gemini", "deepseek", "mistral", "xai", "groq", "together",
                  "openrouter")
_LEFT_OUT = frozenset({"azure"})


def chats(model: ModelInfo) -> bool:
    """Whether ``model`` may be offered for chat: not known not to, and not an embedding model."""
    caps = model.capabilities
    return caps.chat is not False and not (caps.embeddings and not caps.chat)


def builtin_models(client: AsyncClient, name: str) -> tuple[str, ...]:
    """The addresses of built-in chain ``name`` (``flagship`` or ``fast``) for ``client``'s plugins."""
    from modelplex._catalog.merge import known

    if name in ("premium", "standard", "economy"):
        from modelplex._agents.tiers import tier_models

        return tier_models(client, name)
    tier = BUILTIN_CHAINS[name]
    installed = [n for n in client.registry.names if n not in _LEFT_OUT]
    rank = {n: i for i, n in enumerate(PROVIDER_ORDER)}
    out = []
    for provider in sorted(installed, key=lambda n: (rank.get(n, len(rank)), n)):
        fits = [m for m in known(client, provider) if m.tier == tier and chats(m)]
        best = next((m for m in fits if m.capabilities.tools), fits[0] if fits else None)
        if best is not None:
            out.append(best.address)
    return tuple(out)
