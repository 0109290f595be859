"""``GenerateContentResponse`` objects (a whole reply, or each chunk of a stream) as typed events,
and a whole reply as a :class:`~modelplex.ChatResponse` made from the very same events, so a reply
reads the same streamed or not.

Parts of the first candidate, in order:

* ``{"text", "thought": true}`` -> :class:`ReasoningDelta` (its ``thoughtSignature``, if any, on it);
* ``{"text"}`` -> :class:`TextDelta`; a ``thoughtSignature`` on it goes first, as a
  ``ReasoningDelta`` with no text, so it lands on the reasoning before the text (see
  :mod:`modelplex_gemini.messages` for the way back);
* ``{"functionCall"}`` -> :class:`ToolCallStarted`, one :class:`ToolCallDelta` with the arguments
  (Gemini sends a call whole) and :class:`ToolCallEnded`. The id is Gemini's when it gave a usable
  one, else :func:`~modelplex_gemini.tools.call_id`; a ``thoughtSignature`` becomes the call's
  ``signature`` with its ``origin``.

The reply ends with :class:`UsageReported` and :class:`Finished` once a chunk carried a
``finishReason`` (or the prompt was blocked: ``promptFeedback.blockReason`` and no candidates).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from modelplex_openai_compat import estimate

from modelplex import (
    ChatRequest,
    ChatResponse,
    Finished,
    FinishReason,
    Origin,
    Part,
    ProviderWarning,
    ReasoningDelta,
    ReasoningPart,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
    WarningRaised,
)
from modelplex.errors import ResponseParseError
from modelplex_gemini.errors import stream_error
from modelplex_gemini.finish import blocked, map_finish
from modelplex_gemini.tools import call_id, usable_id
from modelplex_gemini.usage import usage_from


def _is_map(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


class ReplyParser:
    """Turns the reply to one request into events; :meth:`chunk` for each response object,
    :meth:`finish` at the end. ``done`` says whether Gemini said the reply was complete."""

    def __init__(self, provider: str, request: ChatRequest) -> None:
        self.provider = provider
        self.request = request
        self.model = request.model
        # Replayed to the model the caller asked for, as the core's stream assembly does.
        self.origin = Origin(provider=provider, model=request.model)
        self.started = False
        self.response_id = ""
        self.calls = 0
        self.call_ids: set[str] = set()
        self.finish_reason: str | None = None
        self.finish_message: str | None = None
        self.block: tuple[str, str | None] | None = None
        self.usage: Mapping[str, Any] | None = None
        self.chars = {"text": 0, "reasoning": 0}
        self._warned: set[str] = set()

    @property
    def done(self) -> bool:
        return self.finish_reason is not None or self.block is not None

    def chunk(self, data: Any) -> list[StreamEvent]:
        # JSON gives dicts: ``type(x) is dict`` first spares most chunks the slower ABC check.
        if type(data) is not dict and not isinstance(data, Mapping):
            raise ResponseParseError("a response chunk is not a JSON object", provider=self.provider,
                                     model=self.model)
        if "error" in data:
            raise stream_error(self.provider, self.model, data)
        events: list[StreamEvent] = []
        response_id = data.get("responseId")
        if response_id is not None and isinstance(response_id, str):
            self.response_id = response_id
        if not self.started:
            self.started = True
            version = data.get("modelVersion")
            events.append(ResponseStarted(id=self.response_id or None,
                                          model=version if isinstance(version, str) else None))
        usage = data.get("usageMetadata")
        if usage is not None and _is_map(usage):
            self.usage = usage
        candidates = data.get("candidates")
        candidate = candidates[0] if type(candidates) is list and candidates else None
        if candidate is not None and _is_map(candidate):
            content = candidate.get("content")
            parts = content.get("parts") if content is not None and _is_map(content) else None
            if type(parts) is list:
                for part in parts:
                    if _is_map(part):
                        events += self.part(part)
            finish = candidate.get("finishReason")
            if finish is not None and isinstance(finish, str):
                self.finish_reason = finish
                message = candidate.get("finishMessage")
                self.finish_message = message if isinstance(message, str) else None
        else:
            feedback = data.get("promptFeedback")
            reason = feedback.get("blockReason") if isinstance(feedback, Mapping) else None
            if isinstance(reason, str):
                assert isinstance(feedback, Mapping)
                message = feedback.get("blockReasonMessage")
                self.block = (reason, message if isinstance(message, str) else None)
        return events

    def part(self, part: Mapping[str, Any]) -> list[StreamEvent]:
        text = part.get("text")
        if type(text) is str and len(part) == 1:  # the common part: text alone
            self.chars["text"] += len(text)
            return [TextDelta(text=text)] if text else []
        signature = part.get("thoughtSignature")
        signature = signature if isinstance(signature, str) and signature else None
        if isinstance(part.get("functionCall"), Mapping):
            return self.function_call(part["functionCall"], signature)
        if isinstance(text, str):
            if part.get("thought") is True:
                self.chars["reasoning"] += len(text)
                return [ReasoningDelta(text=text, signature=signature)] if text or signature else []
            self.chars["text"] += len(text)
            events: list[StreamEvent] = []
            if signature is not None:
                events.append(ReasoningDelta(signature=signature))
            if text:
                events.append(TextDelta(text=text))
            return events
        kind = next((k for k in part if k not in ("thoughtSignature", "thought")), "empty")
        if kind in self._warned:
            return []
        self._warned.add(kind)
        return [WarningRaised(warning=ProviderWarning(
            code="dropped-part", field="parts",
            message=f"Gemini sent a {kind!r} part, which Modelplex does not carry; it was left out"))]

    def function_call(self, fc: Mapping[str, Any], signature: str | None) -> list[StreamEvent]:
        index, name = self.calls, str(fc.get("name") or "")
        self.calls += 1
        given = fc.get("id")
        id_ = str(given) if usable_id(given) and given not in self.call_ids else call_id(
            self.response_id, index, name)
        self.call_ids.add(id_)
        args = fc.get("args")
        arguments = dict(args) if isinstance(args, Mapping) else {}
        raw = None if args is None or isinstance(args, Mapping) else json.dumps(args)
        text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        self.chars["text"] += len(name) + len(text)
        call = ToolCallPart(id=id_, name=name, arguments=arguments, raw_arguments=raw,
                            signature=signature, origin=self.origin if signature else None)
        return [ToolCallStarted(index=index, id=id_, name=name),
                ToolCallDelta(index=index, arguments=raw if raw is not None else text),
                ToolCallEnded(index=index, call=call)]

    def final_usage(self) -> Usage:
        if self.usage is not None:
            return usage_from(self.usage)
        return estimate(self.request.messages, self.chars["text"], self.chars["reasoning"])

    def finish(self) -> list[StreamEvent]:
        events: list[StreamEvent] = [UsageReported(usage=self.final_usage())]
        if self.block is not None:
            events.append(WarningRaised(warning=blocked(*self.block)))
            return [*events, Finished(reason=FinishReason.CONTENT_FILTER, raw_reason=self.block[0])]
        reason, warning = map_finish(self.finish_reason, tool_calls=self.calls > 0,
                                     message=self.finish_message)
        if warning is not None:
            events.append(WarningRaised(warning=warning))
        return [*events, Finished(reason=reason, raw_reason=self.finish_reason)]


def _fold(parts: list[Part], event: StreamEvent) -> None:
    """The parts a stream's events make, as the core assembles them: a run of text or of
    reasoning is one part; a reasoning run that has its signature starts anew at the next text."""
    last = parts[-1] if parts else None
    if isinstance(event, TextDelta):
        if isinstance(last, TextPart):
            parts[-1] = TextPart(text=last.text + event.text)
        else:
            parts.append(TextPart(text=event.text))
    elif isinstance(event, ReasoningDelta):
        if isinstance(last, ReasoningPart) and (last.signature is None or not event.text):
            parts[-1] = ReasoningPart(text=last.text + event.text, origin=last.origin,
                                      signature=event.signature or last.signature)
        else:
            parts.append(ReasoningPart(text=event.text, signature=event.signature))
    elif isinstance(event, ToolCallEnded):
        parts.append(event.call)


def response_from(events: Iterable[StreamEvent], provider: str, request: ChatRequest,
                  warnings: Iterable[ProviderWarning] = (), raw: Any = None) -> ChatResponse:
    """The :class:`ChatResponse` the events of a whole reply make."""
    parts: list[Part] = []
    found = list(warnings)
    usage, finished, model, id_ = Usage(estimated=True), None, request.model, None
    origin = Origin(provider=provider, model=request.model)
    for event in events:
        _fold(parts, event)
        if isinstance(event, WarningRaised):
            found.append(event.warning)
        elif isinstance(event, UsageReported):
            usage = event.usage
        elif isinstance(event, Finished):
            finished = event
        elif isinstance(event, ResponseStarted):
            model, id_ = event.model or model, event.id
    parts = [ReasoningPart(text=p.text, signature=p.signature, redacted_data=p.redacted_data,
                           origin=origin) if isinstance(p, ReasoningPart) else p for p in parts]
    finished = finished or Finished(reason=FinishReason.OTHER)
    return ChatResponse(provider=provider, model=model, parts=parts, finish_reason=finished.reason,
                        raw_finish_reason=finished.raw_reason, usage=usage, warnings=found, id=id_,
                        raw=raw)


def parse_reply(data: Any, provider: str, request: ChatRequest,
                warnings: Iterable[ProviderWarning] = ()) -> ChatResponse:
    """A whole ``generateContent`` reply as a :class:`ChatResponse`."""
    plain = _plain_reply(data, provider, request, warnings)
    return plain if plain is not None else parse_events(data, provider, request, warnings)


def _plain_reply(data: Any, provider: str, request: ChatRequest,
                 warnings: Iterable[ProviderWarning]) -> ChatResponse | None:
    """The common reply (one candidate of text parts alone, and a finish reason) without the events,
    or ``None`` for any other; :func:`parse_events` gives the same response (a test checks)."""
    if type(data) is not dict or "error" in data:
        return None
    candidates = data.get("candidates")
    if type(candidates) is not list or not candidates or type(candidates[0]) is not dict:
        return None
    candidate = candidates[0]
    content, finish = candidate.get("content"), candidate.get("finishReason")
    parts = content.get("parts") if type(content) is dict else None
    if type(parts) is not list or type(finish) is not str:
        return None
    texts = []
    for part in parts:
        if type(part) is not dict or len(part) != 1 or type(text := part.get("text")) is not str:
            return None
        texts.append(text)
    text = "".join(texts)
    message = candidate.get("finishMessage")
    reason, warning = map_finish(finish, message=message if isinstance(message, str) else None)
    found = list(warnings)
    if warning is not None:
        found.append(warning)
    meta = data.get("usageMetadata")
    usage = (usage_from(meta) if meta is not None and _is_map(meta)
             else estimate(request.messages, len(text), 0))
    version, response_id = data.get("modelVersion"), data.get("responseId")
    return ChatResponse(
        provider=provider, model=version if isinstance(version, str) and version else request.model,
        parts=(TextPart(text=text),) if text else (), finish_reason=reason, raw_finish_reason=finish,
        usage=usage, warnings=found, id=response_id if isinstance(response_id, str) and response_id else None,
        raw=dict(data) if request.options.include_raw else None)


def parse_events(data: Any, provider: str, request: ChatRequest,
                 warnings: Iterable[ProviderWarning] = ()) -> ChatResponse:
    """A whole reply as the response its stream events make: any reply Gemini sends."""
    parser = ReplyParser(provider, request)
    events = parser.chunk(data)
    events += parser.finish()
    raw = dict(data) if request.options.include_raw and isinstance(data, Mapping) else None
    return response_from(events, provider, request, warnings, raw)
