"""``GET /v1/models``, every page, as :class:`~modelplex.ModelInfo`.

A model is ``{"name", "endpoints": ["chat", "embed", "rerank", ...], "features": ["tools",
"json_schema", "vision", ...], "context_length", "finetuned", ...}``; pages follow ``next_page_token``.
A list Cohere leaves out says nothing: its capabilities stay unknown, never false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import Capabilities, ModelInfo, ProviderContext
from modelplex_cohere.config import headers, json_body, url

PAGE_SIZE = 1000  # the most Cohere gives in one page
MAX_PAGES = 100


def _names(value: Any) -> set[str] | None:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else None


def model_info(provider: str, item: Mapping[str, Any]) -> ModelInfo:
    """What one listed model says: its endpoints say chat and embeddings, its features tools,
    JSON Schema replies and images, ``context_length`` the context window."""
    endpoints, features = _names(item.get("endpoints")), _names(item.get("features"))
    chat = "chat" in endpoints if endpoints is not None else None

    def feature(name: str) -> bool | None:
        return None if features is None or not chat else name in features

    window = item.get("context_length")
    return ModelInfo(
        id=str(item["name"]), provider=provider,
        context_window=int(window) if isinstance(window, int | float) and not isinstance(window, bool)
        and window > 0 else None,
        capabilities=Capabilities(chat=chat, streaming=chat,
                                  embeddings="embed" in endpoints if endpoints is not None else None,
                                  tools=feature("tools"), parallel_tool_calls=feature("tools"),
                                  json_schema=feature("json_schema"), vision=feature("vision")))


async def list_models(ctx: ProviderContext) -> list[ModelInfo]:
    """Follows ``next_page_token`` to the last page (and stops on a token seen before)."""
    out: list[ModelInfo] = []
    token: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"page_size": PAGE_SIZE}
        if token:
            params["page_token"] = token
        response = await ctx.http.get(url(ctx, "v1/models"), params=params, headers=headers(ctx))
        data = json_body(ctx, None, response)
        items = data.get("models") if isinstance(data, Mapping) else None
        out += [model_info(ctx.name, m) for m in items or ()
                if isinstance(m, Mapping) and isinstance(m.get("name"), str)]
        following = data.get("next_page_token") if isinstance(data, Mapping) else None
        if not isinstance(following, str) or not following or following in seen:
            break
        seen.add(following)
        token = following
    return out
