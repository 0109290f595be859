"""A Responses API ``response`` object to a :class:`~modelplex.ChatResponse`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex_openai_compat import Call, estimate, stream_error

from modelplex import (
    ChatResponse,
    FinishReason,
    Origin,
    Part,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
)
from modelplex.toolkit import Reader, is_object
from modelplex.toolkit.tools import unparsed_arguments
from modelplex_openai.responses_usage import read_responses_usage

Path = tuple[str | int, ...]


def finish_of(data: Mapping[str, Any], has_calls: bool, read: Reader,
              at: Path = ()) -> tuple[FinishReason, str | None]:
    """``completed`` is stop (or tool_calls when the output calls tools); ``incomplete`` says why."""
    status = read.optional_string(data, "status", at=at)
    details = read.optional_obj(data, "incomplete_details", at=at)
    if status == "incomplete":
        reason = read.optional_string(details, "reason", at=(*at, "incomplete_details"))
        kind = {"max_output_tokens": FinishReason.LENGTH,
                "content_filter": FinishReason.CONTENT_FILTER}.get(str(reason), FinishReason.OTHER)
        return kind, reason or "incomplete"
    if status == "failed":
        return FinishReason.ERROR, "failed"
    if status == "completed":
        return (FinishReason.TOOL_CALLS if has_calls else FinishReason.STOP), "completed"
    return FinishReason.OTHER, status


def _texts(read: Reader, item: Mapping[str, Any], key: str, at: Path) -> list[str]:
    """The ``text`` of each object in ``item[key]`` (a reasoning item's summary or content)."""
    out = []
    for i, piece in enumerate(read.optional_array(item, key, at=at) or ()):
        out.append(read.optional_string(piece, "text", at=(*at, key, i)) or "")
    return out


def reasoning_part(item: Mapping[str, Any], origin: Origin, read: Reader, at: Path = ()) -> (
        ReasoningPart):
    """A reasoning item: its summary as text; its id and encrypted content kept to send back."""
    text = "\n\n".join(_texts(read, item, "summary", at))
    # Open models put the reasoning text itself in content.
    text = text or "".join(_texts(read, item, "content", at))
    return ReasoningPart(text=text, origin=origin,
                         signature=read.optional_string(item, "id", at=at) or None,
                         redacted_data=read.optional_string(item, "encrypted_content", at=at))


def function_call(call: Call, item: Mapping[str, Any], at: Path) -> ToolCallPart:
    """A ``function_call`` item, checked for what the codec reads: a string ``name``, a string
    ``call_id`` where given and ``arguments`` a string or an object where given."""
    read = call.read
    read.string(item, "name", at=at)
    read.optional_string(item, "call_id", at=at)
    arguments = item.get("arguments")
    if arguments is not None and type(arguments) is not str and not is_object(arguments):
        read.fail(item, ("arguments",), at, "string or object")
    return call.codec.decode_tool_call(item)


def message_text(call: Call, item: Mapping[str, Any], at: Path,
                 warnings: list[ProviderWarning] | None = None) -> list[TextPart]:
    """A ``message`` item's ``output_text`` pieces (and, given ``warnings``, its refusals)."""
    read = call.read
    parts = []
    for i, piece in enumerate(read.optional_array(item, "content", at=at) or ()):
        piece_at = (*at, "content", i)
        kind = read.string(piece, "type", at=piece_at)
        if kind == "output_text":
            text = read.optional_string(piece, "text", at=piece_at)
            if text:
                parts.append(TextPart(text=text))
        elif kind == "refusal" and warnings is not None:
            parts.append(TextPart(text=read.optional_string(piece, "refusal", at=piece_at) or ""))
            warnings.append(ProviderWarning(code="refusal", field="refusal",
                                            message="the model refused; its explanation is the text"))
    return parts


def output_parts(call: Call, output: list[Any], warnings: list[ProviderWarning]) -> list[Part]:
    """The parts of a reply's ``output`` items, in order."""
    read = call.read
    origin = Origin(provider=call.provider, model=call.model)
    parts: list[Part] = []
    for i, item in enumerate(output):
        at = ("output", i)
        kind = read.string(item, "type", at=at)
        if kind == "message":
            parts += message_text(call, item, at, warnings)
        elif kind == "function_call":
            part = function_call(call, item, at)
            warning = unparsed_arguments(part, "output")
            if warning is not None:
                warnings.append(warning)
            parts.append(part)
        elif kind == "reasoning":
            parts.append(reasoning_part(item, origin, read, at))
        else:
            warnings.append(ProviderWarning(code="unknown-output", field="output",
                                            message=f"an output item of type {kind!r} is not "
                                                    "understood and was left out"))
    return parts


def parse_responses(call: Call, data: Mapping[str, Any]) -> ChatResponse:
    """A whole ``response`` object; what does not follow the format is a
    :class:`~modelplex.errors.ResponseParseError` naming its JSON path (``output[1].name``)."""
    read = call.read
    if data.get("status") == "failed" and data.get("error"):
        raise stream_error(call.provider, call.model, {"error": data["error"]}, call.stages.map_error)
    if "output" not in data:
        raise read.error("the response has no output", "output")
    warnings: list[ProviderWarning] = []
    parts = output_parts(call, read.array(data, "output"), warnings)
    calls = [p for p in parts if isinstance(p, ToolCallPart)]
    reason, raw = finish_of(data, bool(calls), read)
    counted = read_responses_usage(data.get("usage"))
    if counted is not None:
        usage, usage_warnings = counted
        warnings += usage_warnings
    else:
        text = sum(len(p.text) for p in parts if isinstance(p, TextPart))
        usage = estimate(call.request.messages, text)
    return ChatResponse(provider=call.provider, model=read.optional_string(data, "model") or call.model,
                        parts=parts, finish_reason=reason, raw_finish_reason=raw, usage=usage,
                        warnings=warnings, id=read.optional_string(data, "id"),
                        raw=dict(data) if call.request.options.include_raw else None)
