"""Shared test helpers: the ``azure`` plugin run through a real client over ``httpx.MockTransport``,
the recorded fixtures, and Azure-shaped replies (with content-filter results)."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

import modelplex
from modelplex import ChatResponse, StreamEvent
from modelplex_testing import Recording

FIXTURES = Path(__file__).parent / "fixtures" / "azure"
KEY = "azure-test-key-0123456789abcdef0123"
ENDPOINT = "https://my-resource.openai.azure.com"
SAFE = {"hate": {"filtered": False, "severity": "safe"},
        "self_harm": {"filtered": False, "severity": "safe"},
        "sexual": {"filtered": False, "severity": "safe"},
        "violence": {"filtered": False, "severity": "safe"}}
USAGE = {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32,
         "prompt_tokens_details": {"cached_tokens": 4},
         "completion_tokens_details": {"reasoning_tokens": 0}}


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def response_body(name: str) -> dict[str, Any]:
    body = recording(name).response["body"]
    assert isinstance(body, dict)
    return copy.deepcopy(body)


def reply(content: str | None = "ok", *, finish: str = "stop",
          filter_results: Mapping[str, Any] | None = None,
          prompt_results: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A whole Azure chat completion, with prompt and reply filter results."""
    return {"id": "chatcmpl-az1", "object": "chat.completion", "model": "gpt-4o-2024-11-20",
            "prompt_filter_results": [{"prompt_index": 0,
                                       "content_filter_results": dict(prompt_results or SAFE)}],
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                         "message": {"role": "assistant", "content": content},
                         "content_filter_results": dict(filter_results or SAFE)}],
            "usage": USAGE}


def prompt_filter_chunk() -> dict[str, Any]:
    """The first chunk of an Azure OpenAI stream: the prompt's filter results, no choices."""
    return {"choices": [], "created": 0, "id": "", "model": "", "object": "",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": SAFE}]}


def filtered_violence() -> dict[str, Any]:
    return {**SAFE, "violence": {"filtered": True, "severity": "high"}}


def content_filter_400(**categories: Mapping[str, Any]) -> dict[str, Any]:
    """Azure's answer to a prompt its content filter refuses."""
    return {"error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                   "management policy. Please modify your prompt and retry.",
        "type": None, "param": "prompt", "code": "content_filter", "status": 400,
        "innererror": {"code": "ResponsibleAIPolicyViolation",
                       "content_filter_result": {**SAFE, **categories}}}}


class Recorder:
    """A MockTransport handler: answers with ``replies`` in order (the last repeats) and keeps
    every request."""

    def __init__(self, *replies: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> None:
        self.replies = list(replies) or [httpx.Response(200, json=reply())]
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        answer = self.replies[min(len(self.sent), len(self.replies)) - 1]
        return answer(request) if callable(answer) else answer

    def json(self, index: int = 0) -> Any:
        return json.loads(self.sent[index].content)


def sse(*chunks: Mapping[str, Any], done: bool = True) -> httpx.Response:
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + ("data: [DONE]\n\n" if done else "")
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


def client(recorder: Recorder, *, env: Mapping[str, str] | None = None,
           **settings: Any) -> modelplex.AsyncClient:
    """A client whose only provider is ``azure`` (loaded from the plugin module), requests going to
    ``recorder``. ``settings`` are the provider's (``base_url`` and ``api_key`` default to the test
    ones unless ``env`` is given, to test the environment variables)."""
    from modelplex_azure import plugin

    defaults: dict[str, Any] = {} if env is not None else {"api_key": KEY, "base_url": ENDPOINT}
    return modelplex.AsyncClient(plugins={"azure": plugin.PLUGIN}, autoload=False, config_file=False,
                                 env=dict(env or {}),
                                 providers={"azure": {**defaults, **settings,
                                                      "transport": httpx.MockTransport(recorder)}})


def chat(recorder: Recorder, messages: Any = "hi", *, model: str = "my-deployment",
         env: Mapping[str, str] | None = None, settings: Mapping[str, Any] | None = None,
         **options: Any) -> ChatResponse:
    async def go() -> ChatResponse:
        async with client(recorder, env=env, **dict(settings or {})) as c:
            return await c.chat(f"azure/{model}", messages, **options)

    return asyncio.run(go())


def stream(recorder: Recorder, messages: Any = "hi", *, model: str = "my-deployment",
           settings: Mapping[str, Any] | None = None,
           **options: Any) -> tuple[ChatResponse, list[StreamEvent]]:
    events: list[StreamEvent] = []

    async def go() -> ChatResponse:
        async with client(recorder, **dict(settings or {})) as c, c.stream(
                f"azure/{model}", messages, **options) as s:
            async for event in s:
                events.append(event)
        assert s.response is not None
        return s.response

    return asyncio.run(go()), events


def warnings_of(events: Sequence[StreamEvent]) -> list[modelplex.ProviderWarning]:
    return [e.warning for e in events if isinstance(e, modelplex.WarningRaised)]
