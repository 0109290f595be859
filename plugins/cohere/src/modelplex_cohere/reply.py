"""A whole reply from Cohere's ``/v2/chat`` as a :class:`~modelplex.ChatResponse`, read through
:class:`modelplex.toolkit.Reader`, so that a malformed reply names the JSON path of what was wrong.

``{"id", "finish_reason", "message": {"role", "content": [{"type": "text" | "thinking", ...}],
"tool_plan", "tool_calls", "citations"}, "usage"}``. A reasoning model's ``thinking`` items and the
``tool_plan`` written before tool calls become :class:`~modelplex.ReasoningPart` s (replayed to Cohere only),
``citations`` :class:`~modelplex.Citation` s. The reply names no model: the one asked for is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelplex import ChatResponse, Origin, Part, ProviderWarning, ReasoningPart, TextPart, Usage
from modelplex.toolkit import Reader, unparsed_arguments
from modelplex_cohere.citations import read_citation
from modelplex_cohere.tools import ToolCodec
from modelplex_cohere.usage import finish_reason, read_usage


def parse_reply(data: Any, *, provider: str, model: str, codec: ToolCodec,
                warnings: Sequence[ProviderWarning] = (), keep_raw: bool = False) -> ChatResponse:
    """The response; a missing or mistyped field raises ``ResponseParseError`` naming its path."""
    read = Reader(provider=provider, model=model)
    reply = read.obj(data)
    message = read.obj(reply, "message")
    at = ("message",)
    origin = Origin(provider=provider, model=model)
    parts: list[Part] = []
    found = list(warnings)
    plan = read.optional_string(message, "tool_plan", at=at)
    if plan:
        parts.append(ReasoningPart(text=plan, origin=origin))
    for i, item in enumerate(read.optional_array(message, "content", at=at) or ()):
        where = (*at, "content", i)
        kind = read.string(item, "type", at=where)
        if kind == "text":
            parts.append(TextPart(text=read.string(item, "text", at=where)))
        elif kind == "thinking":
            parts.append(ReasoningPart(text=read.string(item, "thinking", at=where), origin=origin))
    for i, wire in enumerate(read.optional_array(message, "tool_calls", at=at) or ()):
        read.obj(wire, at=(*at, "tool_calls", i))
        read.string(wire, "function", "name", at=(*at, "tool_calls", i))
        call = codec.decode_tool_call(wire)
        parts.append(call)
        unparsed = unparsed_arguments(call)
        if unparsed is not None:
            found.append(unparsed)
    citations = [read_citation(read, item, (*at, "citations", i))
                 for i, item in enumerate(read.optional_array(message, "citations", at=at) or ())]
    raw_finish = read.optional_string(reply, "finish_reason")
    usage: Mapping[str, Any] | None = read.optional_obj(reply, "usage")
    return ChatResponse(
        provider=provider, model=model, id=read.optional_string(reply, "id"), parts=parts,
        finish_reason=finish_reason(raw_finish), raw_finish_reason=raw_finish,
        usage=read_usage(read, usage, ("usage",)) if usage is not None else Usage(estimated=True),
        warnings=found, citations=citations, raw=reply if keep_raw else None)
