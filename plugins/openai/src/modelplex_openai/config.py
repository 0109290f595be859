"""Where OpenAI is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from modelplex_openai_compat import CompatConfig, Profile

DEFAULT_BASE_URL = "https://api.openai.com/v1"

CONFIG = CompatConfig(
    name="OpenAI",
    catalog="modelplex_openai:models.json",
    description="OpenAI: chat (Responses API, or Chat Completions), tools, structured output, "
                "images, embeddings",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=("OPENAI_API_KEY",),
    base_url_env=("OPENAI_BASE_URL",),
    option_ranges={"temperature": (0, 2)}, option_limits={"max_tokens": 128_000},
)

PROFILE = Profile(
    # OpenAI's Chat Completions shows no reasoning (it only counts reasoning tokens); the default
    # reasoning fields are still read, for OpenAI-compatible servers reached through OPENAI_BASE_URL.
    # The o-series reject max_tokens; max_completion_tokens works for every current model.
    max_tokens_field="max_completion_tokens",
)
