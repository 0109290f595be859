"""Where Mistral is, how it authenticates, and how its Chat Completions endpoint behaves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import CompatConfig, Profile

if TYPE_CHECKING:
    from modelplex_openai_compat import Stages

DEFAULT_BASE_URL = "https://api.mistral.ai/v1"

CONFIG = CompatConfig(
    name="Mistral",
    catalog="modelplex_mistral:models.json",
    description="Mistral: chat with thinking, tools, JSON output, embeddings",
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=("MISTRAL_API_KEY",),
    base_url_env=("MISTRAL_BASE_URL",),
)

PROFILE = Profile(
    # Mistral's API refuses parameters it does not know (422), and sends usage in the last chunk of
    # every stream unasked: no stream_options.
    stream_usage=False,
    # Thinking arrives as content chunks of type "thinking" (read by the shared parser) and goes
    # back the same way (modelplex_mistral.replay): there is no reasoning field.
    reasoning_fields=(),
)


def stages() -> Stages:
    """The default stages with Mistral's message encoding (its own thinking sent back as chunks,
    tool-call ids of nine letters and digits) and body (``random_seed``), built on the first call."""
    import attrs
    from modelplex_openai_compat import Stages

    from modelplex_mistral.body import build_body
    from modelplex_mistral.replay import encode_messages

    return attrs.evolve(Stages(), encode_messages=encode_messages, build_body=build_body)
