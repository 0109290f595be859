"""A deliberately small Chat Completions plugin: just enough wire to prove the contract machinery works.

The real OpenAI-compatible plugins live in plugins/; this one exists so the kit tests itself against
real recordings without depending on them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from modelplex import (
    ChatRequest,
    ChatResponse,
    Finished,
    FinishReason,
    ProviderContext,
    ProviderInfo,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
)
from modelplex._stream import parse_arguments
from modelplex.errors import (
    AuthenticationError,
    BadRequestError,
    ModelNotFoundError,
    StreamInterruptedError,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl

FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH, "tool_calls": FinishReason.TOOL_CALLS}


@hookimpl
def modelplex_provider_info() -> ProviderInfo:
    return ProviderInfo(spec_version=SPEC_VERSION, default_base_url="https://api.example.invalid/v1")


def _body(request: ChatRequest, stream: bool) -> dict[str, Any]:
    messages = [{"content": m.text, "role": m.role} for m in request.messages]
    body: dict[str, Any] = {"messages": messages, "model": request.model, "stream": stream}
    if request.options.tools:
        body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                           "parameters": dict(t.parameters),
                                                           "strict": t.strict}}
                         for t in request.options.tools]
        body["tool_choice"] = "auto"
    return body


def _usage(u: dict[str, Any]) -> Usage:
    return Usage(input=u["prompt_tokens"], output=u["completion_tokens"])


def _raise(ctx: ProviderContext, model: str, response: httpx.Response) -> None:
    error = json.loads(response.read() or b"{}").get("error", {})
    message = error.get("message", response.reason_phrase)
    kind = {401: AuthenticationError, 404: ModelNotFoundError}.get(response.status_code, BadRequestError)
    raise kind(message, provider=ctx.name, model=model, status_code=response.status_code)


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Any:
    async def run() -> ChatResponse:
        response = await ctx.http.post(f"{ctx.settings.base_url}/chat/completions",
                                       json=_body(request, False),
                                       headers={"authorization": f"Bearer {ctx.api_key()}"})
        if response.status_code >= 400:
            _raise(ctx, request.model, response)
        data = response.json()
        choice = data["choices"][0]
        parts: list[Any] = []
        if choice["message"].get("content"):
            parts.append(TextPart(text=choice["message"]["content"]))
        for call in choice["message"].get("tool_calls") or []:
            args, raw = parse_arguments(call["function"]["arguments"])
            parts.append(ToolCallPart(id=call["id"], name=call["function"]["name"], arguments=args,
                                      raw_arguments=raw))
        return ChatResponse(provider=ctx.name, model=data["model"], parts=parts,
                            finish_reason=FINISH.get(choice["finish_reason"], FinishReason.OTHER),
                            raw_finish_reason=choice["finish_reason"], usage=_usage(data["usage"]))
    return run()


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> Any:
    @asynccontextmanager
    async def open_stream() -> AsyncIterator[AsyncIterator[StreamEvent]]:
        async with ctx.http.stream("POST", f"{ctx.settings.base_url}/chat/completions",
                                   json=_body(request, True),
                                   headers={"authorization": f"Bearer {ctx.api_key()}"}) as response:
            if response.status_code >= 400:
                await response.aread()
                _raise(ctx, request.model, response)
            yield _events(ctx, request, response)
    return open_stream()


async def _events(ctx: ProviderContext, request: ChatRequest,
                  response: httpx.Response) -> AsyncIterator[StreamEvent]:
    calls: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    pending: str | None = None
    async for line in response.aiter_lines():
        # An SSE event is complete only once the blank line after it arrives; a stream cut inside an
        # event leaves it pending, and the loop ends in StreamInterruptedError below.
        if line.startswith("data: "):
            pending = line
            continue
        if line or pending is None:
            continue
        line, pending = pending, None
        if line == "data: [DONE]":
            for index, call in sorted(calls.items()):
                args, raw = parse_arguments("".join(call["args"]))
                yield ToolCallEnded(index=index, call=ToolCallPart(id=call["id"], name=call["name"],
                                                                   arguments=args, raw_arguments=raw))
            yield Finished(reason=FINISH.get(finish or "", FinishReason.OTHER), raw_reason=finish)
            return
        chunk = json.loads(line[6:])
        if chunk.get("usage"):
            yield UsageReported(usage=_usage(chunk["usage"]))
        for choice in chunk.get("choices", []):
            delta = choice.get("delta", {})
            if delta.get("content"):
                yield TextDelta(text=delta["content"])
            for tc in delta.get("tool_calls") or []:
                if tc["index"] not in calls:
                    calls[tc["index"]] = {"id": tc["id"], "name": tc["function"]["name"], "args": []}
                    yield ToolCallStarted(index=tc["index"], id=tc["id"], name=tc["function"]["name"])
                fragment = tc.get("function", {}).get("arguments") or ""
                if fragment:
                    calls[tc["index"]]["args"].append(fragment)
                    yield ToolCallDelta(index=tc["index"], arguments=fragment)
            finish = choice.get("finish_reason") or finish
    raise StreamInterruptedError("stream ended without [DONE]", provider=ctx.name, model=request.model)
