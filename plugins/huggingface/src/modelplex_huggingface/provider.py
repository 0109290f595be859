"""The router's provider: the shared Chat Completions plumbing with the router's error mapping, and
embeddings sent to a Text Embeddings Inference server (:mod:`modelplex_huggingface.tei`)."""

from __future__ import annotations

import attrs
from modelplex_openai_compat import CompatConfig, CompatProvider, Profile, Stages

from modelplex import EmbedRequest, EmbedResponse, ProviderContext
from modelplex_huggingface.errors import map_error


class HuggingFaceProvider(CompatProvider):
    """Chat through the router as any OpenAI-compatible server; model ids, provider-selection suffixes
    (``:fastest``, ``:cheapest``, ``:groq``...) included, go to the router as the caller wrote them."""

    def __init__(self, config: CompatConfig, profile: Profile) -> None:
        super().__init__(config, profile, attrs.evolve(Stages(), map_error=map_error))

    async def embed(self, ctx: ProviderContext, request: EmbedRequest) -> EmbedResponse:
        """Embeddings from the Text Embeddings Inference server the ``tei_url`` option names (the token
        goes with them only to a server Hugging Face hosts)."""
        from modelplex_huggingface.tei import embed

        return await embed(ctx, request, self.headers(ctx))
