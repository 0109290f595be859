"""The config file's ``[models."provider/model"]`` tables: what the user says of a model, over the catalog
and the provider's listing::

    [models."openai/gpt-4o"]
    tier = "flagship"
    context_window = 128000
    max_output = 16384
    aliases = ["gpt-4o-latest"]               # another name the provider uses for this model
    capabilities = { vision = true, reasoning = false }
    prices = { input = "2.50", output = "10", source = "our contract", effective = 2025-01-01 }

    [models."lmstudio/qwen2.5-7b-instruct"]   # a model no catalog knows
    tier = "local"
    local = true
    prices = { input = 0, output = 0 }

``aliases`` are other names of the model as its provider knows them (in replies and listings): a
lookup by one of them (pricing a reply, ``modelplex models show``) finds this table and the catalog entry.
A request is sent with the name it was given; an alias is not rewritten into the model's id.

Prices are US dollars per **million** tokens, written as strings (or whole numbers) so that they stay
exact; a price below $0.001 per million is refused as a per-token price typed by mistake. Long-context
tiers: ``prices.tiers = [{ above = 200000, input = "6", output = "22.5" }]``. Every key is checked when the
file is read; a mistake is one error naming the file, the table and the field.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from modelplex._catalog.records import TIERS, Capabilities, Prices, PriceTier, Tier
from modelplex.errors import ConfigurationError

# A price under this many dollars per million tokens is a per-token price typed by mistake (the cheapest
# remote models cost cents per million); over the ceiling, a per-thousand or per-billion mix-up.
MIN_PRICE = Decimal("0.001")
MAX_PRICE = Decimal(10_000)
_BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
_PRICE_KEYS = frozenset({*_BUCKETS, "tiers", "effective", "source"})
_INTS = ("context_window", "max_input", "max_output")
_MODALITIES = ("input_modalities", "output_modalities")
_KEYS = frozenset({"name", "tier", *_INTS, *_MODALITIES, "prices", "capabilities", "aliases", "local",
                   "retention"})
_CAPABILITIES = frozenset(a.name for a in attrs.fields(Capabilities))


@attrs.frozen(kw_only=True)
class ModelOverride:
    """One ``[models."provider/model"]`` table. ``None`` (and an empty ``aliases``) is "not said": the
    catalog's or the listing's value stands. ``prices`` holds only the buckets the table names;
    ``price_tiers`` is ``None`` unless the table gives ``prices.tiers`` (then they replace all others).
    """

    provider: str
    model: str
    name: str | None = None
    tier: Tier | None = None
    context_window: int | None = None
    max_input: int | None = None
    max_output: int | None = None
    input_modalities: tuple[str, ...] | None = None
    output_modalities: tuple[str, ...] | None = None
    prices: Prices = attrs.field(factory=Prices)
    price_tiers: tuple[PriceTier, ...] | None = None
    capabilities: Capabilities = attrs.field(factory=Capabilities)
    local: bool | None = None
    retention: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        """The table's name: ``provider/model``."""
        return f"{self.provider}/{self.model}"

    @property
    def has_prices(self) -> bool:
        """Whether the table names any price."""
        return self.price_tiers is not None or any(getattr(self.prices, b) is not None for b in _BUCKETS)


@attrs.frozen(kw_only=True)
class Overrides:
    """Every ``[models."provider/model"]`` table of one config file, by address. ``path`` is the file."""

    models: Mapping[str, ModelOverride] = attrs.field(factory=dict)
    path: str | None = None
    _aliases: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)

    @_aliases.default
    def _alias_index(self) -> dict[str, str]:
        return {f"{o.provider}/{alias}": address for address, o in self.models.items() for alias in o.aliases}

    def __iter__(self) -> Iterator[ModelOverride]:
        return iter(self.models.values())

    def __len__(self) -> int:
        return len(self.models)

    def find(self, provider: str, model: str) -> tuple[ModelOverride, str] | None:
        """The table for ``provider/model`` and how the name matched (``exact`` or ``alias``)."""
        found = self.models.get(f"{provider}/{model}")
        if found is not None:
            return found, "exact"
        target = self._aliases.get(f"{provider}/{model}")
        return (self.models[target], "alias") if target is not None else None


NO_OVERRIDES = Overrides()


def parse_overrides(section: Any, path: object = None) -> Overrides:
    """Check and convert the config file's ``models`` section; any mistake is a ConfigurationError
    naming ``path``, the table and the field."""
    where = f"config file {path}: " if path is not None else ""
    if not isinstance(section, Mapping):
        raise ConfigurationError(f"{where}'models' must be tables named [models.\"provider/model\"]")
    out: dict[str, ModelOverride] = {}
    for address, table in section.items():
        here = f'{where}[models."{address}"]'
        provider, slash, model = str(address).partition("/")
        if not slash or not provider or not model:
            hint = (f' (quote the address: [models."{address}/MODEL"])' if isinstance(table, Mapping)
                    and all(isinstance(v, Mapping) for v in table.values()) else "")
            raise ConfigurationError(f"{here}: a model table is named by its address, "
                                     f"provider/model{hint}")
        if not isinstance(table, Mapping):
            raise ConfigurationError(f"{here}: must be a table, not {_kind(table)}")
        out[address] = _override(here, provider, model, table)
    overrides = Overrides(models=out, path=None if path is None else str(path))
    _check_aliases(where, overrides)
    return overrides


def _override(here: str, provider: str, model: str, table: Mapping[str, Any]) -> ModelOverride:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigurationError(f"{here}: unknown field {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    values: dict[str, Any] = {}
    for key in _INTS:
        if key in table:
            values[key] = _count(here, key, table[key])
    for key in _MODALITIES:
        if key in table:
            values[key] = _strings(here, key, table[key])
    for key in ("name", "retention"):
        if key in table:
            values[key] = _text(here, key, table[key])
    if "tier" in table:
        if table["tier"] not in TIERS:
            raise ConfigurationError(f"{here} tier: {table['tier']!r} is not a tier "
                                     f"(one of {', '.join(TIERS)})")
        values["tier"] = table["tier"]
    if "local" in table:
        values["local"] = _flag(here, "local", table["local"])
    if "aliases" in table:
        values["aliases"] = _strings(here, "aliases", table["aliases"])
    if "capabilities" in table:
        values["capabilities"] = _capabilities(here, table["capabilities"])
    if "prices" in table:
        values["prices"], values["price_tiers"] = _prices(here, table["prices"])
    window, output = values.get("context_window"), values.get("max_output")
    if window is not None and output is not None and output > window:
        raise ConfigurationError(f"{here} max_output: {output} is more than context_window {window}")
    return ModelOverride(provider=provider, model=model, **values)


def _capabilities(here: str, table: Any) -> Capabilities:
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"{here} capabilities: must be a table of true/false, not {_kind(table)}")
    unknown = sorted(set(table) - _CAPABILITIES)
    if unknown:
        raise ConfigurationError(f"{here} capabilities.{unknown[0]}: not a capability "
                                 f"(known: {', '.join(sorted(_CAPABILITIES))})")
    return Capabilities(**{k: _flag(here, f"capabilities.{k}", v) for k, v in table.items()})


def _prices(here: str, table: Any) -> tuple[Prices, tuple[PriceTier, ...] | None]:
    if not isinstance(table, Mapping):
        raise ConfigurationError(f"{here} prices: must be a table of prices per million tokens, "
                                 f"not {_kind(table)}")
    unknown = sorted(set(table) - _PRICE_KEYS)
    if unknown:
        raise ConfigurationError(f"{here} prices.{unknown[0]}: unknown field "
                                 f"(known: {', '.join(sorted(_PRICE_KEYS))})")
    buckets: dict[str, Any] = {b: _price(here, f"prices.{b}", table[b]) for b in _BUCKETS if b in table}
    effective = table.get("effective")
    if effective is not None:
        effective = _date(here, effective)
    source = _text(here, "prices.source", table["source"]) if "source" in table else None
    tiers = None
    if "tiers" in table:
        tiers = _tiers(here, table["tiers"])
    return Prices(**buckets, effective=effective, source=source), tiers


def _tiers(here: str, items: Any) -> tuple[PriceTier, ...]:
    if not isinstance(items, list):
        raise ConfigurationError(f"{here} prices.tiers: must be a list of tables "
                                 "[{ above = TOKENS, input = ..., output = ... }]")
    out = []
    for i, item in enumerate(items):
        field = f"prices.tiers[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigurationError(f"{here} {field}: must be a table, not {_kind(item)}")
        unknown = sorted(set(item) - {"above", *_BUCKETS})
        if unknown:
            raise ConfigurationError(f"{here} {field}.{unknown[0]}: unknown field")
        if "above" not in item:
            raise ConfigurationError(f"{here} {field}.above: missing (the input tokens past which "
                                     "these prices apply)")
        out.append(PriceTier(above=_count(here, f"{field}.above", item["above"]),
                             **{b: _price(here, f"{field}.{b}", item[b]) for b in _BUCKETS if b in item}))
    if [t.above for t in out] != sorted({t.above for t in out}):
        raise ConfigurationError(f"{here} prices.tiers: thresholds must rise, each once")
    return tuple(out)


def _price(here: str, field: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigurationError(f"{here} {field}: a price is a number of dollars per million tokens "
                                 f'written as a string ("2.50"), not {_kind(value)}')
    try:
        # A float's repr is the shortest text that reads back as it: what the user typed, not 2.49999...
        price = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ConfigurationError(f"{here} {field}: {value!r} is not a number") from None
    if not price.is_finite() or price < 0:
        raise ConfigurationError(f"{here} {field}: {value!r} is not a price (a number, 0 or more)")
    if 0 < price < MIN_PRICE:
        raise ConfigurationError(f"{here} {field}: {value} dollars per million tokens looks like a price "
                                 f"per token; prices are per million tokens (write {price * 1_000_000:f} "
                                 "if that is what you meant)")
    if price > MAX_PRICE:
        raise ConfigurationError(f"{here} {field}: {value} dollars per million tokens is implausibly high; "
                                 "prices are per million tokens")
    return price


def _count(here: str, field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{here} {field}: must be a positive whole number of tokens, got {value!r}")
    return value


def _flag(here: str, field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{here} {field}: must be true or false, got {value!r}")
    return value


def _text(here: str, field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{here} {field}: must be a non-empty string, got {_kind(value)}")
    return value


def _strings(here: str, field: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError(f"{here} {field}: must be a list of strings")
    return tuple(value)


def _date(here: str, value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigurationError(f"{here} prices.effective: must be a date (2025-01-31), got {value!r}")


def _check_aliases(where: str, overrides: Overrides) -> None:
    seen: dict[str, str] = {}
    for address, o in overrides.models.items():
        for alias in o.aliases:
            key = f"{o.provider}/{alias}"
            if key in overrides.models and key != address:
                raise ConfigurationError(f'{where}[models."{address}"] aliases: {alias!r} is the name of '
                                         f'another table, [models."{key}"]')
            if seen.setdefault(key, address) != address:
                raise ConfigurationError(f'{where}[models."{address}"] aliases: {alias!r} also names '
                                         f'[models."{seen[key]}"]')


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
