"""``fake``: a scripted provider for application tests, registered through the entry point like any other.

Give it a script, a list of turns, one consumed per call (the last one repeats)::

    client = modelplex.Client(providers={"fake": {"script": [
        {"text": "Let me look.", "tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}}]},
        {"text": "It is sunny.", "usage": {"input": 12, "output": 4}},
    ]}})

or a JSON file of that list in ``script_file`` (or the ``MODELPLEX_FAKE_SCRIPT`` environment variable).
A turn's keys: ``text``, ``reasoning``, ``tool_calls`` (``name``, ``arguments``, optional ``id``),
``finish_reason``, ``usage`` (the buckets), ``warnings`` (strings), ``error`` (``{"status": 429,
"message": ..., "retry_after": 2}`` raises the error the status maps to; ``{"transport": true}`` a
transport error), ``cut_after`` (a stream stops after that many events, as a dropped connection would)
and ``delay`` (seconds to wait before answering). Without a script the fake echoes the last user
message, and calls the tool that ``tool_choice`` requires.

A ``models`` setting replaces the model list (``[{"id": "small", "context_window": 100,
"capabilities": {"tools": false}}]``), so chains can be tested against what a provider says of its models.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from modelplex import (
    Capabilities,
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    Finished,
    FinishReason,
    ModelInfo,
    Origin,
    ProviderContext,
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
    structure,
)
from modelplex.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ContextLengthExceededError,
    ModelNotFoundError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    TransportError,
)
from modelplex.hookspecs import hookimpl
from modelplex_testing import fake_plugin
from modelplex_testing._canonical import CanonicalToolCodec

SCRIPT_ENV = "MODELPLEX_FAKE_SCRIPT"
MODELS = ("echo", "thinker", "embedder")


# One description of the provider, shared with the light entry-point module.
modelplex_provider_info = fake_plugin.modelplex_provider_info


def _script(ctx: ProviderContext) -> list[dict[str, Any]] | None:
    if "script" in ctx.state:
        return ctx.state["script"]  # type: ignore[no-any-return]
    script: Any = ctx.settings.options.get("script")
    path = ctx.settings.options.get("script_file") or os.environ.get(SCRIPT_ENV)
    if script is None and path:
        with open(str(path), encoding="utf-8") as f:
            script = json.load(f)
    if script is not None and not (isinstance(script, list) and all(isinstance(t, dict) for t in script)):
        raise ConfigurationError(f"{ctx.name}: the script must be a list of turn objects")
    ctx.state["script"] = script
    return script


def _next_turn(ctx: ProviderContext, request: ChatRequest) -> dict[str, Any]:
    script = _script(ctx)
    if not script:
        return _echo(request)
    index: int = ctx.state.get("turn", 0)
    ctx.state["turn"] = index + 1
    turn: dict[str, Any] = script[min(index, len(script) - 1)]
    return turn


def _echo(request: ChatRequest) -> dict[str, Any]:
    last = next((m.text for m in reversed(request.messages) if m.role == "user"), "")
    choice = request.options.tool_choice
    if request.options.tools and choice is not None and choice.mode in ("required", "tool"):
        tool = next((t for t in request.options.tools if t.name == choice.name), request.options.tools[0])
        props = tool.parameters.get("properties", {})
        args = {k: last for k in props} if isinstance(props, dict) else {}
        return {"tool_calls": [{"name": tool.name, "arguments": args}]}
    return {"text": f"echo: {last}"}


async def _delay(turn: dict[str, Any]) -> None:
    if turn.get("delay"):
        import anyio

        await anyio.sleep(float(turn["delay"]))


def _raise(provider: str, model: str, error: dict[str, Any]) -> None:
    if error.get("transport"):
        raise TransportError(str(error.get("message", "scripted connection failure")), provider=provider,
                             model=model)
    status = int(error.get("status", 500))
    message = str(error.get("message", "scripted error"))
    kinds: dict[int, type[APIStatusError]] = {401: AuthenticationError, 403: AuthenticationError,
                                              404: ModelNotFoundError, 400: BadRequestError}
    if status == 429:
        raise RateLimitError(message, provider=provider, model=model,
                             retry_after=error.get("retry_after"))
    if status == 400 and error.get("context_length"):
        raise ContextLengthExceededError(message, provider=provider, model=model, status_code=400)
    kind = kinds.get(status, ServerError if status >= 500 else BadRequestError)
    raise kind(message, provider=provider, model=model, status_code=status)


def _usage(turn: dict[str, Any], request: ChatRequest, text: str) -> Usage:
    if "usage" in turn:
        return structure(turn["usage"], Usage)
    words = sum(len(m.text.split()) for m in request.messages)
    return Usage(input=words, output=len(text.split()))


def _calls(provider: str, model: str, turn: dict[str, Any]) -> list[ToolCallPart]:
    origin = Origin(provider=provider, model=model)
    return [ToolCallPart(id=str(c.get("id", f"call_{i}")), name=c["name"],
                         arguments=c.get("arguments", {}), origin=origin)
            for i, c in enumerate(turn.get("tool_calls", []))]


def _finish(turn: dict[str, Any], calls: Sequence[ToolCallPart]) -> FinishReason:
    if "finish_reason" in turn:
        return FinishReason(turn["finish_reason"])
    return FinishReason.TOOL_CALLS if calls else FinishReason.STOP


@hookimpl
def modelplex_chat(ctx: ProviderContext, request: ChatRequest) -> Any:
    async def run() -> ChatResponse:
        turn = _next_turn(ctx, request)
        await _delay(turn)
        if "error" in turn:
            _raise(ctx.name, request.model, turn["error"])
        text = str(turn.get("text", ""))
        calls = _calls(ctx.name, request.model, turn)
        parts: list[Any] = []
        if turn.get("reasoning"):
            parts.append(ReasoningPart(text=turn["reasoning"], signature=turn.get("signature"),
                                       origin=Origin(provider=ctx.name, model=request.model)))
        if text:
            parts.append(TextPart(text=text))
        parts.extend(calls)
        return ChatResponse(provider=ctx.name, model=request.model, parts=tuple(parts),
                            finish_reason=_finish(turn, calls), raw_finish_reason=turn.get("finish_reason"),
                            usage=_usage(turn, request, text),
                            warnings=tuple(ProviderWarning(code="scripted", message=w)
                                           for w in turn.get("warnings", ())),
                            raw=turn if request.options.include_raw else None)
    return run()


def _events(ctx: ProviderContext, request: ChatRequest, turn: dict[str, Any]) -> list[StreamEvent]:
    events: list[StreamEvent] = [ResponseStarted(id="fake-1", model=request.model)]
    events += [WarningRaised(warning=ProviderWarning(code="scripted", message=w))
               for w in turn.get("warnings", ())]
    if turn.get("reasoning"):
        events += [ReasoningDelta(text=w) for w in _pieces(turn["reasoning"])]
        if turn.get("signature"):
            events.append(ReasoningDelta(signature=turn["signature"]))
    text = str(turn.get("text", ""))
    events += [TextDelta(text=w) for w in _pieces(text)]
    calls = _calls(ctx.name, request.model, turn)
    for i, call in enumerate(calls):
        args = json.dumps(call.arguments)
        events.append(ToolCallStarted(index=i, id=call.id, name=call.name))
        events += [ToolCallDelta(index=i, arguments=args[:len(args) // 2]),
                   ToolCallDelta(index=i, arguments=args[len(args) // 2:])]
        events.append(ToolCallEnded(index=i, call=call))
    events.append(UsageReported(usage=_usage(turn, request, text)))
    events.append(Finished(reason=_finish(turn, calls), raw_reason=turn.get("finish_reason")))
    return events


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]] if text else []


@hookimpl
def modelplex_chat_stream(ctx: ProviderContext, request: ChatRequest) -> Any:
    @asynccontextmanager
    async def open_stream() -> AsyncIterator[AsyncIterator[StreamEvent]]:
        turn = _next_turn(ctx, request)
        await _delay(turn)
        if "error" in turn:
            _raise(ctx.name, request.model, turn["error"])
        events = _events(ctx, request, turn)
        cut = turn.get("cut_after")

        async def iterate() -> AsyncIterator[StreamEvent]:
            for n, event in enumerate(events):
                if cut is not None and n >= cut:
                    raise StreamInterruptedError(f"scripted cut after {cut} events",
                                                 provider=ctx.name, model=request.model)
                yield event
        yield iterate()
    return open_stream()


def _vector(text: str, dims: int) -> tuple[float, ...]:
    raw = b""
    counter = 0
    while len(raw) < dims:
        raw += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    values = [b / 255.0 - 0.5 for b in raw[:dims]]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return tuple(v / norm for v in values)


@hookimpl
def modelplex_embed(ctx: ProviderContext, request: EmbedRequest) -> Any:
    async def run() -> EmbedResponse:
        dims = request.dimensions or 8
        return EmbedResponse(provider=ctx.name, model=request.model,
                             vectors=[_vector(t, dims) for t in request.inputs],
                             usage=Usage(input=sum(len(t.split()) for t in request.inputs)))
    return run()


@hookimpl
def modelplex_list_models(ctx: ProviderContext) -> Any:
    async def run() -> list[ModelInfo]:
        listed: Any = ctx.settings.options.get("models")
        if listed is not None:
            return [structure({"provider": ctx.name, **m}, ModelInfo) for m in listed]
        chat = Capabilities(chat=True, streaming=True, tools=True, parallel_tool_calls=True,
                            json_schema=True, reasoning=True, vision=True, embeddings=False)
        return [
            ModelInfo(id="echo", provider=ctx.name, context_window=8192, max_output=1024,
                      capabilities=chat, local=True),
            ModelInfo(id="thinker", provider=ctx.name, context_window=8192, max_output=1024,
                      capabilities=chat, local=True),
            ModelInfo(id="embedder", provider=ctx.name, context_window=512,
                      capabilities=Capabilities(embeddings=True, chat=False), local=True),
        ]
    return run()


@hookimpl
def modelplex_tool_codec(ctx: ProviderContext) -> CanonicalToolCodec:
    return CanonicalToolCodec()
