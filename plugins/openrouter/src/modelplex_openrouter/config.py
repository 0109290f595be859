"""Where OpenRouter is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import CompatConfig, Profile

if TYPE_CHECKING:
    from modelplex_openai_compat import Stages

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"

CONFIG = CompatConfig(
    name="OpenRouter",
    catalog="modelplex_openrouter:models.json",
    description="OpenRouter: one key for many providers' models, with reasoning and routing",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=("OPENROUTER_API_KEY",),
    base_url_env=("OPENROUTER_BASE_URL",),
)

PROFILE = Profile(
    # "reasoning" is the plain text of "reasoning_details", which this plugin reads instead (it
    # keeps Claude's signatures and OpenAI's encrypted reasoning); "reasoning" is read only from a
    # reply without details. Reasoning goes back as reasoning_details (modelplex_openrouter.reasoning).
    reasoning_fields=("reasoning",),
)


def stages() -> Stages:
    """The default stages with OpenRouter's reasoning (read from and replayed as
    ``reasoning_details``) and its reasoning options, built on the first call."""
    import attrs
    from modelplex_openai_compat import Stages

    from modelplex_openrouter.body import build_body
    from modelplex_openrouter.reasoning import encode_messages, parse_response, parse_stream_event

    return attrs.evolve(Stages(), encode_messages=encode_messages, build_body=build_body,
                        parse_response=parse_response, parse_stream_event=parse_stream_event)
