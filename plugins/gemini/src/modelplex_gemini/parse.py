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
  ``signature`` with its ``origin``. Vertex AI (``streamFunctionCallArguments``) may stream one
  call over several chunks instead: the name with ``willContinue: true``, then ``partialArgs``
  (each a JSON path and a value; a string may come in pieces, ``willContinue`` on the piece), until a
  ``functionCall`` without ``willContinue``. Those are assembled into the one call they make
  (:class:`_OpenCall`); a path beyond the simple ``$.name[0]['key']`` forms, or a reply that ends
  with a call still open, is a :class:`~modelplex.errors.ResponseParseError`, never a guessed call.

The reply ends with :class:`UsageReported` and :class:`Finished` once a chunk carried a
``finishReason`` (or the prompt was blocked: ``promptFeedback.blockReason`` and no candidates).
What does not follow the format is a :class:`~modelplex.errors.ResponseParseError` naming its JSON
path (``candidates[0].content.parts[1].functionCall.name: expected string, got int``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

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
from modelplex.toolkit import Reader, estimate, is_object, text_delta
from modelplex_gemini.errors import stream_error
from modelplex_gemini.finish import blocked, map_finish
from modelplex_gemini.tools import call_id, usable_id
from modelplex_gemini.usage import read_usage

_CANDIDATE = ("candidates", 0)
# One step of a partial argument's JSON path: .name, ['name'] or ["name"], [0].
_STEP = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\]"""
                   r"""|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]""")
_VALUES = ("stringValue", "numberValue", "boolValue", "nullValue")
_PARTS = ("candidates", 0, "content", "parts")
# How far past an array's end a piece may land (pieces may come out of order): a bound, so that a
# path like $.a[999999999] cannot make a list of a billion slots from a few bytes.
_MAX_GAP = 64


@attrs.define
class _OpenCall:
    """A call whose arguments Vertex AI streams in ``partialArgs`` pieces, until it says it ended."""

    index: int
    id: str
    name: str
    signature: str | None
    args: dict[str, Any] = attrs.field(factory=dict)
    open_string: tuple[Any, ...] | None = None  # the path of a string whose next piece is due


def _steps(path: str) -> list[str | int] | None:
    """``$.a.b[0]['c d']`` as ``["a", "b", 0, "c d"]``; ``None`` for any other JSON path form."""
    if not path.startswith("$"):
        return None
    steps: list[str | int] = []
    at = 1
    while at < len(path):
        match = _STEP.match(path, at)
        if match is None:
            return None
        name, single, double, number = match.groups()
        if number is not None:
            steps.append(int(number))
        else:
            raw = name if name is not None else (single if single is not None else double)
            steps.append(re.sub(r"\\(.)", r"\1", raw or ""))
        at = match.end()
    return steps or None


def _place(args: dict[str, Any], steps: list[str | int], value: Any, append: bool) -> bool:
    """Put ``value`` at ``steps`` in ``args`` (objects and arrays made on the way; a string piece
    ``append``-ed to the string there); ``False`` where the path crosses a value of another kind or
    an index lies more than ``_MAX_GAP`` past the end of its array."""
    node: Any = args
    for step, after in zip(steps, [*steps[1:], None], strict=True):
        fresh: Any = None if after is None else ([] if isinstance(after, int) else {})
        if isinstance(step, int):
            if not isinstance(node, list) or step - len(node) > _MAX_GAP:
                return False
            node.extend([None] * (step + 1 - len(node)))
        elif not isinstance(node, dict):
            return False
        current = node[step] if isinstance(step, int) else node.get(step)
        if after is None:
            node[step] = current + value if append and isinstance(current, str) else value
            return True
        if current is None:
            node[step] = current = fresh
        node = current
    return False


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
        self._open: _OpenCall | None = None
        self.read = Reader(provider=provider, model=request.model)

    @property
    def done(self) -> bool:
        return self.finish_reason is not None or self.block is not None

    def chunk(self, data: Any) -> list[StreamEvent]:
        """The events of one response object (a whole reply, or one chunk of a stream)."""
        read = self.read
        if type(data) is not dict:
            data = read.obj(data)
        if "error" in data:
            raise stream_error(self.provider, self.model, data)
        events: list[StreamEvent] = []
        # Each field checked inline, the reader asked only to name what is wrong: this runs for
        # every chunk of a stream.
        response_id = data.get("responseId")
        if response_id is not None:
            self.response_id = response_id if type(response_id) is str else read.string(data, "responseId")
        if not self.started:
            self.started = True
            events.append(ResponseStarted(id=self.response_id or None,
                                          model=read.optional_string(data, "modelVersion")))
        usage = data.get("usageMetadata")
        if usage is not None:
            self.usage = usage if type(usage) is dict else read.obj(data, "usageMetadata")
        candidates = data.get("candidates")
        if candidates is not None and type(candidates) is not list:
            read.array(data, "candidates")
        if candidates:
            candidate = candidates[0]
            if type(candidate) is not dict:
                candidate = read.obj(candidates, 0, at=("candidates",))
            content = candidate.get("content")
            parts = content.get("parts") if type(content) is dict else None
            if type(parts) is not list:
                parts = read.optional_array(candidate, "content", "parts", at=_CANDIDATE)
            for i, part in enumerate(parts or ()):
                if type(part) is not dict:
                    part = read.obj(part, at=(*_PARTS, i))
                events += self.part(part, i)
            finish = candidate.get("finishReason")
            if finish is not None:
                self.finish_reason = (finish if type(finish) is str
                                      else read.string(candidate, "finishReason", at=_CANDIDATE))
                self.finish_message = read.optional_string(candidate, "finishMessage", at=_CANDIDATE)
        else:
            feedback = read.optional_obj(data, "promptFeedback")
            reason = read.optional_string(feedback, "blockReason", at=("promptFeedback",))
            if reason is not None:
                self.block = (reason, read.optional_string(feedback, "blockReasonMessage",
                                                           at=("promptFeedback",)))
        return events

    def part(self, part: Mapping[str, Any], index: int = 0) -> list[StreamEvent]:
        """The events of the candidate's part at ``index``."""
        text = part.get("text")
        if type(text) is str and len(part) == 1:  # the common part: text alone
            self.chars["text"] += len(text)
            return [text_delta(text)] if text else []
        read, at = self.read, (*_PARTS, index)
        signature = read.optional_string(part, "thoughtSignature", at=at) or None
        call = read.optional_obj(part, "functionCall", at=at)
        if call is not None:
            return self.function_call(call, signature, (*at, "functionCall"))
        text = read.optional_string(part, "text", at=at)
        if text is not None:
            if read.optional_boolean(part, "thought", at=at) is True:
                self.chars["reasoning"] += len(text)
                return [ReasoningDelta(text=text, signature=signature)] if text or signature else []
            self.chars["text"] += len(text)
            events: list[StreamEvent] = []
            if signature is not None:
                events.append(ReasoningDelta(signature=signature))
            if text:
                events.append(text_delta(text))
            return events
        kind = next((k for k in part if k not in ("thoughtSignature", "thought")), "empty")
        if kind in self._warned:
            return []
        self._warned.add(kind)
        return [WarningRaised(warning=ProviderWarning(
            code="dropped-part", field="parts",
            message=f"Gemini sent a {kind!r} part, which Modelplex does not carry; it was left out"))]

    def function_call(self, fc: Mapping[str, Any], signature: str | None,
                      at: tuple[str | int, ...] = ()) -> list[StreamEvent]:
        """The events of a call: started, its arguments and ended when Gemini sends it whole; a
        call streamed in ``partialArgs`` pieces is started by its first piece and ended, with the
        arguments the pieces make, by its last."""
        read = self.read
        partial = read.optional_array(fc, "partialArgs", at=at)
        more = read.optional_boolean(fc, "willContinue", at=at) is True
        open_ = self._open
        if open_ is None and not more and partial is None:
            started, open_ = self._start(fc, signature, at)
            open_.args = self._args(fc, at)
            return [started, *self._end(open_)]
        events: list[StreamEvent] = []
        if open_ is None:
            started, open_ = self._start(fc, signature, at)
            self._open = open_
            events.append(started)
        else:
            name = read.optional_string(fc, "name", at=at)
            if name and name != open_.name:
                raise read.error(f"a new call to {name!r} while the streamed call to "
                                 f"{open_.name!r} had not ended", *at, "name")
            open_.signature = open_.signature or signature
        open_.args.update(self._args(fc, at))
        for i, piece in enumerate(partial or ()):
            self._piece(open_, piece, (*at, "partialArgs", i))
        if not more:
            self._open = None
            events += self._end(open_)
        return events

    def _args(self, fc: Mapping[str, Any], at: tuple[str | int, ...]) -> dict[str, Any]:
        args = self.read.optional_obj(fc, "args", at=at)
        return dict(args) if args is not None else {}

    def _start(self, fc: Mapping[str, Any], signature: str | None,
               at: tuple[str | int, ...]) -> tuple[ToolCallStarted, _OpenCall]:
        read = self.read
        index, name = self.calls, read.string(fc, "name", at=at)
        self.calls += 1
        given = read.optional_string(fc, "id", at=at)
        id_ = given if given is not None and usable_id(given) and given not in self.call_ids else call_id(
            self.response_id, index, name)
        self.call_ids.add(id_)
        return (ToolCallStarted(index=index, id=id_, name=name),
                _OpenCall(index=index, id=id_, name=name, signature=signature))

    def _piece(self, open_: _OpenCall, piece: Any, at: tuple[str | int, ...]) -> None:
        """One ``partialArgs`` item put in place; a piece that cannot be placed is refused."""
        read = self.read
        piece = read.obj(piece, at=at)
        path = read.string(piece, "jsonPath", at=at)
        steps = _steps(path)
        if steps is None:
            raise read.error(f"a partial argument's JSON path {path[:100]!r} is not one Modelplex "
                             "reads ($.name, ['name'], [0])", *at, "jsonPath")
        found = [key for key in _VALUES if key in piece]
        if len(found) > 1:
            raise read.error(f"a partial argument has {' and '.join(found)}; it may have one", *at)
        key = tuple(steps)
        if not found:  # a piece that only says more is coming
            return
        if found[0] == "stringValue":
            value: Any = read.string(piece, "stringValue", at=at)
        elif found[0] == "numberValue":
            value = read.number(piece, "numberValue", at=at)
        elif found[0] == "boolValue":
            value = read.boolean(piece, "boolValue", at=at)
        else:
            value = None
        append = found[0] == "stringValue" and open_.open_string == key
        if not _place(open_.args, steps, value, append):
            raise read.error(f"the partial argument at {path[:100]!r} crosses a value of another "
                             "kind or lies far past the end of an array", *at, "jsonPath")
        more = read.optional_boolean(piece, "willContinue", at=at) is True
        open_.open_string = key if more and found[0] == "stringValue" else None

    def _end(self, open_: _OpenCall) -> list[StreamEvent]:
        text = json.dumps(open_.args, ensure_ascii=False, separators=(",", ":"))
        self.chars["text"] += len(open_.name) + len(text)
        call = ToolCallPart(id=open_.id, name=open_.name, arguments=open_.args,
                            signature=open_.signature,
                            origin=self.origin if open_.signature else None)
        return [ToolCallDelta(index=open_.index, arguments=text),
                ToolCallEnded(index=open_.index, call=call)]

    def final_usage(self) -> tuple[Usage, list[ProviderWarning]]:
        """The last ``usageMetadata`` and its warnings, or an estimate when none came."""
        if self.usage is not None:
            return read_usage(self.usage)
        return estimate(self.request.messages, self.chars["text"], self.chars["reasoning"]), []

    def finish(self) -> list[StreamEvent]:
        if self._open is not None:
            raise self.read.error(f"the reply ended while the streamed arguments of the call to "
                                  f"{self._open.name!r} were still coming (willContinue)",
                                  *_PARTS)
        usage, usage_warnings = self.final_usage()
        events: list[StreamEvent] = [*(WarningRaised(warning=w) for w in usage_warnings),
                                     UsageReported(usage=usage)]
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
    meta, message = data.get("usageMetadata"), candidate.get("finishMessage")
    version, response_id = data.get("modelVersion"), data.get("responseId")
    if (meta is not None and type(meta) is not dict) or any(
            value is not None and type(value) is not str for value in (message, version, response_id)):
        return None  # the long way names what is wrong
    text = "".join(texts)
    reason, warning = map_finish(finish, message=message)
    found = list(warnings)
    if meta is not None:  # in the order the stream's events say them: usage, then the finish
        usage, usage_warnings = read_usage(meta)
        found += usage_warnings
    else:
        usage = estimate(request.messages, len(text), 0)
    if warning is not None:
        found.append(warning)
    return ChatResponse(
        provider=provider, model=version or request.model,
        parts=(TextPart(text=text),) if text else (), finish_reason=reason, raw_finish_reason=finish,
        usage=usage, warnings=found, id=response_id or None,
        raw=dict(data) if request.options.include_raw else None)


def parse_events(data: Any, provider: str, request: ChatRequest,
                 warnings: Iterable[ProviderWarning] = ()) -> ChatResponse:
    """A whole reply as the response its stream events make: any reply Gemini sends."""
    parser = ReplyParser(provider, request)
    events = parser.chunk(data)
    events += parser.finish()
    raw = dict(data) if request.options.include_raw and is_object(data) else None
    return response_from(events, provider, request, warnings, raw)
