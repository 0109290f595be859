"""Shared test helpers: the recordings, a client on a mock transport, requests for the stages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from modelplex import AsyncClient, ChatOptions, ChatRequest, Message, StreamEvent
from modelplex_testing import Recording

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "gemini-test-key-0123456789abcdef"


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def request(*messages: Message | str, model: str = "gemini-2.5-flash", **options: Any) -> ChatRequest:
    """A :class:`ChatRequest`; strings are user messages, ``options`` :class:`ChatOptions` fields."""
    msgs = tuple(Message.user(m) if isinstance(m, str) else m for m in messages) or (
        Message.user("hi"),)
    return ChatRequest(model=model, messages=msgs, options=ChatOptions(**options))


def sse(*chunks: dict[str, Any] | str) -> bytes:
    """A Gemini SSE body: one ``data:`` event per chunk, each ended by a blank line (CRLF, as
    Gemini sends them)."""
    return b"".join(f"data: {c if isinstance(c, str) else json.dumps(c)}\r\n\r\n".encode()
                    for c in chunks)


def reply(*parts: dict[str, Any], finish: str | None = "STOP", usage: dict[str, Any] | None = None,
          response_id: str = "resp-1", model: str = "gemini-2.5-flash",
          **candidate: Any) -> dict[str, Any]:
    """A ``GenerateContentResponse`` with one candidate holding ``parts``."""
    cand: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0, **candidate}
    if finish is not None:
        cand["finishReason"] = finish
    out: dict[str, Any] = {"candidates": [cand], "modelVersion": model, "responseId": response_id}
    if usage is not None:
        out["usageMetadata"] = usage
    return out


class Handler:
    """A mock transport answering from a function, keeping every request it saw."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.sent: list[httpx.Request] = []
        self._answer = answer
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, req: httpx.Request) -> httpx.Response:
        self.sent.append(req)
        return self._answer(req)

    def json(self, index: int = -1) -> Any:
        return json.loads(self.sent[index].content)


def answering(*bodies: Any, status: int = 200, stream: bool = False) -> Handler:
    """Answers the given bodies in turn (the last one repeats): JSON, or SSE bytes when ``stream``."""
    queue = list(bodies)

    def answer(req: httpx.Request) -> httpx.Response:
        body = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers={"content-type": "text/event-stream"})
        return httpx.Response(status, json=body)

    return Handler(answer)


def client(handler: Handler, **settings: Any) -> AsyncClient:
    from modelplex_gemini import plugin

    return AsyncClient(plugins={"gemini": plugin}, autoload=False, config_file=False, env={},
                       providers={"gemini": {"api_key": KEY, "transport": handler.transport,
                                             **settings}})


def chat(handler: Handler, messages: Sequence[Message] | str = "hi",
         model: str = "gemini/gemini-2.5-flash", **options: Any) -> Any:
    async def go() -> Any:
        async with client(handler) as c:
            return await c.chat(model, messages if isinstance(messages, str) else list(messages),
                                **options)
    return asyncio.run(go())


def stream(handler: Handler, messages: Sequence[Message] | str = "hi",
           model: str = "gemini/gemini-2.5-flash", **options: Any) -> tuple[Any, list[StreamEvent]]:
    events: list[StreamEvent] = []

    async def go() -> Any:
        async with client(handler) as c, c.stream(
                model, messages if isinstance(messages, str) else list(messages), **options) as s:
            async for event in s:
                events.append(event)
        return s.response
    return asyncio.run(go()), events
