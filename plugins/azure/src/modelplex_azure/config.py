"""Where an Azure resource is, which route and API version a call takes, and how each route behaves.

Three routes, chosen with ``route`` under ``[providers.azure]``:

* ``deployments`` (the default): Azure OpenAI's classic data-plane API,
  ``<endpoint>/openai/deployments/<deployment>/chat/completions?api-version=<version>``. Every Azure
  OpenAI resource serves it; the version comes from ``api_version``, else ``OPENAI_API_VERSION``,
  else :data:`DEFAULT_API_VERSION`.
* ``v1``: the newer ``<endpoint>/openai/v1/chat/completions``, with the deployment in the body's
  ``model`` and no ``api-version`` unless ``api_version`` is set (``"preview"``, for example).
* ``foundry``: the Azure AI Foundry model inference API of a ``*.services.ai.azure.com`` resource,
  ``<endpoint>/models/chat/completions?api-version=<version>`` (default
  :data:`FOUNDRY_API_VERSION`), the deployment in the body's ``model``.

The model in ``azure/<deployment>`` is always the deployment name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from modelplex_openai_compat import AuthStyle, CompatConfig, Profile

from modelplex import ProviderContext
from modelplex.errors import ConfigurationError

DEPLOYMENTS, V1, FOUNDRY = "deployments", "v1", "foundry"
ROUTES = (DEPLOYMENTS, V1, FOUNDRY)
DEFAULT_ROUTE = DEPLOYMENTS
DEFAULT_API_VERSION = "2024-10-21"
"""The latest generally available version of the data-plane inference API (the deployments route)."""
FOUNDRY_API_VERSION = "2024-05-01-preview"
"""The Azure AI model inference API's version (the foundry route)."""

API_KEY_ENV = "AZURE_OPENAI_API_KEY"
ENDPOINT_ENV = "AZURE_OPENAI_ENDPOINT"
API_VERSION_ENV = "OPENAI_API_VERSION"

_STATE = "modelplex_azure.settings"
# What users paste after the resource URL, taken off so each route can add its own path.
_ROUTE_SUFFIXES = ("/openai/v1", "/openai", "/models")
_DATED = re.compile(r"(\d{4}-\d{2}-\d{2})(-preview)?")


@dataclass(frozen=True, slots=True, kw_only=True)  # not attrs: discovery loads this module
class AzureSettings:
    """One configured Azure provider, resolved from its settings.

    :param endpoint: the resource URL (``https://<resource>.openai.azure.com``), without a trailing
        slash or a route's path.
    :param route: :data:`DEPLOYMENTS`, :data:`V1` or :data:`FOUNDRY`.
    :param api_version: the ``api-version`` query value; ``None`` sends none.
    :param deployments: deployment name -> the base model it serves (informational: listed by
        ``list_models``; a deployment missing from it can still be called).
    """

    endpoint: str
    route: str
    api_version: str | None
    deployments: Mapping[str, str] = field(default_factory=dict)


def _endpoint(ctx: ProviderContext) -> str:
    url = (ctx.settings.base_url or "").strip().rstrip("/")
    if not url:
        raise ConfigurationError(
            f"{ctx.name}: no Azure endpoint configured: set {ENDPOINT_ENV} "
            f"(https://<resource>.openai.azure.com), or base_url under [providers.{ctx.name}]")
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"{ctx.name}: the Azure endpoint must be a URL such as "
                                 f"https://<resource>.openai.azure.com; got {url!r}")
    for suffix in _ROUTE_SUFFIXES:
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def _option_str(ctx: ProviderContext, key: str) -> str | None:
    value: Any = ctx.settings.options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"provider {ctx.name!r}: {key!r} must be a non-empty string, "
                                 f"got {value!r}")
    return value.strip()


def deployments(ctx: ProviderContext) -> dict[str, str]:
    """The ``deployments`` table: deployment name -> base model (checked)."""
    value: Any = ctx.settings.options.get("deployments", {})
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()):
        raise ConfigurationError(f"provider {ctx.name!r}: 'deployments' must be a table of deployment "
                                 "name = base model, e.g. {\"my-gpt4o\": \"gpt-4o\"}")
    return dict(value)


def route_of(ctx: ProviderContext) -> str:
    """The configured ``route`` (checked), :data:`DEFAULT_ROUTE` when none is."""
    route = _option_str(ctx, "route") or DEFAULT_ROUTE
    if route not in ROUTES:
        raise ConfigurationError(f"provider {ctx.name!r}: 'route' must be one of "
                                 f"{', '.join(repr(r) for r in ROUTES)}; got {route!r}")
    return route


def api_version_of(ctx: ProviderContext, route: str) -> str | None:
    """``api_version`` (from arguments, the config file, or ``OPENAI_API_VERSION`` as the core reads it);
    else :data:`DEFAULT_API_VERSION` on the deployments route, :data:`FOUNDRY_API_VERSION` on the
    foundry route, and none on the v1 route."""
    version = _option_str(ctx, "api_version")
    if version is None and route == DEPLOYMENTS:
        version = DEFAULT_API_VERSION
    elif version is None and route == FOUNDRY:
        version = FOUNDRY_API_VERSION
    return version


def resolve(ctx: ProviderContext) -> AzureSettings:
    """The settings of ``ctx``."""
    route = route_of(ctx)
    return AzureSettings(endpoint=_endpoint(ctx), route=route, api_version=api_version_of(ctx, route),
                         deployments=deployments(ctx))


def settings(ctx: ProviderContext) -> AzureSettings:
    """:func:`resolve`, once per configured provider (:meth:`ProviderContext.memo`)."""
    return ctx.memo(_STATE, lambda: resolve(ctx))


def azure_url(ctx: ProviderContext, endpoint: str, model: str | None) -> str:
    """The :data:`~modelplex_openai_compat.UrlBuilder` of every route (see the module docstring).

    The deployment is quoted into the path, the version into the query; the key never travels in
    the URL (it goes in the ``api-key`` header).
    """
    s = settings(ctx)
    if s.route == DEPLOYMENTS:
        where = f"deployments/{quote(model, safe='')}/" if model is not None else ""
        path = f"/openai/{where}{endpoint}"
    elif s.route == V1:
        path = f"/openai/v1/{endpoint}"
    else:
        path = f"/models/{endpoint}"
    query = f"?{urlencode({'api-version': s.api_version})}" if s.api_version else ""
    return f"{s.endpoint}{path}{query}"


def _date(api_version: str) -> tuple[str, bool] | None:
    match = _DATED.fullmatch(api_version)
    return None if match is None else (match.group(1), match.group(2) is not None)


def takes_stream_options(api_version: str) -> bool:
    """Whether a version takes ``stream_options: {"include_usage": true}`` (usage in streams).

    It arrived in ``2024-09-01-preview`` and is in the GA ``2024-10-21`` (Azure's API-version
    lifecycle page; the Azure.AI.OpenAI 2.1.0 notes on streaming usage with ``2024-10-21``). A
    version that is not a date (``latest``, ``preview``) is taken to be current.
    """
    dated = _date(api_version)
    return dated is None or dated[0] >= "2024-09-01"


def takes_max_completion_tokens(api_version: str) -> bool:
    """Whether a version takes ``max_completion_tokens`` (which o-series models need instead of
    ``max_tokens``): from ``2024-09-01-preview`` on, but not the GA ``2024-10-21``, whose
    specification has ``max_tokens`` only."""
    dated = _date(api_version)
    if dated is None:
        return True
    date, preview = dated
    return date >= "2024-09-01" and (preview or date != "2024-10-21")


def route_profile(route: str, api_version: str | None) -> Profile:
    """How the server on ``route`` (at ``api_version``) behaves.

    Azure OpenAI's Chat Completions returns no reasoning text; models served through the v1 and
    foundry routes (DeepSeek-R1, for one) may, in ``reasoning_content``, which is read when present.
    """
    if route == FOUNDRY:
        # The model inference API knows max_tokens only; it takes stream_options (recording 04).
        return Profile(max_tokens_field="max_tokens", stream_usage=True)
    if route == V1 or api_version is None:
        return Profile(max_tokens_field="max_completion_tokens", stream_usage=True)
    return Profile(max_tokens_field="max_completion_tokens" if takes_max_completion_tokens(api_version)
                   else "max_tokens", stream_usage=takes_stream_options(api_version))


CONFIG = CompatConfig(
    name="Azure OpenAI",
    catalog="modelplex_azure:models.json",
    description="Azure OpenAI: deployments (api-version), the /openai/v1 route and Azure AI Foundry "
                "models; chat, tools, structured output, embeddings; content-filter results",
    url=azure_url,
    auth=AuthStyle.API_KEY_HEADER,
    auth_header="api-key",
    api_key_env=(API_KEY_ENV,),
    base_url_env=(ENDPOINT_ENV,),
    option_env={"api_version": (API_VERSION_ENV,)},
)
