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
from modelplex.toolkit import Reader, is_object
from modelplex.toolkit.tools import unparsed_arguments
from modelplex_openai_compat.call import Call
from modelplex_openai_compat.think import Kind, ThinkSplitter
from modelplex_openai_compat.usage import estimate

_EMPTY: Mapping[str, Any] = {}
_CHOICE = ("choices", 0)
_MESSAGE = ("choices", 0, "message")


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


def reasoning_text(message: Mapping[str, Any], call: Call, at: tuple[str | int, ...] = ()) -> str:
    """The first non-empty reasoning field of the profile's in ``message`` (at ``at`` in the reply)."""
    for field in call.profile.reasoning_fields:
        value = message.get(field)
        if value is None:
            continue
        if type(value) is not str:
            call.read.string(message, field, at=at)  # raises, naming the field
        if value:
            return value
    return ""


def function_wire(read: Reader, function: Any, at: tuple[str | int, ...], *,
                  whole: bool = True) -> Mapping[str, Any]:
    """A call's ``function`` (at ``at``) checked for what a codec reads: an object with a string
    ``name`` (required in a whole reply; a stream's later fragments have none) and ``arguments`` a
    string or an object where given."""
    checked = read.obj(function, at=at)
    if whole:
        read.string(checked, "name", at=at)
    else:
        read.optional_string(checked, "name", at=at)
    arguments = checked.get("arguments")
    if arguments is not None and type(arguments) is not str and not is_object(arguments):
        read.fail(checked, ("arguments",), at, "string or object")
    return checked


def tool_call_wire(read: Reader, wire: Any, at: tuple[str | int, ...], *,
                   whole: bool = True) -> Mapping[str, Any]:
    """``wire``, one of ``tool_calls`` (at ``at``), checked for what a codec reads: an object with a
    string ``id`` where given and a ``function`` (:func:`function_wire`; a stream's fragments may
    leave it out)."""
    checked = read.obj(wire, at=at)
    read.optional_string(checked, "id", at=at)
    function = checked.get("function")
    if function is not None or whole:
        function_wire(read, function, (*at, "function"), whole=whole)
    return checked


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
    A response without usage gets an estimate marked ``estimated=True``. What does not follow the
    format is a :class:`~modelplex.errors.ResponseParseError` naming its JSON path
    (``choices[0].message.tool_calls[1].function: expected object, got str``).
    """
    read = call.read
    choices = read.array(data, "choices")
    if not choices:
        raise read.error("the reply has no choices", "choices")
    choice = read.obj(choices, 0, at=("choices",))
    message = read.optional_obj(choice, "message", at=_CHOICE) or _EMPTY
    content = message.get("content")
    tool_calls = read.optional_array(message, "tool_calls", at=_MESSAGE)
    refusal = read.optional_string(message, "refusal", at=_MESSAGE)
    legacy = read.optional_obj(message, "function_call", at=_MESSAGE)
    reasoning = reasoning_text(message, call, _MESSAGE)
    warnings: list[ProviderWarning] = []
    calls: list[ToolCallPart] = []
    if (type(content) is str and not call.profile.think_tags and not tool_calls and not refusal
            and not legacy and not reasoning):
        parts: list[Part] = [TextPart(text=content)] if content else []  # the common reply: text
    else:
        runs: list[tuple[Kind, str]] = []
        if reasoning:
            runs.append(("reasoning", reasoning))
        think = ThinkSplitter() if call.profile.think_tags else None
        runs += content_runs(content, warnings, think)
        if think is not None:
            runs += think.flush()
        if refusal:
            runs.append(("text", refusal))
            warnings.append(ProviderWarning(code="refusal", field="refusal",
                                            message="the model refused; its explanation is the text"))
        parts = _join(runs, Origin(provider=call.provider, model=call.model))

        decode = call.codec.decode_tool_call
        wire_calls = [decode(tool_call_wire(read, wire, (*_MESSAGE, "tool_calls", i)))
                      for i, wire in enumerate(tool_calls or ())]
        if legacy is not None:
            function_wire(read, legacy, (*_MESSAGE, "function_call"))
            wire_calls.append(decode({"id": None, "function": legacy}))
        calls = unique_ids(wire_calls, warnings)
        warnings += [w for c in calls if (w := unparsed_arguments(c)) is not None]
        parts.extend(calls)

    raw_finish = read.optional_string(choice, "finish_reason", at=_CHOICE)
    counted = call.stages.parse_usage(call, data)
    if counted is not None:
        usage, usage_warnings = counted
        warnings += usage_warnings
    else:
        out_chars = sum(len(p.text) for p in parts if isinstance(p, TextPart))
        out_chars += sum(len(c.raw_arguments or str(c.arguments)) for c in calls)
        usage = estimate(call.request.messages, out_chars,
                         sum(len(p.text) for p in parts if isinstance(p, ReasoningPart)))
    return ChatResponse(
        provider=call.provider, model=read.optional_string(data, "model") or call.model,
        parts=parts, finish_reason=call.stages.map_finish_reason(raw_finish),
        raw_finish_reason=raw_finish, usage=usage, warnings=warnings,
        id=read.optional_string(data, "id"),
        raw=dict(data) if call.request.options.include_raw else None)
