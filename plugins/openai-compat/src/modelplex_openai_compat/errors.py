"""HTTP error responses (and error events inside streams) mapped onto the Modelplex error tree."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from modelplex.errors import APIStatusError, ModelplexError
from modelplex.toolkit.status import (
    error_details,
    error_for_status,
    error_status,
    parse_body,
    retry_after,
)

__all__ = ["ErrorResponse", "error_details", "map_error", "parse_body", "retry_after", "stream_error"]

_MAX_MESSAGE = 1000
_CONTEXT_LENGTH = re.compile(
    r"context[_ ]length|maximum context|context window|too many tokens|prompt is too long"
    r"|reduce the length of the messages|input is too long|exceeds? the (?:model's )?(?:max|limit)",
    re.IGNORECASE)


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

    401/403 authentication; 404 model not found when the body speaks of a model (else not found),
    and any 4xx whose code is ``model_not_found`` (the Responses API answers an unknown model with
    400); 429 rate limit with ``retry_after`` (not retryable for ``insufficient_quota``);
    400/413/422 bad request, or context length exceeded when the message says so; 408, 409 and 5xx
    server errors (retryable); other 4xx bad request.
    """
    data = parse_body(error.body)
    text = error.body.decode("utf-8", errors="replace").strip()
    message, code = error_details(data, text[:_MAX_MESSAGE] if text else (error.reason or "no error message"))
    status, missing_model = error.status_code, _is_model_not_found(message, code)
    if status == 404 and not missing_model:
        message = f"{message[:_MAX_MESSAGE]} (is the base URL right?)"
    as_status = 404 if code == "model_not_found" and 400 <= status < 500 else None
    return error_for_status(status, message, provider=error.provider, model=error.model, code=code,
                            body=text, headers=error.headers, now=error.now, as_status=as_status,
                            model_not_found=missing_model,
                            context_length=_is_context_length(message, code))


def stream_error(provider: str, model: str | None, data: Any,
                 mapper: Callable[[ErrorResponse], ModelplexError] | None = None) -> ModelplexError:
    """The error for an ``{"error": ...}`` event inside a stream that began with HTTP 200.

    The event is mapped as the HTTP status the same error comes with in a whole reply (the
    toolkit's :func:`~modelplex.toolkit.status.error_status`: a mid-stream ``insufficient_quota``
    is the 429 it is in a whole reply, not a server error). ``mapper`` is the provider's
    ``map_error`` stage, so its own mapping applies mid-stream too.
    """
    error = data.get("error") if isinstance(data, Mapping) else None
    status = error_status(error)
    body = json.dumps(data, ensure_ascii=False).encode()
    return (mapper or map_error)(ErrorResponse(provider=provider, model=model, status_code=status, body=body))
