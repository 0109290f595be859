"""Typed stream events. A provider's stream yields these; the client assembles the final response."""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs

from modelplex._citations import CitationAdded
from modelplex._messages import ToolCallPart
from modelplex._responses import FinishReason, ProviderWarning, Usage


@attrs.frozen(kw_only=True)
class ResponseStarted:
    """The provider's response id and resolved model, when it says them."""

    id: str | None = None
    model: str | None = None
    type: Literal["response_started"] = "response_started"


@attrs.frozen(kw_only=True)
class TextDelta:
    text: str
    type: Literal["text_delta"] = "text_delta"


_new = object.__new__
_set_text = TextDelta.__dict__["text"].__set__
_set_type = TextDelta.__dict__["type"].__set__


def text_delta(text: str) -> TextDelta:
    """``TextDelta(text=text)``, without attrs' ``__init__``: most events of a stream are one, and a
    frozen class's ``__init__`` (keyword arguments, each field through ``object.__setattr__``) cost
    5.1k instructions where setting its two slots costs 2.9k (callgrind; ``docs/hot-paths.md``).
    ``core/tests/test_fast_events.py`` checks it builds what the class builds."""
    event: TextDelta = _new(TextDelta)
    _set_text(event, text)
    _set_type(event, "text_delta")
    return event


@attrs.frozen(kw_only=True)
class ReasoningDelta:
    """A piece of reasoning; ``signature`` (and ``redacted_data``) arrive on the delta that ends a block."""

    text: str = ""
    signature: str | None = None
    redacted_data: str | None = None
    type: Literal["reasoning_delta"] = "reasoning_delta"


@attrs.frozen(kw_only=True)
class ToolCallStarted:
    """A tool call began. ``index`` tells parallel calls apart for the deltas that follow."""

    index: int
    id: str
    name: str
    type: Literal["tool_call_started"] = "tool_call_started"


@attrs.frozen(kw_only=True)
class ToolCallDelta:
    index: int
    arguments: str
    type: Literal["tool_call_delta"] = "tool_call_delta"


@attrs.frozen(kw_only=True)
class ToolCallEnded:
    """A tool call is complete, with its arguments parsed."""

    index: int
    call: ToolCallPart
    type: Literal["tool_call_ended"] = "tool_call_ended"


@attrs.frozen(kw_only=True)
class UsageReported:
    usage: Usage
    type: Literal["usage"] = "usage"


@attrs.frozen(kw_only=True)
class Finished:
    reason: FinishReason
    raw_reason: str | None = None
    type: Literal["finished"] = "finished"


@attrs.frozen(kw_only=True)
class WarningRaised:
    warning: ProviderWarning
    type: Literal["warning"] = "warning"


StreamEvent: TypeAlias = (
    ResponseStarted | TextDelta | ReasoningDelta | ToolCallStarted | ToolCallDelta | ToolCallEnded
    | UsageReported | Finished | WarningRaised | CitationAdded
)
