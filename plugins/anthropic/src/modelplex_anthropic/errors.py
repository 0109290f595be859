"""Anthropic's errors (HTTP statuses, and ``error`` events inside a stream) mapped onto the Modelplex
tree. Every error names the provider and model and keeps the provider's own message; none holds the
key (the core scrubs every message of it).

``invalid_request_error`` 400 (``prompt is too long`` is a :class:`ContextLengthExceededError`),
``authentication_error`` 401 and ``permission_error`` 403, ``not_found_error`` 404,
``request_too_large`` 413, ``rate_limit_error`` 429 (with ``retry-after``), ``api_error`` 500 and
``overloaded_error`` 529 (a retryable :class:`ServerError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from modelplex.errors import APIStatusError
from modelplex.toolkit import error_details, error_for_status, parse_body
from modelplex.toolkit.status import ERROR_STATUS, error_status

__all__ = ["ERROR_STATUS", "map_error", "stream_error"]
_CONTEXT_LENGTH: Final = re.compile(
    r"prompt is too long|exceed(?:s|ed)? (?:the )?context (?:limit|window)|context window"
    r"|input length and `max_tokens` exceed", re.IGNORECASE)


def map_error(provider: str, model: str | None, status: int, body: bytes,
              headers: Mapping[str, str] | None = None, reason: str = "") -> APIStatusError:
    """The error for an HTTP error status and its body."""
    data = parse_body(body)
    text = body.decode("utf-8", errors="replace").strip()
    message, code = error_details(data, text or reason)
    about_model = model is not None and "model" in message.lower()
    request_id = data.get("request_id") if isinstance(data, Mapping) else None
    if isinstance(request_id, str) and request_id:
        message = f"{message[:900]} [request {request_id[:90]}]"
    if status == 404 and not about_model:
        message = f"{message[:900]} (is the base URL right? ANTHROPIC_BASE_URL goes without /v1)"
    return error_for_status(status, message, provider=provider, model=model, code=code, body=text,
                            headers=headers, model_not_found=about_model,
                            context_length=status != 413 and bool(_CONTEXT_LENGTH.search(message)))


def stream_error(provider: str, model: str | None, data: Any) -> APIStatusError:
    """The error for an ``event: error`` inside a stream that began with HTTP 200
    (``{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}``), as the
    status its type comes with in a whole reply (the toolkit's one mapping, ``error_status``)."""
    error = data.get("error") if isinstance(data, Mapping) else None
    status = error_status(error)
    body = json.dumps(data, ensure_ascii=False).encode()
    return map_error(provider, model, status, body)
