"""Azure's error responses: the shared mapping, with what Azure says in its own words.

* 404 ``DeploymentNotFound`` (or any 404 that speaks of a model) is a
  :class:`~modelplex.errors.ModelNotFoundError` naming the deployment; another 404 ("Resource not
  found") usually means a wrong endpoint, route or api-version, and says so.
* 429 without a ``Retry-After`` header takes the wait from the message ("Please retry after 6
  seconds", "Try again in 86400 seconds").
* Everything else as :func:`~modelplex_openai_compat.map_error` maps it (401/403 authentication,
  400 bad request with Azure's ``code``, such as ``content_filter``, 5xx server errors).
"""

from __future__ import annotations

import re

from modelplex_openai_compat import ErrorResponse, error_details, map_error, parse_body

from modelplex.errors import APIStatusError, ModelNotFoundError, NotFoundError, RateLimitError

_RETRY_IN_MESSAGE = re.compile(r"(?:retry after|try again in) (\d+(?:\.\d+)?) ?(seconds?|s\b|ms\b)",
                               re.IGNORECASE)


def retry_after_in_message(message: str) -> float | None:
    """The wait Azure names in a 429 message, in seconds."""
    match = _RETRY_IN_MESSAGE.search(message)
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000 if match.group(2).lower() == "ms" else value


def azure_map_error(error: ErrorResponse) -> APIStatusError:
    """The stage ``map_error`` for Azure (see the module docstring)."""
    exc = map_error(error)
    if error.status_code == 404:
        message, code = error_details(parse_body(error.body), error.reason or "not found")
        message = message[:1000]
        if code == "DeploymentNotFound" or isinstance(exc, ModelNotFoundError):
            who = f"deployment {error.model!r}" if error.model else "the deployment"
            return ModelNotFoundError(
                f"{who} was not found on this Azure resource: {message} (the model in azure/<name> "
                "is the deployment name shown under Deployments, not the base model's name)",
                provider=error.provider, model=error.model, status_code=404, body=exc.body,
                code=exc.code)
        return NotFoundError(f"{message} (check the endpoint (AZURE_OPENAI_ENDPOINT), the route and "
                             "the api-version)", provider=error.provider, model=error.model,
                             status_code=404, body=exc.body, code=exc.code)
    if isinstance(exc, RateLimitError) and exc.retry_after is None:
        message, _ = error_details(parse_body(error.body), "")
        exc.retry_after = retry_after_in_message(message)
    return exc
