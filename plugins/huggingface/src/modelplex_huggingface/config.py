"""Where the Hugging Face router is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from modelplex_openai_compat import CompatConfig, Profile

DEFAULT_BASE_URL = "https://router.huggingface.co/v1"
TEI_OPTION = "tei_url"
"""The provider option naming a Text Embeddings Inference server (``[providers.huggingface] tei_url``)."""

CONFIG = CompatConfig(
    name="Hugging Face",
    catalog="modelplex_huggingface:models.json",
    description="Hugging Face: Inference Providers router (open models, :fastest/:cheapest/:provider "
                "suffixes), Text Embeddings Inference for embeddings",
    default_base_url=DEFAULT_BASE_URL,
    # huggingface_hub reads HF_TOKEN, then the older HUGGING_FACE_HUB_TOKEN it still honours.
    api_key_env=("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"),
    base_url_env=("HF_BASE_URL",),
    option_env={TEI_OPTION: ("HF_TEI_URL",)},
)

PROFILE = Profile(
    # The router relays each provider's own reply: DeepSeek-R1 and Qwen3 on several providers write
    # their reasoning inline between <think> tags, others in a "reasoning" or "reasoning_content" field.
    think_tags=True,
    reasoning_fields=("reasoning_content", "reasoning"),
    # Embeddings go to a Text Embeddings Inference server (modelplex_huggingface.tei), not the router,
    # which serves no /embeddings route; True keeps the plugin's embed hook.
    supports_embeddings=True,
)
