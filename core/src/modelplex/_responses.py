"""What comes back: usage in disjoint buckets, finish reasons, warnings and the response."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import attrs

from modelplex._catalog.cost import MONEY, Cost
from modelplex._citations import Citation
from modelplex._json import JSON
from modelplex._messages import Message, Part, ReasoningPart, TextPart, ToolCallPart
from modelplex._trace import RoutingTrace
from modelplex._tuples import as_tuple


class FinishReason(enum.StrEnum):
    STOP = "stop"
    LENGTH = "length"
    TOOL_CALLS = "tool_calls"
    CONTENT_FILTER = "content_filter"
    ERROR = "error"
    OTHER = "other"


def _cost(value: Decimal | int | str | None) -> Decimal | None:
    # Money is Decimal; a float would carry its binary error into every sum of a usage log.
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"Usage.reported_cost must be a Decimal or None, not {type(value).__name__}")
    return Decimal(value)


def _sum_cost(a: Usage, b: Usage) -> Decimal | None:
    # Tokens without a reported cost make the sum's cost unknown, not smaller; an empty Usage() adds
    # nothing, so it stays the identity of ``+``.
    if a.reported_cost is None and b.reported_cost is None:
        return None
    if a.reported_cost is None:
        return b.reported_cost if a.total == 0 else None
    if b.reported_cost is None:
        return a.reported_cost if b.total == 0 else None
    return MONEY.add(a.reported_cost, b.reported_cost)  # not the caller's decimal context


@attrs.frozen(kw_only=True)
class Usage:
    """Token counts in disjoint buckets; every total is derived, never stored beside them.

    ``input`` is input that was neither read from nor written to a cache. Cache writes are kept by
    lifetime because they are priced apart: ``cache_write`` is the default (Anthropic's 5-minute)
    lifetime, ``cache_write_1h`` the one-hour one. ``output`` excludes ``reasoning``. ``estimated`` is
    true when the provider gave no counts and Modelplex estimated them. ``reported_cost`` is what the
    provider said it charged (OpenRouter's ``usage.cost``), in its currency's units, kept beside
    whatever Modelplex computes; ``None`` when it said nothing (never 0 for unknown).
    """

    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0
    output: int = 0
    reasoning: int = 0
    estimated: bool = False
    reported_cost: Decimal | None = attrs.field(default=None, converter=_cost)

    @property
    def total_cache_write(self) -> int:
        """Cache writes of every lifetime."""
        return self.cache_write + self.cache_write_1h

    @property
    def total_input(self) -> int:
        """Every input token: uncached, read from cache and written to it."""
        return self.input + self.cache_read + self.total_cache_write

    @property
    def total_output(self) -> int:
        """Every output token, reasoning included."""
        return self.output + self.reasoning

    @property
    def total(self) -> int:
        """Every token billed."""
        return self.total_input + self.total_output

    def __add__(self, other: Usage) -> Usage:
        return Usage(input=self.input + other.input, cache_read=self.cache_read + other.cache_read,
                     cache_write=self.cache_write + other.cache_write,
                     cache_write_1h=self.cache_write_1h + other.cache_write_1h,
                     output=self.output + other.output, reasoning=self.reasoning + other.reasoning,
                     estimated=self.estimated or other.estimated, reported_cost=_sum_cost(self, other))


@attrs.frozen(kw_only=True)
class ProviderWarning:
    """Something the provider could not do as asked, said instead of silently dropped.

    ``code`` is a short stable slug (``unsupported-setting``, ``dropped-schema-keyword``, ...), ``field``
    the option or path concerned.
    """

    code: str
    message: str
    field: str | None = None


def _first_text(parts: tuple[Part, ...], kind: type[Any]) -> str:
    return "".join(p.text for p in parts if isinstance(p, kind))


@attrs.frozen(kw_only=True)
class ChatResponse:
    provider: str
    model: str
    parts: tuple[Part, ...] = attrs.field(default=(), converter=as_tuple)
    finish_reason: FinishReason = FinishReason.STOP
    raw_finish_reason: str | None = None
    usage: Usage = attrs.field(factory=Usage)
    warnings: tuple[ProviderWarning, ...] = attrs.field(default=(), converter=as_tuple)
    id: str | None = None
    raw: JSON = attrs.field(default=None, eq=False)
    # How the call was routed (candidates, skips, attempts); set by the client, not by plugins. Like
    # ``raw``, it is carried through (un)structuring but is not part of ``==``.
    trace: RoutingTrace | None = attrs.field(default=None, eq=False)
    # What the call cost, priced by the client from ``usage`` and the catalog; like ``trace``, set by
    # the client and not part of ``==``.
    cost: Cost | None = attrs.field(default=None, eq=False)
    # The spans of the text a provider tied to the documents or tool results it was given (Cohere).
    citations: tuple[Citation, ...] = attrs.field(default=(), converter=as_tuple)

    @property
    def text(self) -> str:
        return _first_text(self.parts, TextPart)

    @property
    def reasoning(self) -> str:
        return _first_text(self.parts, ReasoningPart)

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))

    @property
    def message(self) -> Message:
        """The reply as an assistant message, ready to append to the conversation."""
        return Message(role="assistant", parts=self.parts)
