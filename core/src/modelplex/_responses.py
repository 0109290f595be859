"""What comes back: usage in disjoint buckets, finish reasons, warnings and the response."""

from __future__ import annotations

import enum
from typing import Any

import attrs

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


@attrs.frozen(kw_only=True)
class Usage:
    """Token counts in disjoint buckets; every total is derived, never stored beside them.

    ``input`` is input that was neither read from nor written to a cache; ``output`` excludes
    ``reasoning``. ``estimated`` is true when the provider gave no counts and Modelplex estimated them.
    """

    input: int = 0
    cache_read: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int = 0
    estimated: bool = False

    @property
    def total_input(self) -> int:
        return self.input + self.cache_read + self.cache_write

    @property
    def total_output(self) -> int:
        return self.output + self.reasoning

    @property
    def total(self) -> int:
        return self.total_input + self.total_output

    def __add__(self, other: Usage) -> Usage:
        return Usage(input=self.input + other.input, cache_read=self.cache_read + other.cache_read,
                     cache_write=self.cache_write + other.cache_write, output=self.output + other.output,
                     reasoning=self.reasoning + other.reasoning,
                     estimated=self.estimated or other.estimated)


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
