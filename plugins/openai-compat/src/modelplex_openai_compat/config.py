"""Where a server is and how to authenticate: the part of a provider that is not about its dialect."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from modelplex import ProviderContext
from modelplex.errors import ConfigurationError

UrlBuilder = Callable[[ProviderContext, str, "str | None"], str]
"""``(ctx, endpoint, model) -> url``: the full URL of ``endpoint`` (``chat/completions``,
``embeddings``, ``models``) for ``model`` (``None`` for ``models``)."""


class AuthStyle(enum.StrEnum):
    """How the key travels: ``Authorization: Bearer <key>``, a header of its own, or not at all."""

    BEARER = "bearer"
    API_KEY_HEADER = "api-key"
    NONE = "none"


def base_url(ctx: ProviderContext) -> str:
    """The configured base URL without a trailing slash, or a :class:`ConfigurationError`."""
    url = ctx.settings.base_url
    if not url:
        raise ConfigurationError(
            f"{ctx.name}: no base URL configured: set base_url under [providers.{ctx.name}] in the "
            "config file, or pass providers={...: {'base_url': ...}}")
    return url.rstrip("/")


def join_url(ctx: ProviderContext, endpoint: str, model: str | None) -> str:
    """The default :data:`UrlBuilder`: ``<base_url>/<endpoint>``."""
    return f"{base_url(ctx)}/{endpoint}"


# A dataclass, as Profile and CompatPlugin: discovery builds them, and loads no attrs (docs/hot-paths.md).
@dataclass(frozen=True, slots=True, kw_only=True)
class CompatConfig:
    """One OpenAI-compatible server: its name, where it is and how to authenticate.

    :param name: the provider's display name (``"OpenAI"``, ``"LM Studio"``); the provider name users
        type is the entry point's name (``ctx.name``), not this.
    :param default_base_url: used when neither the config nor an environment variable gives one.
    :param url: builds each endpoint's URL (Azure puts the deployment and an API version in it).
    :param auth: :class:`AuthStyle`; ``auth_header`` names the header for ``API_KEY_HEADER``.
    :param default_headers: sent with every request (the user's configured headers win).
    :param api_key_env: environment variables holding the key, in order.
    :param base_url_env: environment variables holding the base URL, in order.
    :param requires_api_key: ``False`` for local servers: a key is sent only when one is configured.
    :param local: the server runs on the user's machine (LM Studio, llama.cpp, vLLM).
    :param aliases: :attr:`ProviderInfo.aliases <modelplex.ProviderInfo.aliases>`: other names that
        reach this plugin.
    :param option_ranges: :attr:`ProviderInfo.option_ranges <modelplex.ProviderInfo.option_ranges>`.
    :param option_limits: :attr:`ProviderInfo.option_limits <modelplex.ProviderInfo.option_limits>`.
    :param catalog: :attr:`ProviderInfo.catalog <modelplex.ProviderInfo.catalog>`.
    """

    name: str
    default_base_url: str | None = None
    url: UrlBuilder = join_url
    auth: AuthStyle = AuthStyle.BEARER
    auth_header: str = "api-key"
    default_headers: Mapping[str, str] = field(default_factory=dict)
    api_key_env: tuple[str, ...] = ()
    base_url_env: tuple[str, ...] = ()
    option_env: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    requires_api_key: bool = True
    local: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""
    option_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    option_limits: Mapping[str, float] = field(default_factory=dict)
    catalog: str | None = None

    def auth_headers(self, ctx: ProviderContext) -> dict[str, str]:
        """The headers that carry the key, or none when this server takes no key."""
        if self.auth is AuthStyle.NONE:
            return {}
        if not self.requires_api_key and not ctx.settings.api_key and not ctx.settings.api_key_env:
            return {}  # a local server with no key configured: send none
        key = ctx.api_key()  # MissingCredentialsError naming the variables when it is not set
        if self.auth is AuthStyle.API_KEY_HEADER:
            return {self.auth_header: key}
        return {"Authorization": f"Bearer {key}"}

    def headers(self, ctx: ProviderContext) -> dict[str, str]:
        configured = {k.lower() for k in ctx.settings.headers}
        out = {k: v for k, v in self.default_headers.items() if k.lower() not in configured}
        out.update(self.auth_headers(ctx))
        return out
