"""Where Replicate is and the headers every request carries."""

from __future__ import annotations

from urllib.parse import urlsplit

from modelplex import ProviderContext, SecretHeaders
from modelplex.errors import ResponseParseError

# Where Replicate's own answers send a client next (urls.get, urls.cancel, urls.stream).
REPLICATE_HOSTS = (".replicate.com", ".replicate.net")


def url(ctx: ProviderContext, path: str) -> str:
    """``path`` under the configured base URL (the default base URL means one is always set)."""
    return f"{str(ctx.settings.base_url).rstrip('/')}/{path}"


def headers(ctx: ProviderContext) -> SecretHeaders:
    """The token as a bearer header, built once per provider; a SecretHeaders shows no value in any repr.
    The user's configured headers are on ``ctx.http`` already: they are not added here."""
    return ctx.memo("replicate.headers",
                    lambda: SecretHeaders({"Authorization": f"Bearer {ctx.api_key()}"}))


def waiting_headers(ctx: ProviderContext) -> SecretHeaders:
    """The token, and ``Prefer: wait``: hold the creation's answer until the prediction is over (up to
    Replicate's limit) rather than answer at once."""
    return ctx.memo("replicate.waiting", lambda: SecretHeaders({**headers(ctx), "Prefer": "wait"}))


def stream_headers(ctx: ProviderContext) -> SecretHeaders:
    """The token, and what an event stream wants: ``text/event-stream``, never from a cache."""
    return ctx.memo("replicate.stream", lambda: SecretHeaders(
        {**headers(ctx), "Accept": "text/event-stream", "Cache-Control": "no-store"}))


def poll_interval(ctx: ProviderContext) -> float:
    """Seconds between two reads of a prediction still running (the ``poll_interval`` option)."""
    value = ctx.settings.options.get("poll_interval", 0.5)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return 0.5
    return float(value)


def followed(ctx: ProviderContext, model: str, link: str) -> str:
    """``link``, a URL a prediction gave, if the token may go there: the configured API's own host or
    Replicate's. Any other is refused before the token is sent to it."""
    host = (urlsplit(link).hostname or "").lower()
    own = (urlsplit(str(ctx.settings.base_url)).hostname or "").lower()
    if host and (host == own or host.endswith(REPLICATE_HOSTS)):
        return link
    raise ResponseParseError(f"the prediction points to {host or link!r}, neither the API's host nor "
                             "Replicate's: the token is not sent there", provider=ctx.name, model=model)
