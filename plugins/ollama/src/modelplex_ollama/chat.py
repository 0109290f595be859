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
    data = checked(raw, ctx.name, request.model, where="reply")
    message = message_of(data)
    parts: list[Part] = []
    thinking = text_of(message, "thinking")
    if thinking:
        parts.append(ReasoningPart(text=thinking, origin=Origin(provider=ctx.name, model=request.model)))
    content = text_of(message, "content")
    if content:
        parts.append(TextPart(text=content))
    calls = tool_calls_of(data, CallIds(), codec) if message.get("tool_calls") else []
    parts.extend(calls)
    done_reason = data.get("done_reason")
    model = data.get("model")
    return ChatResponse(provider=ctx.name, model=model if isinstance(model, str) and model else request.model,
                        parts=parts, finish_reason=finish_of(done_reason, bool(calls)),
                        raw_finish_reason=done_reason if isinstance(done_reason, str) else None,
                        usage=usage_of(data), warnings=warnings,
                        raw=dict(data) if request.options.include_raw else None)
