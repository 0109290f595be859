"""One model's facts from three places, merged field by field: the user's overrides win over what the
provider's live listing says, which wins over the bundled catalog. ``None`` from a place is "it says
nothing", so the next place's value stands; a fact none of them knows stays unknown (``None``), never
false or zero. ``ModelInfo.sources`` names where each known fact came from: a top-level field by its
name (``tier``), a capability or price bucket by a dotted path (``capabilities.tools``,
``prices.input``), and ``prices`` for the price list's date, source and long-context tiers.

The cost engine prices with :func:`model_info`, so a price override is what a call is charged at.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

import attrs

from modelplex._catalog.records import Capabilities, ModelInfo, Prices, PriceTier, Source

if TYPE_CHECKING:
    from modelplex._catalog.lookup import Catalog
    from modelplex._catalog.overrides import ModelOverride, Overrides
    from modelplex._client import AsyncClient
    from modelplex._plugins import Registry
    from modelplex._sync import Client

_SCALARS = ("name", "tier", "context_window", "max_input", "max_output", "input_modalities",
            "output_modalities", "retention")
_BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
_CAPABILITIES = tuple(a.name for a in attrs.fields(Capabilities))
_MEMO_LIMIT = 4096  # names resolved per client; they come from calls, so bounded in practice
# (the names asked for in client.learned, the listing entry used, the answer) by (provider, model)
_Kept = tuple[tuple[str, ...], "ModelInfo | None", "Resolved | None"]
_MEMO: weakref.WeakKeyDictionary[object, dict[tuple[str, str], _Kept]] = weakref.WeakKeyDictionary()


@attrs.frozen(kw_only=True)
class Resolved:
    """A model as ``modelplex models show`` explains it: the merged facts and how its name was found.

    ``how`` is ``exact``, ``alias`` (another name of the model: ``target`` is the name it stands for),
    one of the catalog's other rules (``dated snapshot``, ``tag``, ``deployment``: see
    :mod:`modelplex._catalog.lookup`; ``target`` is the entry found) or ``unknown`` (no catalog entry and
    no override: only what the provider's listing said). ``via`` is where the name was resolved
    (``catalog`` or ``override``), ``None`` for ``unknown``.
    """

    info: ModelInfo
    how: str
    via: Source | None = None
    target: str | None = None


def merge(catalog: ModelInfo | None, live: ModelInfo | None, override: ModelOverride | None, *,
          provider: str, model: str) -> ModelInfo | None:
    """``override`` over ``live`` over ``catalog``, field by field; ``None`` when none is given.

    The result is addressed ``provider/model`` with ``provider`` the configured name; its ``id`` is the
    live listing's, else ``model`` (the name asked for, which may be an alias or a dated snapshot of the
    catalog entry's). Aliases are the other names of the model in all three, the entry's id among them.
    """
    if catalog is None and live is None and override is None:
        return None
    everywhere: tuple[tuple[Any, Source], ...] = ((override, "override"), (live, "live"),
                                                  (catalog, "catalog"))
    layers = [(x, s) for x, s in everywhere if x is not None]
    sources: dict[str, Source] = {}
    values: dict[str, Any] = {}
    for name in _SCALARS:
        values[name] = _first(layers, sources, name, lambda x, n=name: getattr(x, n))
    caps = {n: _first(layers, sources, f"capabilities.{n}", lambda x, n=n: getattr(x.capabilities, n))
            for n in _CAPABILITIES}
    values["capabilities"] = Capabilities(**caps)
    values["prices"] = _prices(layers, sources)
    values["local"] = _local(override, live, catalog, sources)
    ident = live.id if live is not None else model
    aliases: list[str] = []
    for layer, source in reversed(layers):
        # A layer's own name is another name of the model when it was found by an alias of it.
        own = layer.model if source == "override" else layer.id
        for alias in (own, *layer.aliases):
            if alias != ident and alias not in aliases:
                aliases.append(alias)
                sources["aliases"] = source
    return ModelInfo(id=ident, provider=provider, aliases=tuple(aliases), sources=sources, **values)


def _first(layers: list[tuple[Any, Source]], sources: dict[str, Source], key: str, read: Any) -> Any:
    for layer, source in layers:
        value = read(layer)
        if value is not None:
            sources[key] = source
            return value
    return None


def _prices(layers: list[tuple[Any, Source]], sources: dict[str, Source]) -> Prices:
    buckets = {b: _first(layers, sources, f"prices.{b}", lambda x, b=b: getattr(x.prices, b))
               for b in _BUCKETS}
    # The price list's date, source and tiers come from the highest place that priced anything: a
    # catalog's long-context tiers belong to the catalog's base prices, not to an override's.
    owner: tuple[Any, Source] | None = None
    for layer, source in layers:
        if _priced(layer, source):
            owner = layer, source
            break
    if owner is None:
        return Prices(**buckets)
    layer, source = owner
    sources["prices"] = source
    tiers: tuple[PriceTier, ...] = layer.prices.tiers
    if source == "override":
        tiers = layer.price_tiers or ()
    return Prices(**buckets, tiers=tiers, effective=layer.prices.effective,
                  source=layer.prices.source or ("override" if source == "override" else None),
                  currency=layer.prices.currency)


def _priced(layer: Any, source: Source) -> bool:
    if source == "override":
        return bool(layer.has_prices)
    return any(getattr(layer.prices, b) is not None for b in _BUCKETS) or bool(layer.prices.tiers)


def _local(override: ModelOverride | None, live: ModelInfo | None, catalog: ModelInfo | None,
           sources: dict[str, Source]) -> bool:
    # ``ModelInfo.local`` cannot say "unknown": a listing's False is its default, not a statement, so it
    # counts only where no catalog entry speaks.
    if override is not None and override.local is not None:
        sources["local"] = "override"
        return override.local
    if live is not None and live.local:
        sources["local"] = "live"
        return True
    if catalog is not None:
        sources["local"] = "catalog"
        return catalog.local
    return False


# -- the client's view: catalog, what listings said, the config file's overrides ---------------------
def _parts(source: AsyncClient | Client | Registry) -> tuple[Registry, AsyncClient | None]:
    # Told apart by their attributes, not by importing _plugins and _sync: the call path prices with
    # model_info, and those modules import the call path back.
    registry = getattr(source, "registry", None)
    if registry is None:  # a Registry itself
        return cast("Registry", source), None
    return registry, cast("AsyncClient", getattr(source, "async_client", source))


def overrides_of(client: AsyncClient | None) -> Overrides:
    """The client's ``[models."provider/model"]`` tables (none without a client or a config file)."""
    from modelplex._catalog.overrides import NO_OVERRIDES, Overrides

    if client is None:
        return NO_OVERRIDES
    found = client.config.get("models")
    return found if isinstance(found, Overrides) else NO_OVERRIDES


def catalog_of(registry: Registry, client: AsyncClient | None) -> Catalog:
    """The catalog, read through the client's settings (configured provider names) where there is one."""
    from modelplex._catalog.lookup import catalog

    return catalog(registry, client.settings if client is not None else None)


def resolve(source: AsyncClient | Client | Registry, provider: str, model: str) -> Resolved | None:
    """What is known of ``provider/model`` and how the name was resolved: an override's alias first,
    then the catalog's own resolution (exact, alias, dated snapshot); ``None`` when nothing is known.

    Kept per client (or registry) and name: the catalog and the overrides do not change in a client's
    life, and a listing read since is seen by comparing the one entry of ``client.learned`` it used."""
    registry, client = _parts(source)
    memo = _MEMO.get(client if client is not None else registry)
    if memo is None:
        memo = _MEMO.setdefault(client if client is not None else registry, {})
    kept = memo.get((provider, model))
    if kept is not None and (client is None or _live(client, kept[0]) is kept[1]):
        return kept[2]
    asked, live, found = _resolve(registry, client, provider, model)
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[(provider, model)] = (asked, live, found)
    return found


def _live(client: AsyncClient, addresses: tuple[str, ...]) -> ModelInfo | None:
    learned = client.learned
    for address in addresses:
        found = learned.get(address)
        if found is not None:
            return found
    return None


def _resolve(registry: Registry, client: AsyncClient | None, provider: str, model: str
             ) -> tuple[tuple[str, ...], ModelInfo | None, Resolved | None]:
    overrides = overrides_of(client)
    found = overrides.find(provider, model)
    override = found[0] if found is not None else None
    how, target = "unknown", None
    via: Source | None = None
    if found is not None and found[1] == "alias":
        how, via, target = "alias", "override", override.model if override else None
        model = found[0].model
    entry = catalog_of(registry, client).resolve(provider, model)
    catalog = None
    if entry is not None:
        catalog = entry[0]
        if how == "unknown":
            how, via = entry[1], "catalog"
            target = None if how == "exact" else catalog.id
    elif found is not None and how == "unknown":
        how, via = "exact", "override"
    names = [model] if catalog is None else [model, catalog.id, *catalog.aliases]
    if override is None:
        # An override may be written under another name of the model than the one asked for.
        override = next((f[0] for n in names if (f := overrides.find(provider, n)) is not None), None)
    # A dated snapshot is a model of its own in a listing: only an alias shares the entry's facts.
    asked = tuple(f"{provider}/{n}" for n in ([model, catalog.id] if catalog is not None and how == "alias"
                                             else [model]))
    live = _live(client, asked) if client is not None else None
    info = merge(catalog, live, override, provider=provider, model=model)
    return asked, live, None if info is None else Resolved(info=info, how=how, via=via, target=target)


def model_info(source: AsyncClient | Client | Registry, provider: str, model: str) -> ModelInfo | None:
    """Everything known of ``provider/model`` (``provider`` the configured name): the catalog entry,
    completed and corrected by what the provider's listing said (if it was read) and by the config
    file's overrides; ``None`` when none of them knows the model. Pass a client for overrides and
    listings; a bare registry gives the catalog alone. No network: nothing here asks a provider."""
    found = resolve(source, provider, model)
    return None if found is None else found.info


def listed(client: AsyncClient, provider: str, models: Iterable[ModelInfo]) -> list[ModelInfo]:
    """A provider's live listing, each model merged with its catalog entry and overrides."""
    out = []
    for live in models:
        found = resolve(client, provider, live.id)
        out.append(found.info if found is not None else live)
    return out


def known(client: AsyncClient, provider: str) -> Iterator[ModelInfo]:
    """Every model of ``provider`` (configured name) that the catalog or an override knows, merged.
    What a listing said is folded in where it was read; a model only listed live is not among them."""
    overrides = overrides_of(client)
    seen: set[str] = set()
    for entry in catalog_of(client.registry, client).models(provider):
        info = model_info(client, provider, entry.id)
        if info is not None and info.id not in seen:
            seen.add(info.id)
            yield info
    for override in overrides:
        if override.provider == provider and override.model not in seen:
            info = model_info(client, provider, override.model)
            if info is not None and info.id not in seen:
                seen.add(info.id)
                yield info
