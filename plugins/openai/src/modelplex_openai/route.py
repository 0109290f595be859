"""Which API a chat goes to: the Responses API (preferred), or Chat Completions for a server that
has no ``/responses`` (older proxies and gateways speaking OpenAI's wire). The choice made for a base
URL is remembered in ``ctx.state`` for the client's life, and across processes in a small cache file
(:mod:`modelplex_openai.route_cache`), so that a server without ``/responses`` is tried once, not once
per command.

Set ``api = "responses"`` or ``api = "chat_completions"`` under ``[providers.openai]`` to choose;
the default, ``"auto"``, tries the Responses API and falls back once, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modelplex_openai_compat import base_url, error_details, parse_body

from modelplex import ProviderContext, ProviderWarning
from modelplex.errors import ConfigurationError
from modelplex_openai import route_cache

RESPONSES, CHAT_COMPLETIONS, AUTO = "responses", "chat_completions", "auto"
_STATE = "modelplex_openai.routes"
_UNKNOWN_ROUTE = re.compile(
    r"unknown (?:request )?url|invalid url|unrecognized request url|no route|route not found"
    r"|unexpected endpoint|not found: /|cannot post|404 page not found|unknown endpoint",
    re.IGNORECASE)

_SKIP = "Set api = \"chat_completions\" under [providers.NAME] to skip the check."
FALLBACK = ProviderWarning(
    code="api-fallback", field="api",
    message="this server has no Responses API; Chat Completions was used instead, and will be for this "
            f"base URL by every process for a week (remembered in modelplex's cache directory). {_SKIP}")
FALLBACK_HERE = ProviderWarning(
    code="api-fallback", field="api",
    message="this server has no Responses API; Chat Completions was used instead, and will be for this "
            f"base URL by this client. {_SKIP}")


def configured(ctx: ProviderContext) -> str:
    value: Any = ctx.settings.options.get("api", AUTO)
    if value not in (AUTO, RESPONSES, CHAT_COMPLETIONS):
        raise ConfigurationError(f"provider {ctx.name!r}: 'api' must be \"auto\", \"responses\" or "
                                 f"\"chat_completions\"; got {value!r}")
    return str(value)


def route(ctx: ProviderContext) -> str:
    """The API the next chat goes to."""
    choice = configured(ctx)
    if choice != AUTO:
        return choice
    routes: dict[str, str] = ctx.state.setdefault(_STATE, {})
    base = base_url(ctx)
    api = routes.get(base)
    if api is None:  # first use in this client: what another process learned, read once
        api = routes[base] = route_cache.recall(ctx, base) or RESPONSES
    return api


def remember_fallback(ctx: ProviderContext) -> ProviderWarning:
    """Use Chat Completions at this base URL from now on; the warning that says so, once."""
    base = base_url(ctx)
    ctx.state.setdefault(_STATE, {})[base] = CHAT_COMPLETIONS
    if not route_cache.remembers(ctx, base):
        return FALLBACK_HERE
    route_cache.remember(ctx, base, CHAT_COMPLETIONS)
    return FALLBACK


def is_missing_route(status: int, body: bytes) -> bool:
    """A 404 or 405 that is not about a model, or an error whose message says the URL is unknown
    (LM Studio says so with HTTP 200 and an ``{"error": ...}`` body)."""
    data = parse_body(body)
    if status < 400 and not (isinstance(data, Mapping) and data.get("error")):
        return False
    message, code = error_details(data, body.decode("utf-8", errors="replace"))
    if code == "model_not_found" or (status == 404 and re.search(r"\bmodel\b", message, re.I)):
        return False
    return status in (404, 405) or bool(_UNKNOWN_ROUTE.search(message))


def may_fall_back(ctx: ProviderContext, status: int, body: bytes) -> bool:
    return configured(ctx) == AUTO and is_missing_route(status, body)
