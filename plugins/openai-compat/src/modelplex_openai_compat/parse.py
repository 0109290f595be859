"""A whole Chat Completions response to a :class:`~modelplex.ChatResponse`: the stage
:func:`parse_response`, and the pieces it shares with streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import (
    ChatResponse,
    Origin,
    Part,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
)
from modelplex.errors import ResponseParseError
from modelplex_openai_compat.call import Call
from modelplex_openai_compat.think import Kind, ThinkSplitter
from modelplex_openai_compat.usage import estimate


def content_runs(content: Any, warnings: list[ProviderWarning],
                 think: ThinkSplitter | None = None) -> list[tuple[Kind, str]]:
    """``(kind, text)`` runs of a ``content`` value: a string (split at ``<think>`` tags when a
    splitter is given) or a list of chunks (``text``, and Mistral's ``thinking``)."""
    if content is None:
        return []
    if isinstance(content, str):
        if not content:
            return []
        return think.feed(content) if think is not None else [("text", content)]
    if not isinstance(content, list):
        warnings.append(ProviderWarning(code="unknown-content", field="content",
                                        message=f"content of type {type(content).__name__} was "
                                                "not understood and was left out"))
        return []
    runs: list[tuple[Kind, str]] = []
    for chunk in content:
        kind = chunk.get("type") if isinstance(chunk, Mapping) else None
        if kind in ("text", "output_text"):
            text = chunk.get("text")
            if isinstance(text, str) and text:
                runs.extend(content_runs(text, warnings, think))
        elif kind == "thinking":
            inner = chunk.get("thinking")
            pieces = inner if isinstance(inner, list) else [{"text": inner}]
            runs.extend(("reasoning", str(p.get("text") or "")) for p in pieces
                        if isinstance(p, Mapping) and p.get("text"))
        else:
            warnings.append(ProviderWarning(code="unknown-content", field="content",
                                            message=f"a content chunk of type {kind!r} was not "
                                                    "understood and was left out"))
    return runs


def reasoning_text(message: Mapping[str, Any], call: Call) -> str:
    for field in call.profile.reasoning_fields:
        value = message.get(field)
        if isinstance(value, str) and value:
            return value
    return ""


def unique_ids(calls: list[ToolCallPart], warnings: list[ProviderWarning]) -> list[ToolCallPart]:
    """Every call gets an id, and no two share one (a turn's results are matched by id)."""
    import attrs

    seen: set[str] = set()
    out = []
    for index, call in enumerate(calls):
        new = call.id or f"call_{index}"
        if new in seen:
            warnings.append(ProviderWarning(code="duplicate-tool-call-id", field="tool_calls",
                                            message=f"the server gave two tool calls the id "
                                                    f"{new!r}; the later one was renamed"))
            while new in seen:
                new = f"{new}_{index}"
        seen.add(new)
        out.append(call if new == call.id else attrs.evolve(call, id=new))
    return out


def _join(runs: list[tuple[Kind, str]], origin: Origin) -> list[Part]:
    parts: list[Part] = []
    for kind, text in runs:
        last = parts[-1] if parts else None
        if kind == "text":
            if isinstance(last, TextPart):
                parts[-1] = TextPart(text=last.text + text)
            else:
                parts.append(TextPart(text=text))
        elif isinstance(last, ReasoningPart):
            parts[-1] = ReasoningPart(text=last.text + text, origin=origin)
        else:
            parts.append(ReasoningPart(text=text, origin=origin))
    return parts


def parse_response(call: Call, data: Mapping[str, Any]) -> ChatResponse:
    """The reply in ``choices[0]``: reasoning, then text, then tool calls; usage and finish reason.

    Reasoning parts get the origin ``(provider, requested model)``, the pair they are replayed to.
    A response without usage gets an estimate marked ``estimated=True``.
    """
    choices = data.get("choices")
    if type(choices) is not list or not choices or (  # JSON gives dicts: the ABC's check last
            type(choices[0]) is not dict and not isinstance(choices[0], Mapping)):
        raise ResponseParseError("the response has no choices", provider=call.provider,
                                 model=call.model, field="choices")
    choice = choices[0]
    message = choice.get("message") or {}
    warnings: list[ProviderWarning] = []
    content = message.get("content")
    calls: list[ToolCallPart] = []
    if (type(content) is str and not call.profile.think_tags and not message.get("tool_calls")
            and not message.get("refusal") and not message.get("function_call")
            and not reasoning_text(message, call)):
        parts: list[Part] = [TextPart(text=content)] if content else []  # the common reply: text
    else:
        runs: list[tuple[Kind, str]] = []
        reasoning = reasoning_text(message, call)
        if reasoning:
            runs.append(("reasoning", reasoning))
        think = ThinkSplitter() if call.profile.think_tags else None
        runs += content_runs(content, warnings, think)
        if think is not None:
            runs += think.flush()
        refusal = message.get("refusal")
        if isinstance(refusal, str) and refusal:
            runs.append(("text", refusal))
            warnings.append(ProviderWarning(code="refusal", field="refusal",
                                            message="the model refused; its explanation is the text"))
        parts = _join(runs, Origin(provider=call.provider, model=call.model))

        wire_calls = list(message.get("tool_calls") or [])
        legacy = message.get("function_call")
        if isinstance(legacy, Mapping):
            wire_calls.append({"id": None, "function": legacy})
        calls = unique_ids([call.codec.decode_tool_call(c) for c in wire_calls], warnings)
        parts.extend(calls)

    raw_finish = choice.get("finish_reason")
    usage = call.stages.parse_usage(data)
    if usage is None:
        out_chars = sum(len(p.text) for p in parts if isinstance(p, TextPart))
        out_chars += sum(len(c.raw_arguments or str(c.arguments)) for c in calls)
        usage = estimate(call.request.messages, out_chars,
                         sum(len(p.text) for p in parts if isinstance(p, ReasoningPart)))
    id_ = data.get("id")
    return ChatResponse(
        provider=call.provider, model=str(data.get("model") or call.model), parts=parts,
        finish_reason=call.stages.map_finish_reason(raw_finish),
        raw_finish_reason=raw_finish if isinstance(raw_finish, str) else None,
        usage=usage, warnings=warnings, id=id_ if isinstance(id_, str) else None,
        raw=dict(data) if call.request.options.include_raw else None)
