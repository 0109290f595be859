"""Chat Completions stream chunks to typed events: :class:`StreamState` and the stage
:func:`parse_stream_event`.

Tool calls are rebuilt by ``index``: fragments whose ``id`` is null after the first (litellm
#20711), parallel calls interleaved by index, a call delivered whole in one delta (Mistral), calls
without an index (Gemini's compatible endpoint) and servers that reuse one index for every call
(with a new id each time) all give the calls a whole response would.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Mapping
from typing import Any

import attrs

from modelplex import (
    Finished,
    ProviderWarning,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
    WarningRaised,
)
from modelplex import parse_tool_arguments as parse_arguments
from modelplex.errors import ResponseParseError
from modelplex.toolkit import interrupted, is_object, text_delta
from modelplex.toolkit.tools import unparsed_arguments
from modelplex_openai_compat.call import Call
from modelplex_openai_compat.errors import stream_error
from modelplex_openai_compat.jsonwire import loads as _loads
from modelplex_openai_compat.parse import (
    content_runs,
    function_wire,
    reasoning_text,
    tool_call_wire,
)
from modelplex_openai_compat.sse import SSEEvent
from modelplex_openai_compat.think import Kind, ThinkSplitter
from modelplex_openai_compat.usage import estimate
from modelplex_openai_compat.usage import parse_usage as _parse_usage

_EMPTY: Mapping[str, Any] = {}


@attrs.define
class _Slot:
    index: int
    wire_id: str | None  # the id as the server sent it
    wire_index: int | None
    id: str = ""  # the id given to the call when it started (unique within the response)
    name: str = ""
    args: list[str] = attrs.field(factory=list)
    started: bool = False
    ended: bool = False


class StreamState:
    """What a stream has said so far: open tool calls, the finish reason, usage, ``[DONE]``."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.started = False
        self.done = False
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.usage_warnings: list[ProviderWarning] = []
        # The chunk read last, for a stage that adds to the default one (Azure's filter results).
        self.last: Mapping[str, Any] = _EMPTY
        self.think = ThinkSplitter() if call.profile.think_tags else None
        self._slots: list[_Slot] = []
        self._by_wire: dict[int, _Slot] = {}
        self._by_id: dict[str, _Slot] = {}
        self._ids: set[str] = set()
        self._chars = {"text": 0, "reasoning": 0}
        self._warned: set[str] = set()
        self._custom_usage = call.stages.parse_usage is not _parse_usage

    # -- chunks ----------------------------------------------------------------------------------
    def chunk(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """The events of one chunk; what does not follow the format is a
        :class:`~modelplex.errors.ResponseParseError` naming its JSON path in the chunk.

        Most chunks of a stream are one piece of text and nothing else: once the stream has started,
        such a chunk takes the short way here, with no list built up, no enumerate() and no call per
        field checked (about a tenth of the plugin's time an event). Anything else (usage, a finish
        reason, a second choice, tool calls, a role alone, a chunk out of format) takes
        :meth:`general`; ``test_compat_stream_fast.py`` proves both give the same events and state.
        """
        choices = chunk.get("choices")
        if (self.started and type(choices) is list and len(choices) == 1 and self.think is None
                and not self._custom_usage and "usage" not in chunk and "x_groq" not in chunk):
            choice = choices[0]
            if type(choice) is dict and choice.get("finish_reason") is None:
                index = choice.get("index")
                delta = choice.get("delta")
                if (index is None or index == 0) and type(delta) is dict:
                    content = delta.get("content")
                    if type(content) is str and content and (
                            len(delta) == 1 or (len(delta) == 2 and "role" in delta)):
                        self._chars["text"] += len(content)
                        return [text_delta(content)]
        return self.general(chunk)

    def general(self, chunk: Mapping[str, Any]) -> list[StreamEvent]:
        """:meth:`chunk`, any chunk, the whole way."""
        out: list[StreamEvent] = []
        read = self.call.read
        if not self.started and (chunk.get("id") or chunk.get("model")):
            self.started = True
            out.append(ResponseStarted(id=read.optional_string(chunk, "id") or None,
                                       model=read.optional_string(chunk, "model") or None))
        # The default stage finds nothing in a chunk without usage: most chunks skip the call.
        if self._custom_usage or "usage" in chunk or "x_groq" in chunk:
            counted = self.call.stages.parse_usage(self.call, chunk)
            if counted is not None:  # a later usage chunk replaces an earlier one, warnings too
                self.usage, self.usage_warnings = counted
        choices = chunk.get("choices")
        if choices is None:
            return out
        if type(choices) is not list:
            read.array(chunk, "choices")  # raises, naming the field
        for i, choice in enumerate(choices):
            if not is_object(choice):
                read.obj(choice, at=("choices", i))
            index = choice.get("index")
            if index is not None and index != 0:
                if type(index) is not int:
                    read.integer(choice, "index", at=("choices", i))  # raises, naming the field
                out += self._warn_once("extra-choices", "choices", "only the first choice is read; "
                                       "the others were left out")
                continue
            delta = choice.get("delta")
            if delta is None:
                delta = _EMPTY
            elif not is_object(delta):
                read.obj(delta, at=("choices", i, "delta"))
            content = delta.get("content")
            # The common chunk, a piece of text and nothing else, the short way.
            if (type(content) is str and self.think is None
                    and (len(delta) == 1 or (len(delta) == 2 and "role" in delta))):
                if content:
                    self._chars["text"] += len(content)
                    out.append(text_delta(content))
            else:
                out += self._delta(delta, ("choices", i, "delta"))
            finish = choice.get("finish_reason")
            if finish is not None:
                if type(finish) is not str:
                    read.string(choice, "finish_reason", at=("choices", i))  # raises, naming it
                if finish:
                    self.finish_reason = finish
                    out += self.end_calls()
        return out

    def _delta(self, delta: Mapping[str, Any], at: tuple[str | int, ...]) -> list[StreamEvent]:
        read = self.call.read
        out: list[StreamEvent] = []
        runs: list[tuple[Kind, str]] = []
        reasoning = reasoning_text(delta, self.call, at)
        if reasoning:
            runs.append(("reasoning", reasoning))
        warnings: list[ProviderWarning] = []
        runs += content_runs(delta.get("content"), warnings, self.think)
        refusal = read.optional_string(delta, "refusal", at=at)
        if refusal:
            runs.append(("text", refusal))
            out += self._warn_once("refusal", "refusal", "the model refused; its explanation is "
                                   "the text")
        out += [WarningRaised(warning=w) for w in warnings]
        out += self._runs(runs)
        for j, tc in enumerate(read.optional_array(delta, "tool_calls", at=at) or ()):
            tc_at = (*at, "tool_calls", j)
            tool_call_wire(read, tc, tc_at, whole=False)
            out += self._tool_call(tc, read.optional_integer(tc, "index", at=tc_at))
        legacy = read.optional_obj(delta, "function_call", at=at)
        if legacy is not None:
            function_wire(read, legacy, (*at, "function_call"), whole=False)
            out += self._tool_call({"id": None, "function": legacy}, -1)
        return out

    def _runs(self, runs: list[tuple[Kind, str]]) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for kind, text in runs:
            self._chars[kind] += len(text)
            out.append(text_delta(text) if kind == "text" else ReasoningDelta(text=text))
        return out

    def _warn_once(self, code: str, field: str, message: str) -> list[StreamEvent]:
        if code in self._warned:
            return []
        self._warned.add(code)
        return [WarningRaised(warning=ProviderWarning(code=code, field=field, message=message))]

    # -- tool calls ------------------------------------------------------------------------------
    def _slot(self, wire_index: int | None, id_: str | None, name: str) -> _Slot:
        if wire_index is not None:
            found = self._by_wire.get(wire_index)
            # A new id and a name at an index in use: a server that reuses one index for all calls.
            if found is not None and not (id_ and name and found.wire_id and id_ != found.wire_id):
                return found
        elif id_ and id_ in self._by_id:
            return self._by_id[id_]
        elif not id_ and self._slots:
            return self._slots[-1]  # a continuation that names neither index nor id
        slot = _Slot(index=len(self._slots), wire_id=id_, wire_index=wire_index)
        self._slots.append(slot)
        if wire_index is not None:
            self._by_wire[wire_index] = slot
        if id_:
            self._by_id.setdefault(id_, slot)
        return slot

    def _tool_call(self, tc: Mapping[str, Any], wire_index: int | None) -> list[StreamEvent]:
        """One fragment, checked by :func:`tool_call_wire` already."""
        fn = tc.get("function") or _EMPTY
        id_, name = _str(tc.get("id")), _str(fn.get("name")) or ""
        args = fn.get("arguments")
        if isinstance(args, Mapping):
            args = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
        fragment = args if isinstance(args, str) else ""
        slot = self._slot(wire_index, id_, name)
        if slot.wire_id is None and id_:
            slot.wire_id = id_
        if not slot.name and name:
            slot.name = name
        out: list[StreamEvent] = []
        if fragment:
            slot.args.append(fragment)
        if not slot.started and slot.name:
            out += self._start(slot)
            if slot.args:
                out.append(ToolCallDelta(index=slot.index, arguments="".join(slot.args)))
        elif slot.started and fragment:
            out.append(ToolCallDelta(index=slot.index, arguments=fragment))
        return out

    def _start(self, slot: _Slot) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        new = slot.wire_id or f"call_{slot.index}"
        if new in self._ids:
            out += [WarningRaised(warning=ProviderWarning(
                code="duplicate-tool-call-id", field="tool_calls",
                message=f"the server gave two tool calls the id {new!r}; the later one was renamed"))]
            while new in self._ids:
                new = f"{new}_{slot.index}"
        self._ids.add(new)
        slot.id, slot.started = new, True
        out.append(ToolCallStarted(index=slot.index, id=new, name=slot.name))
        return out

    def end_calls(self) -> list[StreamEvent]:
        """End every open tool call, with its arguments parsed."""
        out: list[StreamEvent] = []
        for slot in self._slots:
            if slot.ended:
                continue
            if not slot.started:
                out += self._warn_once("nameless-tool-call", "tool_calls",
                                       "the server streamed a tool call without a name")
                out += self._start(slot)
            slot.ended = True
            text = "".join(slot.args)
            args, raw = parse_arguments(text)
            call = ToolCallPart(id=slot.id, name=slot.name, arguments=args, raw_arguments=raw)
            warning = unparsed_arguments(call)
            if warning is not None:
                out.append(WarningRaised(warning=warning))
            out.append(ToolCallEnded(index=slot.index, call=call))
        return out

    # -- as the toolkit's read loop's handler (modelplex.toolkit.SSEHandler) ----------------------
    def event(self, sse: SSEEvent) -> list[StreamEvent]:
        """The events of one server-sent event, through the call's ``parse_stream_event`` stage."""
        return self.call.stages.parse_stream_event(self.call, self, sse)

    def end(self, broken: Exception | None, pending: bool) -> list[StreamEvent]:
        """The closing events once reading stops, or the error for a stream cut off before its end
        (no ``[DONE]`` and no finish reason, an event cut in half, a broken connection)."""
        if broken is not None or (not self.done and (pending or self.finish_reason is None)):
            raise interrupted(provider=self.call.provider, model=self.call.model, broken=broken,
                              pending=pending, before="its finish reason")
        return self.finish()

    # -- the end ---------------------------------------------------------------------------------
    def finish(self) -> list[StreamEvent]:
        """The closing events: held text, open calls, usage (estimated if none came), finish."""
        out: list[StreamEvent] = []
        if self.think is not None:
            out += self._runs(self.think.flush())
        out += self.end_calls()
        usage = self.usage
        if usage is None:
            args = sum(len("".join(s.args)) + len(s.name) for s in self._slots)
            usage = estimate(self.call.request.messages, self._chars["text"] + args,
                             self._chars["reasoning"])
        out += [WarningRaised(warning=w) for w in self.usage_warnings]
        out.append(UsageReported(usage=usage))
        out.append(Finished(reason=self.call.stages.map_finish_reason(self.finish_reason),
                            raw_reason=self.finish_reason))
        return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_stream_event(call: Call, state: StreamState, event: SSEEvent) -> list[StreamEvent]:
    """The events for one SSE event: ``[DONE]`` marks the end; an ``error`` event, or a chunk that
    holds ``{"error": ...}``, raises the mapped error (after the events already delivered)."""
    data = event.data
    if data == "[DONE]" or data.strip() == "[DONE]":
        state.done = True
        return []
    try:
        chunk = _loads(data)
    except ValueError:
        raise ResponseParseError(f"a stream event is not JSON: {event.data[:200]!r}",
                                 provider=call.provider, model=call.model) from None
    if event.event == "error":
        raise stream_error(call.provider, call.model,
                           chunk if isinstance(chunk, Mapping) and "error" in chunk
                           else {"error": chunk}, call.stages.map_error)
    if type(chunk) is not dict and not is_object(chunk):  # a dict, what JSON gives, without a call
        raise ResponseParseError("a stream event is not a JSON object", provider=call.provider,
                                 model=call.model)
    if chunk.get("error"):
        raise stream_error(call.provider, call.model, chunk, call.stages.map_error)
    state.last = chunk
    return state.chunk(chunk)
