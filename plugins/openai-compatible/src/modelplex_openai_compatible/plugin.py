"""The ``openai-compatible`` plugin module: only hooks. Importing it imports no HTTP library; the
provider is built on the first call, so discovery loads none of the plumbing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import Profile
from modelplex_openai_compat.hooks import lazy_hooks

from modelplex_openai_compatible.config import CONFIG

if TYPE_CHECKING:
    from modelplex_openai_compatible.provider import GenericProvider


def _provider() -> GenericProvider:
    from modelplex_openai_compatible.provider import GenericProvider

    return GenericProvider(CONFIG)


_hooks = lazy_hooks(CONFIG, Profile(), _provider)  # GenericProvider(CONFIG) keeps the default profile

modelplex_provider_info = _hooks.modelplex_provider_info
modelplex_chat = _hooks.modelplex_chat
modelplex_chat_stream = _hooks.modelplex_chat_stream
modelplex_embed = _hooks.modelplex_embed
modelplex_list_models = _hooks.modelplex_list_models
modelplex_tool_codec = _hooks.modelplex_tool_codec
