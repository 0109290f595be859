"""Where Groq is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import CompatConfig, Profile

if TYPE_CHECKING:
    from modelplex_openai_compat import Stages

DEFAULT_BASE_URL = "https://api.groq.com/openai/v1"

CONFIG = CompatConfig(
    name="Groq",
    catalog="modelplex_groq:models.json",
    description="Groq: fast chat, reasoning models, tools, JSON output",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=("GROQ_API_KEY",),
    base_url_env=("GROQ_BASE_URL",),
)

PROFILE = Profile(
    # Reasoning arrives in "reasoning"; Groq rejects it on assistant messages ("property 'reasoning'
    # is unsupported"), so it is never sent back (send_reasoning_back stays False).
    reasoning_fields=("reasoning",),
    max_tokens_field="max_completion_tokens",  # Groq's name; max_tokens is deprecated there
    supports_embeddings=False,
)



def stages() -> Stages:
    """The default stages with Groq's error mapping (built on the first call: they load the whole
    plumbing, which discovery must not)."""
    import attrs
    from modelplex_openai_compat import Stages

    from modelplex_groq.errors import map_error

    return attrs.evolve(Stages(), map_error=map_error)
