"""Ollama's errors on the Modelplex error tree.

Ollama answers ``{"error": "..."}`` with a 4xx or 5xx status, or, once a stream has begun, as a line
of the stream. A model that cannot do what was asked ("... does not support tools") is a
:class:`ModelCapabilityError`; a model that is not there is a
:class:`~modelplex.errors.ModelNotFoundError` saying how to pull it; a server that cannot be reached
is a :class:`~modelplex.errors.TransportError` naming the address and asking whether Ollama runs;
one that does not answer in time a :class:`~modelplex.errors.RequestTimeoutError`, like every other
plugin's; one that answered and then broke the connection a plain
:class:`~modelplex.errors.TransportError` saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from modelplex.errors import (
    APIStatusError,
    BadRequestError,
    RequestTimeoutError,
    TransportError,
    UnsupportedFeatureError,
)
from modelplex.toolkit import error_details, error_for_status, parse_body

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
    message, code = error_details(parse_body(body), text or reason)
    message = message[:_MAX]
    unsupported = _NOT_SUPPORTED.search(message)
    if status in (401, 403):
        message = f"{message} (Ollama's cloud models need OLLAMA_API_KEY or 'ollama signin')"
    missing_model = bool(model) and bool(_NOT_FOUND.search(message))
    if status == 404:
        message = (f"{message}; {pull_hint(model)}" if missing_model
                   else f"{message} (is the address of Ollama right?)")
    if unsupported and 400 <= status < 500 and status not in (401, 403, 404, 408, 409, 429):
        feature = unsupported.group(1).lower()
        what = _FEATURES.get(feature, feature)
        exc = ModelCapabilityError(f"{message}: this model cannot use {what}; pick a model that can "
                                   f"(see 'modelplex ollama search {feature}')", provider=provider,
                                   model=model, status_code=status, body=text[:_MAX * 4] or None,
                                   code=code)
        exc.feature = feature
        return exc
    return error_for_status(status, message, provider=provider, model=model, code=code, body=text,
                            headers=headers, model_not_found=missing_model,
                            context_length=bool(_CONTEXT.search(message)))


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
    """The error for a connection to Ollama at ``url`` that failed with ``exc`` (an httpx error).

    Only a connection that could not be made asks whether Ollama is running: a server that answered
    and then reset the connection or cut the body was running. A timeout is a
    :class:`~modelplex.errors.RequestTimeoutError`, the error every other plugin's timeout is.
    """
    import httpx

    from modelplex.toolkit import connection_cause

    reason = connection_cause(exc)
    not_running = (f"Ollama is not reachable at {url} ({reason}). Is it running? Start it with "
                   "'ollama serve', or set OLLAMA_HOST to where it runs")
    if isinstance(exc, httpx.ConnectTimeout):
        return RequestTimeoutError(not_running, provider=provider, model=model)
    if isinstance(exc, httpx.TimeoutException):
        what = f"Ollama at {url} did not answer in time ({type(exc).__name__})"
        return RequestTimeoutError(f"{what}; a large model may still be loading: raise read_timeout "
                                   f"under [providers.{provider}] or try again", provider=provider,
                                   model=model)
    if isinstance(exc, httpx.ConnectError):
        return TransportError(not_running, provider=provider, model=model)
    return TransportError(f"the connection to Ollama at {url} broke ({type(exc).__name__}: {reason}); "
                          "Ollama was reachable, so this may pass: try again", provider=provider,
                          model=model)
