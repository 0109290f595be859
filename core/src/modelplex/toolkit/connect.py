"""A failed connection in plain words, for a plugin's own message about it."""

from __future__ import annotations


def connection_cause(exc: BaseException) -> str:
    """Why a connection could not be made, in words (``connection refused``, ``the host name could not
    be resolved``, ``the TLS handshake failed (...)``), from the operating system's error found along
    ``exc``'s chain: not the HTTP libraries' exception names, nor aiohttp's ``ssl:default`` for an
    ``http://`` URL. The core words its own connection errors the same way."""
    from modelplex._translate import _plain_cause

    return _plain_cause(exc)
