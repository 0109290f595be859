"""The ``azure`` plugin (entry point ``azure = "modelplex_azure.plugin:PLUGIN"``): a declaration.
Importing it imports no HTTP library; the provider, with Azure's routes and content filter, is
built on the first call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import Profile, compat_plugin

from modelplex_azure.config import CONFIG

if TYPE_CHECKING:
    from modelplex_azure.provider import AzureProvider


def _provider() -> AzureProvider:
    from modelplex_azure.provider import AzureProvider

    return AzureProvider()


# The default profile: each route's own profile is worked out per configured provider.
PLUGIN = compat_plugin(CONFIG, Profile(), provider=_provider)
