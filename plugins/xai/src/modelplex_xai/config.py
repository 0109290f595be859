"""Where xAI is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import CompatConfig, Profile

if TYPE_CHECKING:
    from modelplex_openai_compat import Stages

DEFAULT_BASE_URL = "https://api.x.ai/v1"

CONFIG = CompatConfig(
    name="xAI",
    catalog="modelplex_xai:models.json",
    description="xAI: Grok chat with reasoning, tools, JSON output",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=("XAI_API_KEY",),
    base_url_env=("XAI_BASE_URL",),
)

PROFILE = Profile(
    # Grok's reasoning arrives in "reasoning_content"; it is not sent back (the API ignores it).
    reasoning_fields=("reasoning_content",),
    # xAI counts reasoning beside the completion: total_tokens = prompt + completion + reasoning (a
    # recorded grok-4.3 reply: 137 + 1 + 116 = 254). Read the OpenAI way, most of the bill is lost.
    reasoning_in_completion=False,
    supports_embeddings=False,
)


def stages() -> Stages:
    """The default stages with xAI's errors (a wrong key answered with 400), built on the first
    call."""
    import attrs
    from modelplex_openai_compat import Stages

    from modelplex_xai.errors import map_error

    return attrs.evolve(Stages(), map_error=map_error)
