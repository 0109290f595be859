"""HTTP error responses (and error events inside streams) mapped onto the Modelplex error tree."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from modelplex.errors import APIStatusError, ModelplexError
from modelplex.toolkit.status import error_details, error_for_status, parse_body, retry_after

__all__ = ["ErrorResponse", "error_details", "map_error", "parse_body", "retry_after", "stream_error"]

_MAX_MESSAGE = 1000
_CONTEXT_LENGTH = re.compile(
    r"context[_ ]length|maximum context|context window|too many tokens|prompt is too long"
    r"|reduce the length of the messages|input is too long|exceeds? the (?:model's )?(?:max|limit)",
    re.IGNORECASE)
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
    message, code = error_details(data, text[:_MAX_MESSAGE] if text else (error.reason or "no error message"))
    status, missing_model = error.status_code, _is_model_not_found(message, code)
    if status == 404 and not missing_model:
        message = f"{message[:_MAX_MESSAGE]} (is the base URL right?)"
    return error_for_status(status, message, provider=error.provider, model=error.model, code=code,
                            body=text, headers=error.headers, now=error.now,
                            model_not_found=missing_model,
                            context_length=_is_context_length(message, code),
                            retryable=False if status == 429 and code == "insufficient_quota" else None)


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
