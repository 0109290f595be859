"""Anthropic's error types and statuses onto the Modelplex tree, with the provider's message, the
model, retry_after, and never the key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from modelplex_anthropic.errors import map_error, stream_error

from modelplex import Secret
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

MODEL = "claude-sonnet-4-5"
KEY = "sk-ant-errors-test-key-0123456789"
Secret(KEY)  # registered for scrubbing, as every configured key is


def body(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message},
                       "request_id": "req_011CAbc"}).encode()


@pytest.mark.parametrize(("status", "kind", "message", "error", "retryable"), [
    (400, "invalid_request_error", "messages: text content blocks must be non-empty", BadRequestError, False),
    (400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum",
     ContextLengthExceededError, False),
    (400, "invalid_request_error", "input length and `max_tokens` exceed context limit: 188240 + 21333 > "
     "200000, decrease input length or `max_tokens` and try again", ContextLengthExceededError, False),
    (401, "authentication_error", "invalid x-api-key", AuthenticationError, False),
    (403, "permission_error", "Your API key does not have permission to use the specified resource.",
     AuthenticationError, False),
    (404, "not_found_error", f"model: {MODEL}", ModelNotFoundError, False),
    (413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", BadRequestError,
     False),
    (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
     RateLimitError, True),
    (500, "api_error", "Internal server error", ServerError, True),
    (529, "overloaded_error", "Overloaded", ServerError, True),
])
def test_statuses(status: int, kind: str, message: str, error: type[APIStatusError],
                  retryable: bool) -> None:
    exc = map_error("anthropic", MODEL, status, body(kind, message), {"retry-after": "17"})
    assert type(exc) is error
    assert exc.status_code == status and exc.code == kind and exc.is_retryable is retryable
    assert str(exc) == f"anthropic/{MODEL}: {message} [request req_011CAbc] (HTTP {status})"
    assert exc.provider == "anthropic" and exc.model == MODEL
    if error is RateLimitError:
        assert exc.retry_after == 17.0  # type: ignore[attr-defined]


def test_retry_after_as_an_http_date_or_absent() -> None:
    exc = map_error("anthropic", MODEL, 429, body("rate_limit_error", "slow down"),
                    {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert isinstance(exc, RateLimitError) and exc.retry_after == 0.0
    bare = map_error("anthropic", MODEL, 429, body("rate_limit_error", "slow down"), {})
    assert isinstance(bare, RateLimitError) and bare.retry_after is None


def test_a_404_that_is_not_about_the_model_hints_at_the_base_url() -> None:
    exc = map_error("anthropic", MODEL, 404, b"<html>404 page not found</html>", {}, "Not Found")
    assert type(exc) is NotFoundError and "ANTHROPIC_BASE_URL goes without /v1" in str(exc)
    models = map_error("anthropic", None, 404, body("not_found_error", "Not found"), {})
    assert type(models) is NotFoundError


def test_a_body_that_is_not_json() -> None:
    exc = map_error("anthropic", MODEL, 502, b"<h1>502 Bad Gateway</h1>", {}, "Bad Gateway")
    assert isinstance(exc, ServerError) and "502 Bad Gateway" in str(exc)
    empty = map_error("anthropic", MODEL, 503, b"", {}, "Service Unavailable")
    assert "Service Unavailable" in str(empty)


def test_the_key_never_shows() -> None:
    exc = map_error("anthropic", MODEL, 401, body("authentication_error", f"bad key {KEY}"), {})
    for text in (str(exc), repr(exc), str(vars(exc))):
        assert KEY not in text


@pytest.mark.parametrize(("data", "error", "status"), [
    ({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, ServerError, 529),
    ({"type": "error", "error": {"type": "api_error", "message": "Internal"}}, ServerError, 500),
    ({"type": "error", "error": {"type": "mystery", "message": "?"}}, ServerError, 500),
    ({"type": "error"}, ServerError, 500),
    ({"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: 1 > 0"}},
     ContextLengthExceededError, 400),
])
def test_stream_error_events(data: dict[str, Any], error: type[APIStatusError], status: int) -> None:
    exc = stream_error("anthropic", MODEL, data)
    assert type(exc) is error and exc.status_code == status
    assert f"anthropic/{MODEL}" in str(exc)
