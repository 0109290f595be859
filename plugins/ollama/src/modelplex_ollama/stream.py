"""A streamed chat reply: ``POST /api/chat`` read as NDJSON, each object turned into typed events.

Ollama sends each tool call whole, arguments and all, in one object: each becomes
``ToolCallStarted``, one ``ToolCallDelta`` with the arguments and ``ToolCallEnded``, with an id
(Ollama's, or one made up, see :class:`~modelplex_ollama.tools.CallIds`). The object with
``"done": true`` gives the usage and the finish; a stream that ends without it, or in the middle of
a line, raises :class:`~modelplex.errors.StreamInterruptedError`; an ``{"error": ...}`` line raises
its error. Both come after the events already delivered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx

from modelplex import (
    ChatRequest,
    Finished,
    ProviderContext,
    ProviderWarning,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex.errors import StreamInterruptedError
from modelplex.toolkit import Reader, ndjson_stream, text_delta
from modelplex.toolkit.tools import unparsed_arguments
from modelplex_ollama.api import OllamaAPI
from modelplex_ollama.body import build_body
from modelplex_ollama.reply import (
    checked,
    finish_of,
    message_of,
    text_of,
    tool_calls_of,
    usage_of,
)
from modelplex_ollama.tools import CallIds, OllamaToolCodec, arguments_json


class StreamParser:
    """Turns the objects of one streamed reply into events; :attr:`done` once the last came."""

    def __init__(self, provider: str, model: str, codec: OllamaToolCodec | None = None) -> None:
        self.provider, self.model = provider, model
        self.codec = codec or OllamaToolCodec(provider=provider)
        self.ids = CallIds()
        self.calls = 0
        self.done = False
        self._started = False
        self._read = Reader(provider=provider, model=model)

    def feed(self, item: Any) -> list[StreamEvent]:
        """The events of one object of the stream."""
        if self._started and type(item) is dict and item.get("done") is False and "error" not in item:
            message = item.get("message")
            # The common object, a piece of text and nothing else, the short way.
            if type(message) is dict and len(message) <= 2 and "thinking" not in message \
                    and "tool_calls" not in message:
                content = message.get("content")
                if type(content) is str:
                    return [text_delta(content)] if content else []
        read = self._read
        data = checked(item, read)
        events: list[StreamEvent] = []
        if not self._started:
            self._started = True
            events.append(ResponseStarted(model=read.optional_string(data, "model") or None))
        message = message_of(read, data)
        thinking = text_of(read, message, "thinking")
        if thinking:
            events.append(ReasoningDelta(text=thinking))
        content = text_of(read, message, "content")
        if content:
            events.append(text_delta(content))
        for call in tool_calls_of(read, data, self.ids, self.codec):
            index, self.calls = self.calls, self.calls + 1
            args = call.raw_arguments if call.raw_arguments is not None else arguments_json(call.arguments)
            events += [ToolCallStarted(index=index, id=call.id, name=call.name),
                       ToolCallDelta(index=index, arguments=args)]
            warning = unparsed_arguments(call)
            if warning is not None:
                events.append(WarningRaised(warning=warning))
            events.append(ToolCallEnded(index=index, call=call))
        done = data.get("done")
        if done is not None and type(done) is not bool:
            read.optional_boolean(data, "done")  # names what is wrong
        if done is True:
            self.done = True
            reason = read.optional_string(data, "done_reason")
            events += [UsageReported(usage=usage_of(data)),
                       Finished(reason=finish_of(reason, self.calls > 0), raw_reason=reason)]
        return events


async def events(response: httpx.Response, parser: StreamParser,
                 warnings: Sequence[ProviderWarning] = ()) -> AsyncIterator[StreamEvent]:
    for warning in warnings:
        yield WarningRaised(warning=warning)
    feed = parser.feed
    async for item in ndjson_stream(response, provider=parser.provider, model=parser.model,
                                    server="Ollama"):
        for event in feed(item):
            yield event
        if parser.done:
            return
    raise StreamInterruptedError("the stream ended before Ollama said it was done",
                                 provider=parser.provider, model=parser.model)


@asynccontextmanager
async def chat_stream(ctx: ProviderContext, request: ChatRequest) -> (
        AsyncIterator[AsyncIterator[StreamEvent]]):
    codec = OllamaToolCodec(provider=ctx.name)
    body, warnings = build_body(ctx.settings, request, stream=True, codec=codec)
    async with OllamaAPI.of(ctx).stream("POST", "/api/chat", body=body, model=request.model) as response:
        yield events(response, StreamParser(ctx.name, request.model, codec), warnings)
