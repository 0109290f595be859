"""Any OpenAI-compatible server, configured per name.

::

    [providers.lmstudio]
    plugin = "openai-like"
    base_url = "http://localhost:1234/v1"

    [providers.deepseek]
    plugin = "openai-like"
    base_url = "https://api.deepseek.com"
    api_key_env = "DEEPSEEK_API_KEY"

    [providers.deepseek.profile]         # optional: how this server differs
    send_reasoning_back = true

Settings beyond the core's (``base_url``, ``api_key``, ``api_key_env``, ``headers``, timeouts):
``auth`` (``"bearer"``, ``"api-key"`` or ``"none"``), ``auth_header`` (for ``"api-key"``),
``query`` (a table added to every URL, such as an ``api-version``), ``local`` (the server runs on
this machine; by default, a base URL on a loopback address), and ``profile``.

No key is needed unless one is configured: a local server gets no ``Authorization`` header.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from modelplex_openai_compat import AuthStyle, CompatConfig, CompatProvider

from modelplex import ModelInfo, ProviderContext
from modelplex.errors import ConfigurationError
from modelplex.toolkit import is_loopback

_CONFIG_STATE = "modelplex_openai_like.config"


class GenericProvider(CompatProvider):
    """The shared provider, with its config read from each configured name's settings."""

    def config_for(self, ctx: ProviderContext) -> CompatConfig:
        return ctx.memo(_CONFIG_STATE, lambda: self._config(ctx))  # settings do not change

    def _config(self, ctx: ProviderContext) -> CompatConfig:
        options = ctx.settings.options
        auth: Any = options.get("auth", AuthStyle.BEARER.value)
        if auth not in {a.value for a in AuthStyle}:
            raise ConfigurationError(f"provider {ctx.name!r}: 'auth' must be one of "
                                     f"{', '.join(a.value for a in AuthStyle)}; got {auth!r}")
        header: Any = options.get("auth_header", self.config.auth_header)
        local: Any = options.get("local", is_loopback(ctx.settings.base_url))
        if not isinstance(header, str) or not isinstance(local, bool):
            raise ConfigurationError(f"provider {ctx.name!r}: 'auth_header' must be a string and "
                                     "'local' true or false")
        return dataclasses.replace(self.config, auth=AuthStyle(auth), auth_header=header, local=local)

    async def list_models(self, ctx: ProviderContext) -> list[ModelInfo]:
        if not ctx.settings.base_url:
            return []  # this name has no server configured: nothing to list
        return await super().list_models(ctx)
