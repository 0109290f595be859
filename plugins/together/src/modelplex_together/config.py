"""Where Together AI is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from modelplex_openai_compat import CompatConfig, Profile

DEFAULT_BASE_URL = "https://api.together.xyz/v1"

CONFIG = CompatConfig(
    name="Together AI",
    catalog="modelplex_together:models.json",
    description="Together AI: open models, reasoning split from <think> tags, tools, JSON output, "
                "embeddings",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=("TOGETHER_API_KEY",),
    base_url_env=("TOGETHER_BASE_URL",),
)

PROFILE = Profile(
    # DeepSeek-R1 and other open reasoning models write their reasoning into the content between
    # <think> and </think>; it is split out into reasoning, in streams across chunk boundaries too.
    # Newer models answer in a "reasoning" field instead.
    think_tags=True,
    reasoning_fields=("reasoning",),
    # Together ends a stream with a usage chunk of its own accord and documents no stream_options;
    # a stream that ends without usage gets an estimate marked estimated=True.
    stream_usage=False,
)
