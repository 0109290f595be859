"""The ``openai-like`` plugin (entry point ``openai-like = "modelplex_openai_like.plugin:PLUGIN"``):
a declaration. Importing it imports no HTTP library; the provider, which reads its config from each
configured name's settings, is built on the first call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex_openai_compat import compat_plugin

from modelplex_openai_like.config import CONFIG

if TYPE_CHECKING:
    from modelplex_openai_like.provider import GenericProvider


def _provider() -> GenericProvider:
    from modelplex_openai_like.provider import GenericProvider

    return GenericProvider(CONFIG)


PLUGIN = compat_plugin(CONFIG, provider=_provider)  # the default profile; users adjust it per name
