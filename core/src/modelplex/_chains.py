"""Fallback chains: ordered models, each with its own option overrides, addressed as ``chain/NAME``.

::

    [chains.mychain]
    models = ["openai/gpt-4o-mini", {model = "anthropic/claude-haiku-4-5", temperature = 0.2}]
    retries = 1            # optional: this chain's own RoutingPolicy.retries

or in code, ``AsyncClient(chains={"mychain": ["openai/gpt-4o-mini", {"model": ..., "temperature": 0.2}]})``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from modelplex._json import JSON
from modelplex._options import ChatOptions, ResponseFormat
from modelplex._tools import ToolChoice
from modelplex._tuples import as_tuple
from modelplex.errors import ConfigurationError

CHAIN_PROVIDER = "chain"
_OPTION_NAMES = frozenset(a.name for a in ChatOptions.__attrs_attrs__)


def _check_model(_: object, __: attrs.Attribute[str], value: str) -> None:
    provider, sep, model = value.partition("/")
    if not sep or not provider or not model:
        raise ValueError(f"chain entry {value!r}: a model is addressed as 'provider/model'")
    if provider == CHAIN_PROVIDER:
        raise ValueError(f"chain entry {value!r}: a chain cannot contain a chain")


def _check_options(_: object, __: attrs.Attribute[Mapping[str, JSON]], value: Mapping[str, JSON]) -> None:
    unknown = sorted(set(value) - _OPTION_NAMES)
    if unknown:
        raise ValueError(f"unknown chat option(s) {', '.join(unknown)}; provider-specific settings go "
                         "in extra = {...}")


@attrs.frozen(kw_only=True)
class ChainEntry:
    """One model of a chain (``provider/model``) and the chat options it overrides (``temperature``,
    ``max_tokens``, ``extra``, ... as JSON values); they win over the options of the call."""

    model: str = attrs.field(validator=_check_model)
    options: Mapping[str, JSON] = attrs.field(factory=dict, validator=_check_options)

    def apply(self, options: ChatOptions) -> ChatOptions:
        """``options`` with this entry's overrides."""
        if not self.options:
            return options
        from modelplex._validate import build_options

        values: dict[str, Any] = dict(self.options)
        if isinstance(values.get("response_format"), Mapping):
            values["response_format"] = ResponseFormat(**values["response_format"])
        if isinstance(values.get("tool_choice"), Mapping):
            values["tool_choice"] = ToolChoice(**values["tool_choice"])
        return build_options(options, values)


def _entries(value: Sequence[ChainEntry]) -> tuple[ChainEntry, ...]:
    return as_tuple(value)


@attrs.frozen(kw_only=True)
class Chain:
    """A named, ordered list of models tried in turn; ``retries`` overrides the policy's for this chain."""

    name: str
    entries: tuple[ChainEntry, ...] = attrs.field(converter=_entries)
    retries: int | None = None

    @classmethod
    def of(cls, name: str, models: Sequence[str | Mapping[str, Any] | ChainEntry], *,
           retries: int | None = None) -> Chain:
        """A chain from addresses, ``{"model": ..., <option>: ...}`` tables or entries."""
        return cls(name=name, entries=tuple(entry(m) for m in models), retries=retries)

    @property
    def address(self) -> str:
        return f"{CHAIN_PROVIDER}/{self.name}"


def entry(value: str | Mapping[str, Any] | ChainEntry) -> ChainEntry:
    if isinstance(value, ChainEntry):
        return value
    if isinstance(value, str):
        return ChainEntry(model=value)
    if isinstance(value, Mapping):
        options = {k: v for k, v in value.items() if k != "model"}
        if not isinstance(value.get("model"), str):
            raise ValueError("a chain entry table needs model = \"provider/model\"")
        return ChainEntry(model=value["model"], options=options)
    raise ValueError(f"a chain entry is a 'provider/model' string or a table, got {type(value).__name__}")


def parse_chain(name: str, value: Any) -> Chain:
    """A chain from configuration (``[chains.NAME]``, or the ``chains=`` argument), or a clear error."""
    if isinstance(value, Chain):
        return value if value.name == name else attrs.evolve(value, name=name)
    try:
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - {"models", "retries"})
            if unknown:
                raise ValueError(f"unknown key(s) {', '.join(unknown)} (expected models, retries)")
            models, retries = value.get("models"), value.get("retries")
        else:
            models, retries = value, None
        if isinstance(models, str | bytes) or not isinstance(models, Sequence) or not models:
            raise ValueError("models must be a non-empty list of 'provider/model' strings or tables")
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)
                                    or retries < 0):
            raise ValueError(f"retries must be a whole number >= 0, got {retries!r}")
        return Chain.of(name, models, retries=retries)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"chain {name!r}: {exc}") from None
