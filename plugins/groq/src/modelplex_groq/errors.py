"""Groq's ``tool_use_failed``: the model produced a tool call Groq could not validate.

Groq answers it with HTTP 400, or, mid-stream, with an ``event: error`` after HTTP 200. Either way it
becomes a :class:`~modelplex.errors.BadRequestError` with ``code == "tool_use_failed"`` whose message
holds Groq's explanation and the model's failed generation (what it tried to call).
"""

from __future__ import annotations

from collections.abc import Mapping

from modelplex_openai_compat import ErrorResponse, error_details, parse_body
from modelplex_openai_compat import map_error as map_compat

from modelplex.errors import APIStatusError, BadRequestError

TOOL_USE_FAILED = "tool_use_failed"
_MAX_GENERATION = 2000


def map_error(error: ErrorResponse) -> APIStatusError:
    """The shared mapping, with the failed generation added to a ``tool_use_failed`` error."""
    mapped = map_compat(error)
    if mapped.code != TOOL_USE_FAILED or not isinstance(mapped, BadRequestError):
        return mapped
    data = parse_body(error.body)
    message, _ = error_details(data, "the model's tool call failed Groq's validation")
    detail = data.get("error") if isinstance(data, Mapping) else None
    failed = detail.get("failed_generation") if isinstance(detail, Mapping) else None
    if isinstance(failed, str) and failed:
        message = f"{message}; the model generated: {failed[:_MAX_GENERATION]}"
    return BadRequestError(message, provider=error.provider, model=error.model,
                           status_code=error.status_code, body=mapped.body, code=mapped.code)

