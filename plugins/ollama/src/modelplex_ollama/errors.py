"""Ollama's errors on the Modelplex error tree.

Ollama answers ``{"error": "..."}`` with a 4xx or 5xx status, or, once a stream has begun, as a line
of the stream. A model that cannot do what was asked ("... does not support tools") is a
:class:`ModelCapabilityError`; a model that is not there is a
:class:`~modelplex.errors.ModelNotFoundError` saying how to pull it; a server that cannot be reached
is a :class:`~modelplex.errors.TransportError` naming the address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# The shared error-body plumbing. modelplex-openai-compat ships no py.typed marker yet, so a check of
# this package alone cannot see its types; checked with it, the ignore is unused (hence unused-ignore).
from modelplex_openai_compat import (
    error_details,
    parse_body,
    retry_after,
)

from modelplex.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    ModelNotFoundError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    UnsupportedFeatureError,
)

_MAX = 1000
_NOT_SUPPORTED = re.compile(r"does not support (\w+)", re.IGNORECASE)
_NOT_FOUND = re.compile(r"not found|file does not exist|no such model", re.IGNORECASE)
_CONTEXT = re.compile(r"context length|context window|exceeds the (?:maximum|max)|too many tokens|"
                      r"input length", re.IGNORECASE)
_FEATURES = {"tools": "tools (function calling)", "thinking": "thinking", "vision": "images",
             "insert": "fill-in-the-middle", "completion": "chat", "embedding": "embeddings"}


class ModelCapabilityError(BadRequestError, UnsupportedFeatureError):
    """The model cannot do what the request asked: tools, thinking, images, embeddings (HTTP 400).

    Both a :class:`~modelplex.errors.BadRequestError` (what Ollama answered) and an
    :class:`~modelplex.errors.UnsupportedFeatureError` (what it means). ``feature`` is Ollama's word
    for it (``tools``, ``thinking``, ...).
    """

    feature: str | None = None


def pull_hint(model: str | None) -> str:
    return f"pull it first: modelplex ollama pull {model}" if model else "pull it first"


def map_error(provider: str, model: str | None, status: int, body: bytes,
              headers: Mapping[str, str] | None = None, reason: str = "") -> APIStatusError:
    """The error for one Ollama error answer, with Ollama's own message in it."""
    text = body.decode("utf-8", errors="replace").strip()
    message, code = error_details(parse_body(body), text[:_MAX] or reason or "no error message")
    message = message[:_MAX]
    common: dict[str, Any] = {"provider": provider, "model": model, "status_code": status,
                              "body": text[:_MAX * 4] or None, "code": code}
    unsupported = _NOT_SUPPORTED.search(message)
    if status in (401, 403):
        return AuthenticationError(f"{message} (Ollama's cloud models need OLLAMA_API_KEY or "
                                   "'ollama signin')", **common)
    if status == 404:
        if model and _NOT_FOUND.search(message):
            return ModelNotFoundError(f"{message}; {pull_hint(model)}", **common)
        return NotFoundError(f"{message} (is the address of Ollama right?)", **common)
    if status == 429:
        return RateLimitError(message, retry_after=retry_after(headers or {}), **common)
    if status in (408, 409) or status >= 500:
        return ServerError(message, **common)
    if unsupported:
        feature = unsupported.group(1).lower()
        what = _FEATURES.get(feature, feature)
        exc = ModelCapabilityError(f"{message}: this model cannot use {what}; pick a model that can "
                                   f"(see 'modelplex ollama search {feature}')", **common)
        exc.feature = feature
        return exc
    if _CONTEXT.search(message):
        return ContextLengthExceededError(message, **common)
    return BadRequestError(message, **common)


def stream_error(provider: str, model: str | None, data: Any, *, where: str = "stream") -> APIStatusError:
    """The error for an ``{"error": ...}`` line in a stream that began with HTTP 200.

    Its status is what Ollama would have answered before the stream began: 404 for a model that
    is not there, 400 for one that cannot do what was asked, else 500.
    """
    message, _ = error_details(data, "the stream carried an error")
    if _NOT_SUPPORTED.search(message) or _CONTEXT.search(message):
        status = 400
    elif _NOT_FOUND.search(message):
        status = 404
    else:
        status = 500
    import json

    body = json.dumps({"error": f"{message} (in the middle of the {where})"}).encode()
    return map_error(provider, model, status, body)


def unreachable(provider: str, model: str | None, url: str, exc: BaseException) -> TransportError:
    """Ollama is not running at ``url``, or does not answer in time."""
    import httpx

    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        what = f"Ollama at {url} did not answer in time ({type(exc).__name__})"
        return TransportError(f"{what}; a large model may still be loading: raise read_timeout under "
                              f"[providers.{provider}] or try again", provider=provider, model=model)
    reason = str(exc) or type(exc).__name__
    return TransportError(f"Ollama is not reachable at {url} ({reason}). Is it running? Start it with "
                          "'ollama serve', or set OLLAMA_HOST to where it runs", provider=provider,
                          model=model)
