"""One chat reply, not streamed: ``POST /api/chat`` with ``"stream": false``."""

from __future__ import annotations

from modelplex import (
    ChatRequest,
    ChatResponse,
    Origin,
    Part,
    ProviderContext,
    ReasoningPart,
    TextPart,
)
from modelplex.toolkit import Reader
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
from modelplex_ollama.tools import CallIds, OllamaToolCodec


async def chat(ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
    codec = OllamaToolCodec(provider=ctx.name)
    body, warnings = build_body(ctx.settings, request, stream=False, codec=codec)
    api = OllamaAPI.of(ctx)
    raw = await api.json("POST", "/api/chat", body=body, model=request.model)
    read = Reader(provider=ctx.name, model=request.model)
    data = checked(raw, read, where="reply")
    message = message_of(read, data)
    parts: list[Part] = []
    thinking = text_of(read, message, "thinking")
    if thinking:
        parts.append(ReasoningPart(text=thinking, origin=Origin(provider=ctx.name, model=request.model)))
    content = text_of(read, message, "content")
    if content:
        parts.append(TextPart(text=content))
    calls = tool_calls_of(read, data, CallIds(), codec) if message.get("tool_calls") is not None else []
    parts.extend(calls)
    warnings += [w for c in calls if (w := unparsed_arguments(c)) is not None]
    done_reason = read.optional_string(data, "done_reason")
    return ChatResponse(provider=ctx.name, model=read.optional_string(data, "model") or request.model,
                        parts=parts, finish_reason=finish_of(done_reason, bool(calls)),
                        raw_finish_reason=done_reason,
                        usage=usage_of(data), warnings=warnings,
                        raw=dict(data) if request.options.include_raw else None)
