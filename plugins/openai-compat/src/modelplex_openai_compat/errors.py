"""HTTP error responses (and error events inside streams) mapped onto the Modelplex error tree."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

from modelplex.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    ModelNotFoundError,
    ModelplexError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

_MAX_MESSAGE = 1000
_CONTEXT_LENGTH = re.compile(
    r"context[_ ]length|maximum context|context window|too many tokens|prompt is too long"
    r"|reduce the length of the messages|input is too long|exceeds? the (?:model's )?(?:max|limit)",
    re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_ERROR_TYPES = {"invalid_request_error": 400, "authentication_error": 401,
                "permission_error": 403, "not_found_error": 404, "rate_limit_error": 429,
                "rate_limit_exceeded": 429, "server_error": 500, "api_error": 500,
                "overloaded_error": 529}


@attrs.frozen(kw_only=True)
class ErrorResponse:
    """An error as the server sent it: what :func:`map_error` (an overridable stage) receives."""

    provider: str
    model: str | None
    status_code: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    reason: str = ""
    now: float | None = None  # for ``Retry-After`` dates; the clock when not given


def parse_body(body: bytes) -> Any:
    """The body as JSON whatever its content type claims (DeepSeek sends JSON as octet-stream)."""
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None


def error_details(data: Any, fallback: str) -> tuple[str, str | None]:
    """The provider's own message and code from an error body, in any of the common shapes.

    ``{"error": {"message", "code", "type"}}`` (OpenAI and most), ``{"error": "..."}`` (Ollama),
    ``{"detail": "..."}`` (Mistral), ``{"message": "..."}``; OpenRouter's upstream text in
    ``error.metadata.raw`` is added to its message.
    """
    if not isinstance(data, Mapping):
        return fallback, None
    error = data.get("error", data)
    if isinstance(error, str):
        return error, None
    if not isinstance(error, Mapping):
        return fallback, None
    message = error.get("message") or error.get("detail") or data.get("detail") or fallback
    if not isinstance(message, str):
        message = json.dumps(message, ensure_ascii=False)
    metadata = error.get("metadata")
    raw = metadata.get("raw") if isinstance(metadata, Mapping) else None
    if isinstance(raw, str) and raw and raw not in message:
        message = f"{message}: {raw}"
    code = error.get("code") or error.get("type")
    return message, (str(code) if code is not None else None)


def _seconds(text: str) -> float | None:
    """``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"`` or a plain number of seconds."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT[u] for n, u in parts)


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``Retry-After`` (seconds or an HTTP date), or the
    ``x-ratelimit-reset-requests`` / ``-tokens`` durations (the exhausted limit's, else the longest).
    """
    h = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in h:
        try:
            return max(0.0, float(h["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    if "retry-after" in h:
        value = h["retry-after"].strip()
        seconds = _seconds(value)
        if seconds is not None:
            return seconds
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - (time.time() if now is None else now))
    resets: dict[str, float] = {}
    for kind in ("requests", "tokens"):
        reset = h.get(f"x-ratelimit-reset-{kind}")
        seconds = _seconds(reset) if reset is not None else None
        if seconds is not None:
            resets[kind] = seconds
    exhausted = [s for kind, s in resets.items() if h.get(f"x-ratelimit-remaining-{kind}") == "0"]
    chosen = exhausted or list(resets.values())
    return max(chosen) if chosen else None


def _is_context_length(message: str, code: str | None) -> bool:
    return code == "context_length_exceeded" or bool(_CONTEXT_LENGTH.search(message))


def _is_model_not_found(message: str, code: str | None) -> bool:
    return code in ("model_not_found", "NotFound", "DeploymentNotFound") or "model" in message.lower()


def map_error(error: ErrorResponse) -> APIStatusError:
    """The error for an HTTP status and body, carrying the provider's own message and code.

    401/403 authentication; 404 model not found when the body speaks of a model (else not found);
    429 rate limit with ``retry_after``; 400/413/422 bad request, or context length exceeded when the
    message says so; 408, 409 and 5xx server errors (retryable); other 4xx bad request.
    """
    data = parse_body(error.body)
    text = error.body.decode("utf-8", errors="replace").strip()
    fallback = text[:_MAX_MESSAGE] if text else (error.reason or "no error message")
    message, code = error_details(data, fallback)
    message = message[:_MAX_MESSAGE]
    status = error.status_code
    common: dict[str, Any] = {"provider": error.provider, "model": error.model,
                              "status_code": status, "body": text[:_MAX_MESSAGE * 4] or None,
                              "code": code}
    if status in (401, 403):
        return AuthenticationError(message, **common)
    if status == 404:
        if _is_model_not_found(message, code):
            return ModelNotFoundError(message, **common)
        return NotFoundError(f"{message} (is the base URL right?)", **common)
    if status == 429:
        exc = RateLimitError(message, retry_after=retry_after(error.headers, error.now), **common)
        if code == "insufficient_quota":
            exc.is_retryable = False  # out of credit: waiting does not help
        return exc
    if status in (408, 409) or status >= 500:
        return ServerError(message, **common)
    if 400 <= status < 500:
        if _is_context_length(message, code):
            return ContextLengthExceededError(message, **common)
        return BadRequestError(message, **common)
    return APIStatusError(message, **common)


def stream_error(provider: str, model: str | None, data: Any,
                 mapper: Callable[[ErrorResponse], ModelplexError] | None = None) -> ModelplexError:
    """The error for an ``{"error": ...}`` event inside a stream that began with HTTP 200.

    ``mapper`` is the provider's ``map_error`` stage, so its own mapping applies mid-stream too.
    """
    error = data.get("error") if isinstance(data, Mapping) else None
    status = 500
    if isinstance(error, Mapping):
        for key in ("status_code", "status", "code"):
            value = error.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 400 <= value < 600:
                status = value
                break
            if isinstance(value, str) and value.isdigit() and 400 <= int(value) < 600:
                status = int(value)
                break
        else:
            status = _ERROR_TYPES.get(str(error.get("type")), 500)
    body = json.dumps(data, ensure_ascii=False).encode()
    return (mapper or map_error)(ErrorResponse(provider=provider, model=model, status_code=status, body=body))
