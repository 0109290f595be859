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
    Usage,
)
from modelplex.errors import ResponseParseError


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def responses_usage(raw: Any) -> Usage | None:
    """``input_tokens`` less cached reads and cache writes; ``output_tokens`` less reasoning."""
    if not isinstance(raw, Mapping):
        return None
    total_in, total_out = _int(raw.get("input_tokens")), _int(raw.get("output_tokens"))
    details = raw.get("input_tokens_details")
    details = details if isinstance(details, Mapping) else {}
    cached = min(_int(details.get("cached_tokens")), total_in)
    written = min(_int(details.get("cache_write_tokens")), total_in - cached)
    out_details = raw.get("output_tokens_details")
    reasoning = min(_int(out_details.get("reasoning_tokens")) if isinstance(out_details, Mapping)
                    else 0, total_out)
    return Usage(input=total_in - cached - written, cache_read=cached, cache_write=written,
                 output=total_out - reasoning, reasoning=reasoning)


def finish_of(data: Mapping[str, Any], has_calls: bool) -> tuple[FinishReason, str | None]:
    """``completed`` is stop (or tool_calls when the output calls tools); ``incomplete`` says why."""
    status = data.get("status")
    if status == "incomplete":
        details = data.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, Mapping) else None
        kind = {"max_output_tokens": FinishReason.LENGTH,
                "content_filter": FinishReason.CONTENT_FILTER}.get(str(reason), FinishReason.OTHER)
        return kind, str(reason) if reason else "incomplete"
    if status == "failed":
        return FinishReason.ERROR, "failed"
    if status == "completed":
        return (FinishReason.TOOL_CALLS if has_calls else FinishReason.STOP), "completed"
    return FinishReason.OTHER, str(status) if status is not None else None


def reasoning_part(item: Mapping[str, Any], origin: Origin) -> ReasoningPart:
    """A reasoning item: its summary as text; its id and encrypted content kept to send back."""
    summary = item.get("summary") or []
    text = "\n\n".join(str(s.get("text", "")) for s in summary if isinstance(s, Mapping))
    content = item.get("content") or []  # open models put the reasoning text itself here
    text = text or "".join(str(c.get("text", "")) for c in content if isinstance(c, Mapping))
    encrypted = item.get("encrypted_content")
    return ReasoningPart(text=text, origin=origin, signature=str(item.get("id") or "") or None,
                         redacted_data=encrypted if isinstance(encrypted, str) else None)


def output_parts(call: Call, output: Any, warnings: list[ProviderWarning]) -> list[Part]:
    origin = Origin(provider=call.provider, model=call.model)
    parts: list[Part] = []
    for item in output if isinstance(output, list) else ():
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind == "message":
            for piece in item.get("content") or []:
                if piece.get("type") == "output_text" and piece.get("text"):
                    parts.append(TextPart(text=piece["text"]))
                elif piece.get("type") == "refusal":
                    parts.append(TextPart(text=str(piece.get("refusal", ""))))
                    warnings.append(ProviderWarning(code="refusal", field="refusal",
                                                    message="the model refused; its explanation "
                                                            "is the text"))
        elif kind == "function_call":
            parts.append(call.codec.decode_tool_call(item))
        elif kind == "reasoning":
            parts.append(reasoning_part(item, origin))
        else:
            warnings.append(ProviderWarning(code="unknown-output", field="output",
                                            message=f"an output item of type {kind!r} is not "
                                                    "understood and was left out"))
    return parts


def parse_responses(call: Call, data: Mapping[str, Any]) -> ChatResponse:
    if data.get("status") == "failed" and data.get("error"):
        raise stream_error(call.provider, call.model, {"error": data["error"]})
    if "output" not in data:
        raise ResponseParseError("the response has no output", provider=call.provider,
                                 model=call.model, field="output")
    warnings: list[ProviderWarning] = []
    parts = output_parts(call, data.get("output"), warnings)
    calls = [p for p in parts if isinstance(p, ToolCallPart)]
    reason, raw = finish_of(data, bool(calls))
    usage = responses_usage(data.get("usage"))
    if usage is None:
        text = sum(len(p.text) for p in parts if isinstance(p, TextPart))
        usage = estimate(call.request.messages, text)
    return ChatResponse(provider=call.provider, model=str(data.get("model") or call.model),
                        parts=parts, finish_reason=reason, raw_finish_reason=raw, usage=usage,
                        warnings=warnings, id=data.get("id") if isinstance(data.get("id"), str)
                        else None, raw=dict(data) if call.request.options.include_raw else None)
