"""What the Models tab shows: the catalog merged with what providers' live listings said (the serving
client keeps every listing it read) and the config file's overrides, grouped by provider, each model with
whether its provider can be called now; filtered as ``modelplex models`` filters (its own matcher)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import modelplex

CAPABILITIES = ("chat", "streaming", "tools", "parallel_tool_calls", "vision", "json_schema", "reasoning",
                "embeddings")
TIERS = ("flagship", "standard", "fast", "local")
BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")


@attrs.frozen(kw_only=True, slots=True)
class Filters:
    """The catalog's filters, as the form sends them; unknown never passes one (as in the CLI)."""

    search: str | None = None
    capabilities: tuple[str, ...] = ()
    tier: str | None = None
    min_context: int | None = None
    max_price: Decimal | None = None
    local: bool = False
    provider: str | None = None

    @classmethod
    def of(cls, query: Mapping[str, str], capabilities: Sequence[str]) -> Filters:
        """From a query string (a bad number is no filter, not an error: the form is typed live)."""
        def number(text: str | None) -> int | None:
            return int(text) if text and text.strip().isdigit() else None

        try:
            price = Decimal(query["max_price"]) if query.get("max_price", "").strip() else None
        except InvalidOperation:
            price = None
        if price is not None and (not price.is_finite() or price < 0):
            price = None
        return cls(search=query.get("search", "").strip() or None,
                   capabilities=tuple(c for c in capabilities if c in CAPABILITIES),
                   tier=query.get("tier") if query.get("tier") in TIERS else None,
                   min_context=number(query.get("min_context")), max_price=price,
                   local=query.get("local") in ("on", "true", "1"),
                   provider=query.get("provider", "").strip() or None)

    def matches(self, model: modelplex.ModelInfo) -> bool:
        """Whether ``model`` passes every filter."""
        from modelplex._cli.models import _matches

        return _matches(model, capabilities=self.capabilities, tier=self.tier, max_price=self.max_price,
                        min_context=self.min_context, local=self.local, search=self.search)


@attrs.frozen(kw_only=True, slots=True)
class ModelRow:
    """One model: the merged facts, whether a live listing named it, and why its provider cannot be
    called now (``None``: it can)."""

    info: modelplex.ModelInfo
    listed: bool
    problem: str | None

    @property
    def disabled(self) -> bool:
        """Whether calls to it cannot be made now (its provider is not configured)."""
        return self.problem is not None

    def source(self, field: str) -> str | None:
        """Where ``field`` (``tier``, ``prices.input``...) came from: catalog, live or override."""
        return self.info.sources.get(field)


@attrs.frozen(kw_only=True, slots=True)
class ProviderGroup:
    """A provider's models, and why it cannot be called (``None``: it can)."""

    name: str
    problem: str | None
    rows: tuple[ModelRow, ...]


def problem(client: modelplex.AsyncClient, name: str) -> str | None:
    """Why provider ``name`` cannot be called now."""
    from modelplex import ModelplexError

    try:
        ctx = client.context(name)
        record = client.registry.owner(ctx.settings.plugin)
    except ModelplexError as exc:
        return str(exc)
    if record.info.requires_api_key and not ctx.settings.api_key:
        return "no API key"
    return None


def names(client: modelplex.AsyncClient) -> list[str]:
    """The providers a model may be addressed by: the installed plugins, and configured second names."""
    registry, settings = client.registry, client.settings
    out = list(registry.names)
    for alias in sorted(settings.configured_names() - set(out)):
        if settings.plugin_for(alias) in registry.records:
            out.append(alias)
    return sorted(out)


def groups(serving: modelplex.AsyncClient, configured: modelplex.AsyncClient,
           filters: Filters) -> list[ProviderGroup]:
    """Every provider's models that pass ``filters``: the facts from ``serving`` (the catalog, its
    overrides and every listing it read), who can be called from ``configured`` (the config as saved)."""
    from modelplex._catalog.merge import known

    out = []
    for name in names(serving):
        if filters.provider is not None and name != filters.provider:
            continue
        why = problem(configured, name)
        listed = {m.id for a, m in serving.learned.items() if a.startswith(f"{name}/")}
        rows: list[ModelRow] = []
        shown: set[str] = set()
        for info in known(serving, name):
            shown.update((info.id, *info.aliases))
            rows.append(ModelRow(info=info, listed=bool(listed & {info.id, *info.aliases}), problem=why))
        for address, info in sorted(serving.learned.items()):  # known only from a live listing
            if address.startswith(f"{name}/") and info.id not in shown:
                rows.append(ModelRow(info=info, listed=True, problem=why))
        kept = tuple(r for r in rows if filters.matches(r.info))
        if kept:
            out.append(ProviderGroup(name=name, problem=why, rows=kept))
    return out
