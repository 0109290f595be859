"""The ``azure`` plugin module (entry point ``azure``): only hooks, built from the shared plumbing.

Importing it imports no HTTP library; requests are made by what the hooks return.
"""

from __future__ import annotations

from modelplex_azure.provider import AzureProvider

_hooks = AzureProvider().hooks()

modelplex_provider_info = _hooks.modelplex_provider_info
modelplex_chat = _hooks.modelplex_chat
modelplex_chat_stream = _hooks.modelplex_chat_stream
modelplex_embed = _hooks.modelplex_embed
modelplex_list_models = _hooks.modelplex_list_models
modelplex_tool_codec = _hooks.modelplex_tool_codec
