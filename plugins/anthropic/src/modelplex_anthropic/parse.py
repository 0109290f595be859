"""A whole Messages API reply (``{"type": "message", "content": [...], ...}``) as a
:class:`~modelplex.ChatResponse`, and its usage in disjoint buckets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelplex import (
    ChatResponse,
    FinishReason,
    Origin,
    Part,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    Usage,
)
from modelplex.toolkit import Reader
from modelplex.toolkit.tools import unparsed_arguments
from modelplex_anthropic.body import Plan
from modelplex_anthropic.finish import map_stop_reason
from modelplex_anthropic.tools import AnthropicToolCodec
from modelplex_anthropic.usage import read_usage, usage_of

__all__ = ["finish_of", "origin_of", "parse_message", "usage_of"]


def finish_of(plan: Plan, raw: Any) -> tuple[FinishReason, str | None]:
    """The canonical finish reason and the raw ``stop_reason``; a reply given through the
    response-format tool stopped, it did not ask for a tool."""
    raw_reason = raw if isinstance(raw, str) else None
    if plan.format_tool is not None and raw_reason == "tool_use":
        return FinishReason.STOP, raw_reason
    return map_stop_reason(raw_reason), raw_reason


def origin_of(plan: Plan) -> Origin:
    """Reasoning is replayed to the model the caller named, not the snapshot that answered."""
    return Origin(provider=plan.provider, model=plan.model)


def parse_message(plan: Plan, data: Mapping[str, Any]) -> ChatResponse:
    """A whole reply as a :class:`~modelplex.ChatResponse`; what does not follow the format is a
    :class:`~modelplex.errors.ResponseParseError` naming its JSON path (``content[1].input``)."""
    read = Reader(provider=plan.provider, model=plan.model)
    origin: Origin | None = None
    parts: list[Part] = []
    warnings: list[ProviderWarning] = []
    for i, block in enumerate(read.array(data, "content")):
        at = ("content", i)
        # The common fields checked inline, the reader asked only to name what is wrong.
        kind = block.get("type") if type(block) is dict else None
        if type(kind) is not str:
            kind = read.string(block, "type", at=at)
        if kind == "text":
            text = block.get("text")
            if type(text) is not str:
                text = read.optional_string(block, "text", at=at) or ""
            if parts and isinstance(parts[-1], TextPart):  # citations split text into many blocks
                parts[-1] = TextPart(text=parts[-1].text + text)
            else:
                parts.append(TextPart(text=text))
        elif kind == "thinking":
            origin = origin or origin_of(plan)
            parts.append(ReasoningPart(text=read.optional_string(block, "thinking", at=at) or "",
                                       origin=origin,
                                       signature=read.optional_string(block, "signature", at=at) or None))
        elif kind == "redacted_thinking":
            origin = origin or origin_of(plan)
            parts.append(ReasoningPart(text="", origin=origin,
                                       redacted_data=read.string(block, "data", at=at)))
        elif kind == "tool_use":
            name = block.get("name")
            if type(name) is not str or type(block.get("id")) is not str:
                name = read.string(block, "name", at=at)
                read.string(block, "id", at=at)
            if name == plan.format_tool:
                parts.append(TextPart(text=json.dumps(block.get("input"), ensure_ascii=False)))
            else:
                call = AnthropicToolCodec(provider=plan.provider).decode_tool_call(block)
                warning = unparsed_arguments(call, "content")
                if warning is not None:
                    warnings.append(warning)
                parts.append(call)
        else:
            warnings.append(ProviderWarning(
                code="ignored-content", field="content",
                message=f"a content block of type {kind!r} is not understood here; it was left out"))
    reason, raw_reason = finish_of(plan, read.optional_string(data, "stop_reason"))
    model = read.optional_string(data, "model")
    counted = read_usage(read.optional_obj(data, "usage"))
    usage, usage_warnings = counted if counted is not None else (Usage(estimated=True), [])
    warnings += usage_warnings
    return ChatResponse(provider=plan.provider, model=model or plan.model,
                        parts=parts, finish_reason=reason, raw_finish_reason=raw_reason,
                        usage=usage,
                        warnings=(*plan.warnings, *warnings) if warnings else plan.warnings,
                        id=read.optional_string(data, "id"),
                        raw=dict(data) if plan.include_raw else None)
