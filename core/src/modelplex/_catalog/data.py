"""A plugin's catalog file: reading it, checking each entry, and the plausibility check CI runs.

The file is JSON, one per plugin, named by :attr:`ProviderInfo.catalog <modelplex.ProviderInfo.catalog>`
(``"modelplex_acme:models.json"``)::

    {"format": 1, "units": "USD per million tokens",
     "source": "<where the prices were read>", "retention": "<the provider's data-retention note>",
     "local": false,
     "models": {
      "acme-large-2025-06-01": {"name": "Acme Large", "tier": "flagship", "context_window": 200000,
        "max_input": null, "max_output": 32000, "input": ["text", "image"], "output": ["text"],
        "capabilities": {"chat": true, "streaming": true, "tools": true, "vision": true},
        "prices": {"input": "3", "cache_read": "0.3", "output": "15",
                   "tiers": [{"above": 200000, "input": "6", "output": "22.5"}],
                   "effective": "2025-06-01"},
        "aliases": ["acme-large"]}}}

Prices are strings (read as ``Decimal``), in the unit the header's ``units`` states, which must be
exactly :data:`UNITS`: a file priced per token, or per thousand, is refused whole rather than read a
thousand or a million times off. ``source``, ``retention`` and ``local`` at the top are every entry's
defaults; an entry's own win. A key left out is unknown, never zero or false. Models are listed
newest and best first: the built-in chains take the first of a tier that chats.

A file is a third party's as often as ours: an entry that does not parse is skipped with a
:class:`CatalogDataWarning` naming the plugin, the file, the model and the field, and the rest of the
file is kept; a file that cannot be read at all is skipped the same way, and the other plugins' kept.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from modelplex._catalog.records import TIERS, Capabilities, ModelInfo, Prices, PriceTier

FORMAT = 1
UNITS = "USD per million tokens"
PRICE_BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
MODALITIES = frozenset(("text", "image", "audio", "video", "pdf", "embedding"))
_CAPABILITIES = frozenset(f.name for f in attrs.fields(Capabilities))
_ENTRY_KEYS = frozenset(("name", "tier", "context_window", "max_input", "max_output", "input", "output",
                         "capabilities", "prices", "local", "retention", "aliases", "note"))
_HEADER_KEYS = frozenset(("format", "units", "source", "retention", "local", "models", "generated",
                          "note"))
# Plausible prices per million tokens for a remote model: below a thousandth of a dollar is a price
# typed per token (or per thousand), above a thousand dollars one typed per billion.
PLAUSIBLE = (Decimal("0.001"), Decimal(1000))


@attrs.frozen(kw_only=True)
class CatalogProblem:
    """One thing wrong in a plugin's catalog file: which plugin, file, model (``None``: the whole
    file) and field (``None``: the whole entry), and what."""

    plugin: str
    file: str
    model: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"plugin {self.plugin!r}, {self.file}"
        if self.model is not None:
            where += f", model {self.model!r}"
        if self.field is not None:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


class CatalogDataWarning(UserWarning):
    """An entry (or a whole file) of a plugin's catalog that was skipped; ``problem`` says where."""

    def __init__(self, problem: CatalogProblem) -> None:
        self.problem = problem
        super().__init__(f"catalog entry skipped: {problem}")


class _Bad(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


@attrs.frozen(kw_only=True)
class CatalogFile:
    """What one plugin's file gave: its entries (addressed by the plugin's name) and its problems."""

    plugin: str
    file: str
    models: tuple[ModelInfo, ...] = ()
    problems: tuple[CatalogProblem, ...] = ()


def read_resource(spec: str) -> bytes:
    """The bytes of package resource ``"package:file"`` (``"modelplex_openai:models.json"``)."""
    package, sep, name = spec.partition(":")
    if not sep or not package or not name:
        raise ValueError(f"a catalog is named 'package:file', not {spec!r}")
    import importlib
    import os.path

    module = importlib.import_module(package)
    where = getattr(module, "__file__", None)
    if where is not None:  # a package on disk: read it directly (importlib.resources costs ~5 ms)
        path = os.path.join(os.path.dirname(where), name)
        if os.path.isfile(path):
            with open(path, "rb") as file:
                return file.read()
    from importlib import resources  # a zipped or namespace package

    return resources.files(package).joinpath(name).read_bytes()


def load_resource(plugin: str, spec: str) -> CatalogFile:
    """Read and parse plugin ``plugin``'s catalog ``spec``; a file that cannot be read is one problem."""
    try:
        raw = read_resource(spec)
    except (OSError, ValueError, ImportError) as exc:  # a missing package or file, or a bad name
        return CatalogFile(plugin=plugin, file=spec, problems=(
            CatalogProblem(plugin=plugin, file=spec, model=None, field=None,
                           message=f"cannot be read: {type(exc).__name__}: {exc}"),))
    return parse(raw, plugin=plugin, file=spec)


def parse(raw: bytes | str, *, plugin: str, file: str) -> CatalogFile:
    """Parse a catalog file's text into :class:`ModelInfo` entries (``provider`` is ``plugin``).

    Never raises for bad data: what does not parse is returned among ``problems`` and left out.
    """
    def whole(message: str) -> CatalogFile:
        return CatalogFile(plugin=plugin, file=file, problems=(
            CatalogProblem(plugin=plugin, file=file, model=None, field=None, message=message),))

    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return whole(f"not JSON: {exc}")
    if not isinstance(data, dict):
        return whole("the top level must be an object")
    if data.get("format") != FORMAT:
        return whole(f"'format' must be {FORMAT}, got {data.get('format')!r}")
    if data.get("units") != UNITS:
        return whole(f"'units' must be {UNITS!r} (prices are read in that unit), got {data.get('units')!r}")
    unknown = sorted(set(data) - _HEADER_KEYS)
    if unknown:
        return whole(f"unknown top-level keys {unknown}")
    models = data.get("models")
    if not isinstance(models, dict):
        return whole("'models' must be an object of model id -> entry")
    defaults = {key: data.get(key) for key in ("source", "retention", "local")}
    out: list[ModelInfo] = []
    problems: list[CatalogProblem] = []
    names: dict[str, str] = {}  # every id and alias -> the entry that holds it
    for model_id, entry in models.items():
        try:
            info = _entry(plugin, model_id, entry, defaults)
            for name in (info.id, *info.aliases):
                holder = names.get(name)
                if holder is not None:
                    raise _Bad("aliases", f"{name!r} already names model {holder!r}")
        except _Bad as bad:
            problems.append(CatalogProblem(plugin=plugin, file=file, model=model_id, field=bad.field,
                                           message=bad.message))
            continue
        for name in (info.id, *info.aliases):
            names[name] = model_id
        out.append(info)
    return CatalogFile(plugin=plugin, file=file, models=tuple(out), problems=tuple(problems))


def _entry(plugin: str, model_id: str, entry: Any, defaults: Mapping[str, Any]) -> ModelInfo:
    if not model_id or model_id != model_id.strip():
        raise _Bad(None, "a model id must be a non-empty string without surrounding spaces")
    if not isinstance(entry, dict):
        raise _Bad(None, "an entry must be an object")
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise _Bad(unknown[0], f"unknown key (expected some of {sorted(_ENTRY_KEYS)})")
    tier = entry.get("tier")
    if tier is not None and tier not in TIERS:
        raise _Bad("tier", f"{tier!r} is not one of {list(TIERS)}")
    local = entry.get("local", defaults.get("local"))
    if local is not None and not isinstance(local, bool):
        raise _Bad("local", f"must be true or false, got {local!r}")
    info = ModelInfo(
        id=model_id, provider=plugin, name=_text(entry, "name"), tier=tier,
        context_window=_count(entry, "context_window"), max_input=_count(entry, "max_input"),
        max_output=_count(entry, "max_output"),
        input_modalities=_modalities(entry, "input"), output_modalities=_modalities(entry, "output"),
        prices=_prices(entry.get("prices"), defaults.get("source")),
        capabilities=_capabilities(entry.get("capabilities")), local=bool(local),
        retention=_text(entry, "retention") or _default_text(defaults, "retention"),
        aliases=_names(entry.get("aliases")))
    # Only what the file says is the catalog's: an unknown field has no source to show.
    said = [f.name for f in attrs.fields(ModelInfo)
            if f.name not in ("id", "provider", "sources") and getattr(info, f.name) not in (None, (), False)]
    if entry.get("prices") is None:
        said.remove("prices")
    if entry.get("capabilities") is None:
        said.remove("capabilities")
    return attrs.evolve(info, sources=dict.fromkeys(said, "catalog"))


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise _Bad(key, f"must be a non-empty string, got {value!r}")
    return value


def _default_text(defaults: Mapping[str, Any], key: str) -> str | None:
    value = defaults.get(key)
    return value if isinstance(value, str) and value else None


def _count(entry: Mapping[str, Any], key: str) -> int | None:
    value = entry.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise _Bad(key, f"must be a positive whole number of tokens, got {value!r}")
    return value


def _modalities(entry: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v in MODALITIES for v in value):
        raise _Bad(key, f"must be a list of {sorted(MODALITIES)}, got {value!r}")
    return tuple(value)


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v and v == v.strip() for v in value):
        raise _Bad("aliases", f"must be a list of model names, got {value!r}")
    return tuple(value)


def _capabilities(value: Any) -> Capabilities:
    if value is None:
        return Capabilities()
    if not isinstance(value, dict):
        raise _Bad("capabilities", "must be an object of capability -> true/false")
    for key, flag in value.items():
        if key not in _CAPABILITIES:
            raise _Bad(f"capabilities.{key}", f"unknown capability (expected one of {sorted(_CAPABILITIES)})")
        if flag is not None and not isinstance(flag, bool):
            raise _Bad(f"capabilities.{key}", f"must be true, false or null, got {flag!r}")
    return Capabilities(**value)


def _price(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, str):
        # A JSON number would pass through float and carry its binary error into every sum.
        raise _Bad(field, f"a price must be a string such as \"2.50\", got {value!r}")
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise _Bad(field, f"not a number: {value!r}") from None
    if not price.is_finite() or price < 0:
        raise _Bad(field, f"must be a finite price of at least 0, got {value!r}")
    return price


def _prices(value: Any, default_source: Any) -> Prices:
    if value is None:
        return Prices()
    if not isinstance(value, dict):
        raise _Bad("prices", "must be an object")
    unknown = sorted(set(value) - {*PRICE_BUCKETS, "tiers", "effective", "source"})
    if unknown:
        raise _Bad(f"prices.{unknown[0]}", f"unknown key (expected some of {list(PRICE_BUCKETS)}, "
                                           "tiers, effective, source)")
    buckets = {name: _price(value.get(name), f"prices.{name}") for name in PRICE_BUCKETS}
    effective = value.get("effective")
    if effective is not None:
        try:
            effective = datetime.date.fromisoformat(effective)
        except (TypeError, ValueError):
            raise _Bad("prices.effective", f"must be a date YYYY-MM-DD, got {effective!r}") from None
    source = value.get("source", default_source)
    if source is not None and (not isinstance(source, str) or not source):
        raise _Bad("prices.source", f"must be a non-empty string, got {source!r}")
    tiers = value.get("tiers", [])
    if not isinstance(tiers, list):
        raise _Bad("prices.tiers", "must be a list of {above, <bucket>: price}")
    return Prices(input=buckets["input"], cache_read=buckets["cache_read"],
                  cache_write=buckets["cache_write"], cache_write_1h=buckets["cache_write_1h"],
                  output=buckets["output"], reasoning=buckets["reasoning"],
                  tiers=[_tier(t, i) for i, t in enumerate(tiers)], effective=effective, source=source)


def _tier(value: Any, index: int) -> PriceTier:
    where = f"prices.tiers[{index}]"
    if not isinstance(value, dict):
        raise _Bad(where, "must be an object")
    unknown = sorted(set(value) - {*PRICE_BUCKETS, "above"})
    if unknown:
        raise _Bad(f"{where}.{unknown[0]}", "unknown key")
    above = value.get("above")
    if isinstance(above, bool) or not isinstance(above, int) or above <= 0:
        raise _Bad(f"{where}.above", f"must be a positive whole number of input tokens, got {above!r}")
    price = {name: _price(value.get(name), f"{where}.{name}") for name in PRICE_BUCKETS}
    return PriceTier(above=above, input=price["input"], cache_read=price["cache_read"],
                     cache_write=price["cache_write"], cache_write_1h=price["cache_write_1h"],
                     output=price["output"], reasoning=price["reasoning"])


def check(models: Iterable[ModelInfo]) -> list[str]:
    """What is implausible in catalog entries, one line each naming the model and field; empty when
    all is well. CI runs it over every installed plugin's file (``tests/test_catalog_data.py``).

    Checks: an entry with any price has a source and an effective date; a remote model is priced
    for input and output (input alone for an embedding model), each within :data:`PLAUSIBLE` per
    million tokens (a price typed per token is a million times too small); no other bucket above
    its top; cache reads no dearer than input; a local model's prices zero; long-context tiers
    ascending and below the context window; ``max_output`` and ``max_input`` within the window;
    every id and alias naming one model of a provider.
    """
    out: list[str] = []
    names: dict[tuple[str, str], str] = {}
    for info in models:
        where = f"{info.address}"
        out.extend(f"{where}: {line}" for line in _check_one(info))
        for name in (info.id, *info.aliases):
            holder = names.setdefault((info.provider, name), info.id)
            if holder != info.id:
                out.append(f"{where}: aliases: {name!r} also names {info.provider}/{holder}")
    return out


def _check_one(info: ModelInfo) -> list[str]:
    out: list[str] = []
    prices, window = info.prices, info.context_window
    if window is not None:
        if info.max_output is not None and info.max_output > window:
            out.append(f"max_output {info.max_output} exceeds the context window {window}")
        if info.max_input is not None and info.max_input > window:
            out.append(f"max_input {info.max_input} exceeds the context window {window}")
    priced = [name for name in PRICE_BUCKETS if getattr(prices, name) is not None] or prices.tiers
    if not priced:
        return out
    if prices.source is None:
        out.append("prices: no source")
    if prices.effective is None:
        out.append("prices: no effective date")
    # An embedding model is billed for its input alone: it gives back vectors, not tokens.
    buckets = ("input",) if info.output_modalities == ("embedding",) else ("input", "output")
    out.extend(_check_prices(prices, info.local, "prices", buckets))
    last = 0
    for i, tier in enumerate(prices.tiers):
        if tier.above <= last:
            out.append(f"prices.tiers[{i}].above {tier.above}: thresholds must ascend")
        last = tier.above
        if window is not None and tier.above >= window:
            out.append(f"prices.tiers[{i}].above {tier.above} is at or above the context window {window}: "
                       "no request can reach it")
        out.extend(_check_prices(attrs.evolve(prices, **{n: getattr(tier, n) for n in PRICE_BUCKETS
                                                          if getattr(tier, n) is not None}),
                                 info.local, f"prices.tiers[{i}]", buckets))
    return out


def _check_prices(prices: Prices, local: bool, where: str, required: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    low, high = PLAUSIBLE
    if local:
        out.extend(f"{where}.{name}: a local model's price must be 0, got {getattr(prices, name)}"
                   for name in PRICE_BUCKETS if getattr(prices, name) not in (None, 0))
        return out
    for name in required:
        value = getattr(prices, name)
        if value is None:
            out.append(f"{where}.{name}: not priced (a remote model is priced for {' and '.join(required)})")
        elif not low <= value <= high:
            out.append(f"{where}.{name}: {value} USD per million tokens is implausible (expected "
                       f"{low}..{high}; a price per token or per thousand tokens?)")
    for name in ("cache_read", "cache_write", "cache_write_1h", "reasoning"):
        value = getattr(prices, name)
        if value is not None and value > high:
            out.append(f"{where}.{name}: {value} USD per million tokens is implausible (above {high})")
    if prices.cache_read is not None and prices.input is not None and prices.cache_read > prices.input:
        out.append(f"{where}.cache_read: {prices.cache_read} is dearer than input {prices.input}")
    if prices.output is not None and prices.output < 0:  # parse refuses it; a hand-built entry may not
        out.append(f"{where}.output: negative")
    return out

