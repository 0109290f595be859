"""The ``deepseek`` plugin module (entry point ``deepseek``): only hooks, built from the shared
plumbing. Importing it imports no HTTP library; the provider is built on the first call, so discovery
loads none of the plumbing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat.hooks import lazy_hooks

from modelplex_deepseek.config import CONFIG, PROFILE

if TYPE_CHECKING:
    from modelplex_openai_compat import CompatProvider


def _provider() -> CompatProvider:
    from modelplex_openai_compat import CompatProvider

    from modelplex_deepseek.config import stages

    return CompatProvider(CONFIG, PROFILE, stages())


_hooks = lazy_hooks(CONFIG, PROFILE, _provider)

modelplex_provider_info = _hooks.modelplex_provider_info
modelplex_chat = _hooks.modelplex_chat
modelplex_chat_stream = _hooks.modelplex_chat_stream
modelplex_embed = _hooks.modelplex_embed
modelplex_list_models = _hooks.modelplex_list_models
modelplex_tool_codec = _hooks.modelplex_tool_codec
