"""Where Replicate is and the headers every request carries."""

from __future__ import annotations

from modelplex import ProviderContext, SecretHeaders


def url(ctx: ProviderContext, path: str) -> str:
    """``path`` under the configured base URL (the default base URL means one is always set)."""
    return f"{str(ctx.settings.base_url).rstrip('/')}/{path}"


def headers(ctx: ProviderContext) -> SecretHeaders:
    """The token as a bearer header, built once per provider; a SecretHeaders shows no value in any repr.
    The user's configured headers are on ``ctx.http`` already: they are not added here."""
    return ctx.memo("replicate.headers",
                    lambda: SecretHeaders({"Authorization": f"Bearer {ctx.api_key()}"}))


def poll_interval(ctx: ProviderContext) -> float:
    """Seconds between two reads of a prediction still running (the ``poll_interval`` option)."""
    value = ctx.settings.options.get("poll_interval", 0.5)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return 0.5
    return float(value)
