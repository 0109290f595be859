"""Replicate's error answers on the Modelplex error tree, the provider named in each.

Replicate answers errors as ``application/problem+json``: ``{"title", "detail", "status"}``. 401 is a
bad token; 402 an account out of credit (not retryable: buy credit); 404 on the create route a model,
version or deployment that does not exist (or that this token may not see); 422 an input the model
refused; 429 a throttled request, with ``Retry-After``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from modelplex.errors import APIStatusError
from modelplex.toolkit import error_for_status, parse_body

_TOO_LONG = re.compile(r"context length|context window|too many tokens|too long|exceeds .*tokens",
                       re.IGNORECASE)
_CODES = {401: "unauthenticated", 402: "insufficient_credit", 404: "not_found", 422: "invalid_input",
          429: "throttled"}


def _message(body: bytes, fallback: str) -> str:
    data = parse_body(body)
    if not isinstance(data, Mapping):
        return fallback
    title, detail = data.get("title"), data.get("detail")
    parts = [str(p) for p in (title, detail) if isinstance(p, str) and p]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]  # "Request was throttled." / "Request was throttled. Expected available in 1s"
    return ": ".join(parts) or fallback


def map_error(*, provider: str, model: str | None, status: int, body: bytes,
              headers: Mapping[str, str], reason: str = "", creating: bool = False) -> APIStatusError:
    """The error for one error answer; ``creating`` says it answered the prediction's creation, where a
    404 means the model, version or deployment is not there."""
    text = body.decode("utf-8", errors="replace").strip()
    message = _message(body, text or reason or f"HTTP {status}")
    return error_for_status(status, message, provider=provider, model=model, code=_CODES.get(status),
                            body=text or None, headers=headers, model_not_found=creating,
                            context_length=bool(_TOO_LONG.search(message)),
                            retryable=False if status == 402 else None)
