"""Gemini's ``google.rpc.Status`` error bodies on the Modelplex error tree.

``{"error": {"code": 400, "message": ..., "status": "INVALID_ARGUMENT", "details": [
{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"},
{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "48s"}]}}``

A bad key is HTTP 400 with the reason ``API_KEY_INVALID``: an :class:`AuthenticationError`, as are
401, 403 and ``PERMISSION_DENIED``. ``RESOURCE_EXHAUSTED`` is a :class:`RateLimitError` whose
``retry_after`` comes from ``RetryInfo.retryDelay`` (else ``Retry-After``, else the "retry in Ns"
of the message). Messages and bodies never hold the key, even where a URL echoed it as ``key=``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from modelplex.errors import APIStatusError
from modelplex.toolkit import error_for_status, parse_body, retry_after
from modelplex.toolkit.status import error_status

_KEY_PARAM = re.compile(r"((?:[?&]|\b)(?:key|api_key|apikey)=)[^&\s\"'<>]+", re.IGNORECASE)
_AUTH_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED",
                           "API_KEY_HTTP_REFERRER_BLOCKED", "API_KEY_IP_ADDRESS_BLOCKED",
                           "API_KEY_ANDROID_APP_BLOCKED", "API_KEY_IOS_APP_BLOCKED",
                           "ACCESS_TOKEN_EXPIRED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                           "CREDENTIALS_MISSING"})
_AUTH_STATUSES = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})
_CONTEXT = re.compile(r"input token count|exceeds the maximum number of tokens|context (?:window|length)"
                      r"|prompt is too long|too many tokens", re.IGNORECASE)
_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")
_RETRY_IN = re.compile(r"retry in (\d+(?:\.\d+)?)\s*(ms|s)\b", re.IGNORECASE)


def scrub_key_params(text: str) -> str:
    """``...?key=AIza...&alt=sse`` -> ``...?key=***&alt=sse``: a URL echoed back keeps no key."""
    return _KEY_PARAM.sub(r"\1***", text)


def _error(data: Any) -> Mapping[str, Any] | None:
    if isinstance(data, list) and data:  # streamGenerateContent without alt=sse answers a JSON list
        data = data[0]
    error = data.get("error") if isinstance(data, Mapping) else None
    return error if isinstance(error, Mapping) else None


def _details(error: Mapping[str, Any]) -> tuple[str | None, float | None]:
    """``(ErrorInfo.reason, RetryInfo.retryDelay in seconds)``."""
    reason, delay = None, None
    for detail in error.get("details") or ():
        if not isinstance(detail, Mapping):
            continue
        kind = str(detail.get("@type", ""))
        if kind.endswith("google.rpc.ErrorInfo") and isinstance(detail.get("reason"), str):
            reason = detail["reason"]
        elif kind.endswith("google.rpc.RetryInfo"):
            match = _DELAY.match(str(detail.get("retryDelay", "")).strip())
            delay = float(match.group(1)) if match else None
    return reason, delay


def _retry_in(message: str) -> float | None:
    match = _RETRY_IN.search(message)
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000 if match.group(2).lower() == "ms" else value


def map_error(provider: str, model: str | None, status: int, body: bytes,
              headers: Mapping[str, str] | None = None, reason_phrase: str = "") -> APIStatusError:
    """The error for an HTTP error response from the Gemini API, with Gemini's message and, as
    ``code``, its ``ErrorInfo.reason`` (``API_KEY_INVALID``) or status (``RESOURCE_EXHAUSTED``)."""
    text = scrub_key_params(body.decode("utf-8", errors="replace").strip())
    error = _error(parse_body(body)) or {}
    message = error.get("message")
    message = scrub_key_params(message) if isinstance(message, str) and message else (
        text or reason_phrase)
    reason, delay = _details(error)
    status_name = error.get("status") if isinstance(error.get("status"), str) else None
    # What the body says outranks the HTTP status: a bad key is a 400 with API_KEY_INVALID.
    if reason in _AUTH_REASONS or status_name in _AUTH_STATUSES:
        as_status: int | None = 401
    elif status_name == "NOT_FOUND":
        as_status = 404
    elif status_name == "RESOURCE_EXHAUSTED":
        as_status = 429
    else:
        as_status = None
    kind = as_status or status
    about_model = "model" in (message or "").lower()
    if kind == 404 and not about_model:
        message = f"{(message or 'no error message')[:950]} (is the base URL right?)"
    wait = None
    if kind == 429:
        wait = delay if delay is not None else retry_after(headers or {})
        wait = wait if wait is not None else _retry_in(message or "")
    return error_for_status(status, message or "", provider=provider, model=model,
                            code=reason or status_name, body=text, as_status=as_status,
                            model_not_found=about_model, wait=wait,
                            context_length=bool(_CONTEXT.search(message or "")))


def stream_error(provider: str, model: str | None, data: Mapping[str, Any]) -> APIStatusError:
    """The error for an ``{"error": ...}`` chunk inside a stream that began with HTTP 200, as the
    status it comes with in a whole reply: its ``code``, else what its ``status`` name means
    (the toolkit's one mapping, ``error_status``)."""
    status = error_status(_error(data))
    return map_error(provider, model, status, json.dumps(data, ensure_ascii=False).encode())
