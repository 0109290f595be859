"""The one place a foreign exception (from a plugin, the transport or a parser) becomes a Modelplex error."""

from __future__ import annotations

from modelplex.errors import (
    ModelplexError,
    RequestTimeoutError,
    ResponseParseError,
    TransportError,
)


def translate(exc: BaseException, provider: str, model: str | None, plugin: str) -> ModelplexError:
    """The safety net: no exception from deep inside a plugin reaches a user untranslated."""
    if isinstance(exc, ModelplexError):
        return exc
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeoutError(f"timed out talking to the provider ({type(exc).__name__})",
                                   provider=provider, model=model)
    if isinstance(exc, httpx.TransportError):
        return TransportError(f"connection failed: {type(exc).__name__}: {exc}", provider=provider,
                              model=model)
    return ResponseParseError(f"plugin {plugin!r} failed on the provider's response: "
                              f"{type(exc).__name__}: {exc}", provider=provider, model=model)
