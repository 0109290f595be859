"""An HTTP error status and its body as the right Modelplex error, decided in one place.

:func:`error_for_status` picks the :class:`~modelplex.errors.APIStatusError` subclass (and with it
``is_retryable``) from the status; a plugin says what only it can tell from its provider's body
(that a 404 is about the model, that a 400 is about the context length, that a status name such as
Gemini's ``RESOURCE_EXHAUSTED`` means 429) and keeps its own wording. :func:`parse_body` and
:func:`error_details` read the common error-body shapes; :func:`retry_after` reads the wait from
the headers. An error inside a stream arrives after HTTP 200: :func:`error_status` gives it the
status the same error comes with in a whole reply, so both paths raise the same error.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Final

from modelplex.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    ModelNotFoundError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

#: The longest provider message an error keeps (characters).
MAX_MESSAGE: Final = 1000
#: The longest error body an error keeps in ``body`` (characters).
MAX_BODY: Final = 4000

#: The HTTP status an error comes with in a whole reply, by the type, code or status name its body
#: gives it (OpenAI, Anthropic, Groq, Gemini's ``google.rpc`` names): what an error event inside a
#: stream, which came with HTTP 200, is mapped as.
ERROR_STATUS: Final[Mapping[str, int]] = {
    "invalid_request_error": 400, "invalid_request": 400, "bad_request": 400,
    "context_length_exceeded": 400, "invalid_prompt": 400, "tool_use_failed": 400,
    "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400,
    "authentication_error": 401, "invalid_api_key": 401, "UNAUTHENTICATED": 401,
    "billing_error": 402,
    "permission_error": 403, "permission_denied": 403, "PERMISSION_DENIED": 403,
    "not_found_error": 404, "model_not_found": 404, "NOT_FOUND": 404,
    "request_too_large": 413,
    "rate_limit_error": 429, "rate_limit_exceeded": 429, "insufficient_quota": 429,
    "RESOURCE_EXHAUSTED": 429,
    "server_error": 500, "api_error": 500, "internal_error": 500, "INTERNAL": 500,
    "UNAVAILABLE": 503, "service_unavailable": 503,
    "timeout_error": 504, "DEADLINE_EXCEEDED": 504,
    "overloaded_error": 529,
}
#: Codes of a 429 for an account out of credit: not worth waiting for, so not retryable.
NO_CREDIT: Final = frozenset({"insufficient_quota"})

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_body(body: bytes) -> Any:
    """The body as JSON whatever its content type claims (DeepSeek sends JSON as octet-stream), or
    ``None`` when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None


def error_details(data: Any, fallback: str) -> tuple[str, str | None]:
    """The provider's own message and code from an error body, in any of the common shapes.

    ``{"error": {"message", "code", "type"}}`` (OpenAI, Anthropic and most), ``{"error": "..."}``
    (Ollama), ``{"detail": "..."}`` (Mistral), ``{"message": "..."}``; OpenRouter's upstream text in
    ``error.metadata.raw`` is added to its message. ``fallback`` is the message when there is none.
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


def _status_number(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 400 <= value < 600:
        return value
    return None


def error_status(error: Any, default: int = 500) -> int:
    """The HTTP status the same error comes with in a whole reply, for ``error``, the error object of
    a stream's error event: the status number it carries (``status_code``, ``status``, ``code``),
    else the status its ``code``, ``type`` or ``status`` names (:data:`ERROR_STATUS`), else
    ``default``. A mid-stream ``insufficient_quota`` is thus the 429 it is in a whole reply."""
    if not isinstance(error, Mapping):
        return default
    for key in ("status_code", "status", "code"):
        number = _status_number(error.get(key))
        if number is not None:
            return number
    for key in ("code", "type", "status"):
        name = error.get(key)
        if isinstance(name, str) and name in ERROR_STATUS:
            return ERROR_STATUS[name]
    return default


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
    ``now`` is the clock for a date (``time.time()`` when not given).
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


def error_for_status(status: int, message: str, *, provider: str, model: str | None,
                     code: str | None = None, body: str | None = None,
                     headers: Mapping[str, str] | None = None, as_status: int | None = None,
                     model_not_found: bool = False, context_length: bool = False,
                     wait: float | None = None, retryable: bool | None = None,
                     now: float | None = None) -> APIStatusError:
    """The error for an HTTP error answer, carrying the provider's own message and code.

    By ``as_status`` (the status the provider's body means, where it differs from the HTTP one),
    else ``status``: 401 and 403 :class:`~modelplex.errors.AuthenticationError`; 404
    :class:`~modelplex.errors.ModelNotFoundError` when ``model_not_found`` else
    :class:`~modelplex.errors.NotFoundError`; 429 :class:`~modelplex.errors.RateLimitError` whose
    ``retry_after`` is ``wait``, else read from ``headers``; 408, 409 and 5xx (529 "overloaded"
    included) a retryable :class:`~modelplex.errors.ServerError`; other 4xx
    :class:`~modelplex.errors.ContextLengthExceededError` when ``context_length`` else
    :class:`~modelplex.errors.BadRequestError`. ``retryable`` overrides the class's
    ``is_retryable``; a 429 whose ``code`` is in :data:`NO_CREDIT` (an account out of credit, not
    worth waiting for) is not retryable unless ``retryable`` says otherwise. ``message`` is
    cut to :data:`MAX_MESSAGE` characters and ``body`` (the raw error text) to :data:`MAX_BODY`.
    """
    kind = status if as_status is None else as_status
    message = message[:MAX_MESSAGE] if message else "no error message"
    common: dict[str, Any] = {"provider": provider, "model": model, "status_code": status,
                              "body": body[:MAX_BODY] if body else None, "code": code}
    exc: APIStatusError
    if kind in (401, 403):
        exc = AuthenticationError(message, **common)
    elif kind == 404:
        exc = (ModelNotFoundError if model_not_found else NotFoundError)(message, **common)
    elif kind == 429:
        if wait is None and headers:
            wait = retry_after(headers, now)
        exc = RateLimitError(message, retry_after=wait, **common)
    elif kind in (408, 409) or kind >= 500:
        exc = ServerError(message, **common)
    elif 400 <= kind < 500:
        exc = (ContextLengthExceededError if context_length else BadRequestError)(message, **common)
    else:
        exc = APIStatusError(message, **common)
    if retryable is None and kind == 429 and code in NO_CREDIT:
        retryable = False
    if retryable is not None:
        exc.is_retryable = retryable
    return exc
