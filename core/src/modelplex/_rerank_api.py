"""``AsyncClient.rerank``, imported into the client's class body: the client's module stays within the
length the call path's tests allow, and as light to import (the work loads with the first rerank)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelplex._rerank import RerankResponse


# ``self`` is left unannotated, as a method's is: the sync client's twin must show the same signature.
async def rerank(self, model: str, query: str, documents: str | Sequence[str], *,  # type: ignore[no-untyped-def]
                 top_n: int | None = None, tags: Mapping[str, str] | None = None,
                 caller: str | None = None, **extra: Any) -> RerankResponse:
    """``documents`` ordered by relevance to ``query`` by ``model`` (``provider/model``, or a chain of
    rerankers you define: retries, limits and fallbacks apply as to a chat), the best ``top_n``
    (default: all); ``extra`` goes to the provider as it is (Cohere's ``max_tokens_per_doc``).
    ``tags`` and ``caller``: as for :meth:`chat`. See :mod:`modelplex._rerank`."""
    from modelplex._rerank import rerank as call

    return await call(self, model, query, documents, top_n, extra, tags, caller)
