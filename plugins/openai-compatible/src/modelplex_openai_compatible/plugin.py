"""The ``openai-compatible`` plugin module: only hooks. Importing it imports no HTTP library."""

from __future__ import annotations

from modelplex_openai_compatible.provider import CONFIG, GenericProvider

_hooks = GenericProvider(CONFIG).hooks()

modelplex_provider_info = _hooks.modelplex_provider_info
modelplex_chat = _hooks.modelplex_chat
modelplex_chat_stream = _hooks.modelplex_chat_stream
modelplex_embed = _hooks.modelplex_embed
modelplex_list_models = _hooks.modelplex_list_models
modelplex_tool_codec = _hooks.modelplex_tool_codec
