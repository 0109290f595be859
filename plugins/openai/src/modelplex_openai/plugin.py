"""The ``openai`` plugin (entry point ``openai = "modelplex_openai.plugin:PLUGIN"``): a declaration.
Importing it imports no HTTP library; the provider, which adds the Responses API to the shared
plumbing, is built on the first call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import compat_plugin

from modelplex_openai.config import CONFIG, PROFILE

if TYPE_CHECKING:
    from modelplex_openai.provider import OpenAIProvider


def _provider() -> OpenAIProvider:
    from modelplex_openai.provider import OpenAIProvider

    return OpenAIProvider(CONFIG, PROFILE)


PLUGIN = compat_plugin(CONFIG, PROFILE, provider=_provider)
