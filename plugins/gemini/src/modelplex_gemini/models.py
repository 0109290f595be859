"""``GET /v1beta/models``, every page, as :class:`~modelplex.ModelInfo`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import Capabilities, ModelInfo, ProviderContext
from modelplex_gemini.provider import api_root, headers, json_body

PAGE_SIZE = 1000
MAX_PAGES = 100


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def model_info(provider: str, item: Mapping[str, Any]) -> ModelInfo:
    """``inputTokenLimit`` is the context window, ``outputTokenLimit`` the most output;
    ``supportedGenerationMethods`` says chat (``generateContent``, which also streams) and
    embeddings (``embedContent``); ``thinking`` says reasoning where Gemini gives it."""
    methods = item.get("supportedGenerationMethods")
    known = isinstance(methods, list)
    names = {m for m in methods if isinstance(m, str)} if isinstance(methods, list) else set()
    chat = "generateContent" in names if known else None
    embeddings = bool({"embedContent", "batchEmbedContents"} & names) if known else None
    thinking = item.get("thinking")
    display = item.get("displayName")
    return ModelInfo(
        id=str(item["name"]).removeprefix("models/"), provider=provider,
        name=display if isinstance(display, str) else None,
        context_window=_int(item.get("inputTokenLimit")), max_output=_int(item.get("outputTokenLimit")),
        capabilities=Capabilities(chat=chat, streaming=chat if known else None, embeddings=embeddings,
                                  reasoning=thinking if isinstance(thinking, bool) else None))


async def list_models(ctx: ProviderContext) -> list[ModelInfo]:
    """Follows ``nextPageToken`` until the last page (and stops on a token seen before)."""
    out: list[ModelInfo] = []
    token: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"pageSize": PAGE_SIZE}
        if token:
            params["pageToken"] = token
        response = await ctx.http.get(f"{api_root(ctx)}/models", params=params, headers=headers(ctx))
        data = json_body(ctx, None, response)
        items = data.get("models") if isinstance(data, Mapping) else None
        out += [model_info(ctx.name, m) for m in items or () if isinstance(m, Mapping)
                and isinstance(m.get("name"), str)]
        following = data.get("nextPageToken") if isinstance(data, Mapping) else None
        if not isinstance(following, str) or not following or following in seen:
            break
        seen.add(following)
        token = following
    return out
