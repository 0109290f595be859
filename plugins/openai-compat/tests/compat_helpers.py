"""Shared test helpers: a provider built from the library, run through a real client and a mock
transport; recorded fixtures; synthetic SSE bodies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
from modelplex_openai_compat import Call, CompatConfig, CompatProvider, Profile, Stages, compat_plugin

from modelplex import AsyncClient, ChatOptions, ChatRequest, Message, StreamEvent
from modelplex_testing import Recording

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "sk-compat-test-key-0123456789abcdef"
BASE = "https://api.acme.example/v1"


def recording(name: str) -> Recording:
    """``"deepseek/01_text"`` -> the recording in tests/fixtures."""
    return Recording.load(FIXTURES / f"{name}.json")


def all_recordings() -> list[str]:
    return sorted(str(p.relative_to(FIXTURES).with_suffix("")) for p in FIXTURES.glob("*/*.json"))


def make_call(profile: Profile | None = None, messages: Sequence[Message] = (Message.user("hi"),),
              *, model: str = "m-1", provider: str = "acme", stream: bool = False,
              stages: Stages | None = None, **options: Any) -> Call:
    """A :class:`Call` for the stages to work on; ``options`` are :class:`ChatOptions` fields."""
    profile, stages = profile or Profile(), stages or Stages()
    request = ChatRequest(model=model, messages=tuple(messages), options=ChatOptions(**options))
    return Call(provider=provider, model=model, request=request, profile=profile,
                codec=stages.tool_codec(profile, provider), stages=stages, stream=stream)


def sse(*chunks: Mapping[str, Any] | str, done: bool = True) -> bytes:
    """An SSE body: each chunk a ``data:`` event (dicts as JSON), then ``[DONE]``."""
    lines = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def chunk(delta: Mapping[str, Any] | None = None, finish: str | None = None,
          **extra: Any) -> dict[str, Any]:
    return {"id": "c-1", "model": "m-1-2025", "choices": [
        {"index": 0, "delta": dict(delta or {}), "finish_reason": finish}], **extra}


Handler = Callable[[httpx.Request], httpx.Response]


class Harness:
    """A client whose only provider, ``acme``, is a :class:`CompatProvider`; requests go to
    ``handler`` (or a canned response) and are kept in :attr:`sent`."""

    def __init__(self, provider: CompatProvider | None = None, *,
                 settings: Mapping[str, Any] | None = None) -> None:
        self.provider = provider or CompatProvider(CompatConfig(name="Acme", default_base_url=BASE))
        self.settings = {"api_key": KEY, **(settings or {})}
        self.sent: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    def reply(self, *responses: httpx.Response) -> Harness:
        self.responses.extend(responses)
        return self

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return self.responses.pop(0)

    def client(self) -> AsyncClient:
        settings = {**self.settings, "transport": httpx.MockTransport(self._handle)}
        provider = self.provider
        plugin = compat_plugin(provider.config, provider.profile, provider=lambda: provider)
        return AsyncClient(plugins={"acme": plugin}, autoload=False,
                           config_file=False, env={}, providers={"acme": settings})

    def run(self, coro: Callable[[AsyncClient], Any]) -> Any:
        async def go() -> Any:
            async with self.client() as client:
                return await coro(client)
        return asyncio.run(go())

    def chat(self, messages: Any = "hi", **options: Any) -> Any:
        return self.run(lambda c: c.chat("acme/m-1", messages, **options))

    def stream(self, messages: Any = "hi", **options: Any) -> tuple[list[StreamEvent], Any]:
        events: list[StreamEvent] = []

        async def go(client: AsyncClient) -> Any:
            async with client.stream("acme/m-1", messages, **options) as s:
                async for event in s:
                    events.append(event)
            return s.response
        return events, self.run(go)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.sent[index].content)


def sse_response(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"content-type": "text/event-stream"}, content=body)


def json_response(data: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)
