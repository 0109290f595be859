"""The ``huggingface`` plugin (entry point ``huggingface = "modelplex_huggingface.plugin:PLUGIN"``): a
declaration. Importing it imports no HTTP library; the provider, which sends embeddings to a Text
Embeddings Inference server, is built on the first call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import compat_plugin

from modelplex_huggingface.config import CONFIG, PROFILE

if TYPE_CHECKING:
    from modelplex_huggingface.provider import HuggingFaceProvider


def _provider() -> HuggingFaceProvider:
    from modelplex_huggingface.provider import HuggingFaceProvider

    return HuggingFaceProvider(CONFIG, PROFILE)


PLUGIN = compat_plugin(CONFIG, PROFILE, provider=_provider)
