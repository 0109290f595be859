"""Errors as each API shapes them, mapped once from the client library's typed errors.

A failure becomes a :class:`GatewayError`: an HTTP status, a ``kind`` (Anthropic's error types, a
clean set that names every case: ``invalid_request_error``, ``authentication_error``,
``permission_error``, ``not_found_error``, ``request_too_large``, ``rate_limit_error``, ``api_error``,
``overloaded_error``, ``timeout_error``), a message already scrubbed of secrets, and the headers that
tell the official SDKs whether to retry (``retry-after``; ``x-should-retry: false`` where retrying cannot
help: a budget spent, a policy refusal). :meth:`GatewayError.openai_body` and
:meth:`GatewayError.anthropic_body` render it in each API's shape.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from modelplex import errors as e

# OpenAI's error types for ours; OpenAI has no "not found" or "overloaded" type of its own.
_OPENAI_TYPE = {
    "not_found_error": "invalid_request_error",
    "request_too_large": "invalid_request_error",
    "api_error": "server_error",
    "overloaded_error": "server_error",
    "timeout_error": "server_error",
}


class GatewayError(Exception):
    """A request the gateway answers with an error. ``message`` never holds a secret: it is built
    from scrubbed error messages (:class:`~modelplex.ModelplexError`) or the gateway's own text."""

    def __init__(self, status: int, kind: str, message: str, *, code: str | None = None,
                 param: str | None = None, retry_after: float | None = None,
                 should_retry: bool | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.code = code
        self.param = param
        self.retry_after = retry_after
        self.should_retry = should_retry

    @property
    def headers(self) -> dict[str, str]:
        """``retry-after`` (whole seconds, rounded up) and ``x-should-retry`` where known."""
        out: dict[str, str] = {}
        if self.retry_after is not None:
            out["retry-after"] = str(max(0, math.ceil(self.retry_after)))
        if self.should_retry is not None:
            out["x-should-retry"] = "true" if self.should_retry else "false"
        return out

    def openai_body(self) -> dict[str, Any]:
        """``{"error": {"message", "type", "param", "code"}}``, as OpenAI sends it."""
        kind = "insufficient_quota" if self.code == "budget_exceeded" else _OPENAI_TYPE.get(self.kind,
                                                                                            self.kind)
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}

    def anthropic_body(self) -> dict[str, Any]:
        """``{"type": "error", "error": {"type", "message"}}``, as Anthropic sends it."""
        return {"type": "error", "error": {"type": self.kind, "message": self.message}}


class KeyTokensExceeded(e.LocalRateLimitError):
    """A virtual key's tokens-a-minute limit leaves no room for an attempt: nothing was sent. ``fits`` is
    false when the attempt alone is more than the limit, so that waiting cannot help."""

    def __init__(self, message: str, *, provider: str, model: str | None = None,
                 retry_after: float | None = None, fits: bool = True) -> None:
        super().__init__(message, provider=provider, model=model, retry_after=retry_after)
        self.fits = fits


class KeyLimitsUnavailable(e.ModelplexError):
    """A virtual key's limit counters (the shared Redis) cannot be reached: the attempt is refused, not
    let through unchecked."""


def _seconds_until(when: float | None) -> float | None:
    return None if when is None else max(0.0, when - time.time())


def _field(exc: BaseException) -> str | None:
    value = getattr(exc, "field", None)
    return value if isinstance(value, str) else None


def _budget(exc: e.BudgetExceeded) -> GatewayError:
    return GatewayError(429, "rate_limit_error", exc.message, code="budget_exceeded",
                        retry_after=_seconds_until(exc.resets_at), should_retry=False)


def _policy(exc: e.PolicyDenied) -> GatewayError:
    return GatewayError(403, "permission_error", exc.message, code="policy_denied", should_retry=False)


def _provider(exc: e.ProviderError) -> GatewayError:
    # An upstream's refusal of the gateway's own provider key is the gateway's fault, not the caller's
    # key: a 401 would tell the caller to fix a key they do not hold.
    if isinstance(exc, e.AuthenticationError):
        return GatewayError(502, "api_error", exc.message, code="upstream_authentication")
    if isinstance(exc, e.ModelNotFoundError):
        return GatewayError(404, "not_found_error", exc.message, code="model_not_found", param="model")
    if isinstance(exc, e.ContextLengthExceededError):
        return GatewayError(400, "invalid_request_error", exc.message, code="context_length_exceeded",
                            param="messages")
    if isinstance(exc, e.BadRequestError):
        return GatewayError(413 if exc.status_code == 413 else 400,
                            "request_too_large" if exc.status_code == 413 else "invalid_request_error",
                            exc.message, code=exc.code)
    if isinstance(exc, e.RateLimitError):
        never = isinstance(exc, KeyTokensExceeded) and not exc.fits
        return GatewayError(429, "rate_limit_error", exc.message, code="rate_limit_exceeded",
                            retry_after=exc.retry_after, should_retry=False if never else None)
    if isinstance(exc, e.UnsupportedFeatureError):
        return GatewayError(400, "invalid_request_error", exc.message, code="unsupported_feature")
    if isinstance(exc, e.RequestTimeoutError):
        return GatewayError(504, "timeout_error", exc.message, code="upstream_timeout")
    if isinstance(exc, e.RoutingError):
        return _routing(exc)
    if isinstance(exc, e.RequestBuildError):
        return GatewayError(400, "invalid_request_error", exc.message, code="request_not_built")
    status = 503 if isinstance(exc, e.ServerError) and exc.status_code in (503, 529) else 502
    return GatewayError(status, "overloaded_error" if status == 503 else "api_error", exc.message,
                        code="upstream_error")


def _routing(exc: e.RoutingError) -> GatewayError:
    # Every candidate failed: when the last failure is the caller's (a bad request), say so as such;
    # otherwise the upstreams are unavailable, retryable when the library says a later try may succeed.
    cause = exc.__cause__
    if isinstance(cause, e.ModelplexError) and not getattr(cause, "is_retryable", False):
        mapped = from_exception(cause)
        if mapped.status < 500:
            mapped.message = exc.message
            return mapped
    if exc.is_retryable:
        return GatewayError(503, "overloaded_error", exc.message, code="no_model_available",
                            retry_after=exc.retry_after)
    return GatewayError(502, "api_error", exc.message, code="no_model_available")


def from_exception(exc: BaseException) -> GatewayError:
    """The response for ``exc``: a :class:`GatewayError` as is, a :class:`~modelplex.ModelplexError`
    mapped by type, anything else a 500 that says nothing of its cause (it is logged, not shown)."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, KeyLimitsUnavailable) or (isinstance(exc, e.AdmissionRefused) and any(
            isinstance(r, KeyLimitsUnavailable) for r in exc.refusals)):
        return GatewayError(503, "overloaded_error", "the gateway cannot check this key's limits now; try "
                            "again", code="limits_unavailable", retry_after=1.0)
    if isinstance(exc, e.AdmissionRefused):
        limited = [r for r in exc.refusals if isinstance(r, e.RateLimitError)]
        if limited and len(limited) == len(exc.refusals):  # a chain whose every model was over a limit
            mapped = min((_provider(r) for r in limited),
                         key=lambda m: (m.retry_after is None, m.retry_after or 0.0))
            mapped.message = exc.message
            return mapped
        return _budget(exc) if exc.scope is not None else _policy(exc)
    if isinstance(exc, e.BudgetExceeded):
        return _budget(exc)
    if isinstance(exc, e.PolicyDenied):
        return _policy(exc)
    if isinstance(exc, e.ProviderError):
        return _provider(exc)
    if isinstance(exc, e.UnknownModelError | e.UnknownProviderError):
        return GatewayError(404, "not_found_error", exc.message, code="model_not_found", param="model")
    if isinstance(exc, e.MissingCredentialsError):
        return GatewayError(400, "invalid_request_error", exc.message, code="provider_not_configured",
                            param="model")
    if isinstance(exc, e.InvalidRequestError | e.ToolError):
        return GatewayError(400, "invalid_request_error", exc.message, code="invalid_value",
                            param=_field(exc))
    if isinstance(exc, e.ModelplexError):
        return GatewayError(500, "api_error", exc.message, code="gateway_configuration")
    return GatewayError(500, "api_error", "the gateway failed on this request; its log says why",
                        code="internal_error")


def invalid(message: str, param: str | None = None, code: str = "invalid_value") -> GatewayError:
    """A request the gateway refuses before any call: 400 ``invalid_request_error``."""
    return GatewayError(400, "invalid_request_error", message, code=code, param=param)


def header_items(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """``headers`` as ASGI's raw header pairs."""
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
