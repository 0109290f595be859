"""Where DeepSeek is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import CompatConfig, Profile

if TYPE_CHECKING:
    from modelplex_openai_compat import Stages

# DeepSeek's documented base URL. "https://api.deepseek.com/v1" works too (the "v1" has nothing to
# do with model versions); "https://api.deepseek.com/beta" enables the beta features (strict tools).
DEFAULT_BASE_URL = "https://api.deepseek.com"

CONFIG = CompatConfig(
    name="DeepSeek",
    catalog="modelplex_deepseek:models.json",
    description="DeepSeek: chat with reasoning (thinking mode), tools, JSON mode",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=("DEEPSEEK_API_KEY",),
    base_url_env=("DEEPSEEK_BASE_URL",),
)

# "seed" and "reasoning_effort" are not in DeepSeek's API (thinking is chosen by the model): they are
# left out with a warning.
PROFILE = Profile(
    reasoning_fields=("reasoning_content",),
    # Its own reasoning goes back only where DeepSeek asks for it: see modelplex_deepseek.replay.
    send_reasoning_back=True,
    supports_parallel_tool_calls=False,  # no such parameter in DeepSeek's API
    supports_images=False,  # the chat API takes text content only
    supports_json_schema=False,  # JSON Output is json_object; a schema falls back to it, warned
    supports_embeddings=False,
    unsupported_options=frozenset({"seed", "reasoning_effort"}),
)



def stages() -> Stages:
    """The default stages with DeepSeek's message encoding (built on the first call: they load the
    whole plumbing, which discovery must not)."""
    import attrs
    from modelplex_openai_compat import Stages

    from modelplex_deepseek.replay import encode_messages

    return attrs.evolve(Stages(), encode_messages=encode_messages)
