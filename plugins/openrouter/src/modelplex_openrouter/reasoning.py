"""OpenRouter's reasoning: ``reasoning_details`` read into reasoning parts and replayed as they came.

OpenRouter gives each piece of reasoning as a detail: ``reasoning.text`` (Claude's thinking, with the
``signature`` Claude needs to continue from it), ``reasoning.summary`` (an OpenAI model's summary)
and ``reasoning.encrypted`` (reasoning the model did not show: ``data``, with the upstream's ``id``).
Each becomes a :class:`~modelplex.ReasoningPart`: text and signature; summary text; or
``redacted_data`` with the id kept in ``signature`` (as the OpenAI plugin keeps a Responses reasoning
id). In streams the pieces arrive as deltas, a Claude signature on a later chunk of its own.

The plain ``reasoning`` field beside them repeats their text, so it is read only from a reply (or
chunk) whose details are absent or empty.

Sent back only to the model that produced it (OpenRouter wants the details "passed back exactly as
received" so the upstream can continue; reasoning of another model or provider is dropped with a
warning by the shared encoder). What is not kept is each detail's ``format`` and ``index``: the
recorded continuation of Claude (``03_reasoning_replayed``) shows OpenRouter taking the details
without them. An unsigned text beside encrypted reasoning goes back as the summary it came as.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
from modelplex_openai_compat import Call, SSEEvent, StreamState, own_assistants
from modelplex_openai_compat import encode_messages as encode_compat
from modelplex_openai_compat import parse_response as parse_compat
from modelplex_openai_compat import parse_stream_event as parse_compat_event

from modelplex import (
    ChatResponse,
    Origin,
    ProviderWarning,
    ReasoningDelta,
    ReasoningPart,
    ResponseStarted,
    StreamEvent,
    WarningRaised,
)
from modelplex.toolkit import Reader, is_object, path_text

_FIELD = "reasoning_details"
_MESSAGE = ("choices", 0, "message")


_Detail = tuple[str, str | None, str | None]


def _details(read: Reader, holder: Mapping[str, Any], at: tuple[str | int, ...],
             warnings: list[ProviderWarning]) -> list[_Detail]:
    """``(text, signature, redacted_data)`` for each detail of ``holder``, checked; a detail of a
    type not known is left out, with a warning naming it."""
    out: list[_Detail] = []
    for i, detail in enumerate(read.optional_array(holder, _FIELD, at=at) or ()):
        where = (*at, _FIELD, i)
        detail = read.obj(detail, at=where)
        kind = read.optional_string(detail, "type", at=where)
        if kind == "reasoning.text":
            out.append((read.optional_string(detail, "text", at=where) or "",
                        read.optional_string(detail, "signature", at=where) or None, None))
        elif kind == "reasoning.summary":
            out.append((read.optional_string(detail, "summary", at=where) or "", None, None))
        elif kind == "reasoning.encrypted":
            out.append(("", read.optional_string(detail, "id", at=where) or None,
                        read.optional_string(detail, "data", at=where) or ""))
        else:
            warnings.append(ProviderWarning(code="unknown-content", field=path_text(where),
                                            message=f"a reasoning detail of type {kind!r} was not "
                                                    "understood and was left out"))
    return out


def _without(holder: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in holder.items() if k not in (_FIELD, "reasoning")}


def _first(data: Any, key: str) -> tuple[list[Any], dict[str, Any], Mapping[str, Any]] | None:
    """``(choices, choices[0], choices[0][key])`` when the reply or chunk has reasoning details
    there; ``None`` otherwise (the shared parser then reads it, and names what is malformed)."""
    choices = data.get("choices") if is_object(data) else None
    if not isinstance(choices, list) or not choices or not is_object(choices[0]):
        return None
    inner = choices[0].get(key)
    # No details, or none in this one (a list left empty): the plain "reasoning" is all there is.
    if not is_object(inner) or inner.get(_FIELD) is None or inner.get(_FIELD) == []:
        return None
    return choices, dict(choices[0]), inner


def parse_response(call: Call, data: Mapping[str, Any]) -> ChatResponse:
    """The shared parse, with the reasoning read from ``reasoning_details`` where the reply has
    them (one part each, before the text, as the shared parser places reasoning)."""
    found = _first(data, "message")
    if found is None:
        return parse_compat(call, data)
    choices, first, message = found
    origin = Origin(provider=call.provider, model=call.model)
    warnings: list[ProviderWarning] = []
    parts = [ReasoningPart(text=text, signature=signature, redacted_data=redacted, origin=origin)
             for text, signature, redacted in _details(call.read, message, _MESSAGE, warnings)]
    plain = {**data, "choices": [{**first, "message": _without(message)}, *choices[1:]]}
    response = parse_compat(call, plain)
    return attrs.evolve(response, parts=[*parts, *response.parts],
                        warnings=[*warnings, *response.warnings])


def parse_stream_event(call: Call, state: StreamState, event: SSEEvent) -> list[StreamEvent]:
    """The shared parse, with a chunk's ``reasoning_details`` as reasoning deltas (a Claude
    signature arrives on a delta of its own, which ends the reasoning it signs)."""
    if _FIELD not in event.data:
        return parse_compat_event(call, state, event)
    try:
        chunk = json.loads(event.data)
    except ValueError:
        return parse_compat_event(call, state, event)  # which names the error
    found = _first(chunk, "delta")
    if found is None:
        return parse_compat_event(call, state, event)
    choices, first, delta = found
    warnings: list[ProviderWarning] = []
    deltas: list[StreamEvent] = [
        ReasoningDelta(text=text, signature=signature, redacted_data=redacted)
        for text, signature, redacted in _details(call.read, delta, ("choices", 0, "delta"), warnings)]
    deltas += [WarningRaised(warning=w) for w in warnings]
    chunk["choices"] = [{**first, "delta": _without(delta)}, *choices[1:]]
    out = parse_compat_event(call, state, SSEEvent(event=event.event, data=json.dumps(chunk),
                                                   id=event.id))
    at = 1 if out and isinstance(out[0], ResponseStarted) else 0
    out[at:at] = deltas
    return out


def _detail(part: ReasoningPart, summaries: bool) -> dict[str, Any]:
    if part.redacted_data is not None:
        detail: dict[str, Any] = {"type": "reasoning.encrypted", "data": part.redacted_data}
        if part.signature:
            detail["id"] = part.signature
        return detail
    if summaries and part.signature is None:
        return {"type": "reasoning.summary", "summary": part.text}
    detail = {"type": "reasoning.text", "text": part.text}
    if part.signature is not None:
        detail["signature"] = part.signature
    return detail


def _details_of(mine: list[ReasoningPart]) -> list[dict[str, Any]]:
    """The ``reasoning_details`` of one assistant message's own reasoning parts, in order."""
    summaries = any(p.redacted_data is not None for p in mine)
    return [_detail(p, summaries) for p in mine]


def encode_messages(call: Call) -> tuple[list[dict[str, Any]], list[ProviderWarning]]:
    """The shared messages, each assistant message with its own reasoning back as
    ``reasoning_details`` (the shared encoder has warned about reasoning it may not take)."""
    messages, warnings = encode_compat(call)
    for mine, wire in own_assistants(call, messages):
        if mine:
            wire[_FIELD] = _details_of(mine)
    return messages, warnings
