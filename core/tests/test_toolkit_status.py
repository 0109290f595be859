"""The toolkit's one status-to-error mapping, error bodies and ``retry_after``."""

from __future__ import annotations

import pytest

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
from modelplex.toolkit import error_details, error_for_status, parse_body, retry_after


def mapped(status: int, **kw: object) -> APIStatusError:
    return error_for_status(status, "it went wrong", provider="acme", model="m-1", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "kind", "retryable"), [
    (401, AuthenticationError, False), (403, AuthenticationError, False), (404, NotFoundError, False),
    (429, RateLimitError, True), (408, ServerError, True), (409, ServerError, True),
    (500, ServerError, True), (503, ServerError, True), (529, ServerError, True),
    (400, BadRequestError, False), (413, BadRequestError, False), (422, BadRequestError, False),
    (302, APIStatusError, False),
])
def test_the_class_and_is_retryable_come_from_the_status(status: int, kind: type[APIStatusError],
                                                          retryable: bool) -> None:
    err = mapped(status, code="x", body="raw body")
    assert type(err) is kind and err.is_retryable is retryable
    assert (err.provider, err.model, err.status_code, err.code, err.body) == ("acme", "m-1", status, "x",
                                                                              "raw body")
    assert str(err) == f"acme/m-1: it went wrong (HTTP {status})"


def test_what_only_the_provider_can_tell() -> None:
    assert type(mapped(404, model_not_found=True)) is ModelNotFoundError
    assert type(mapped(400, context_length=True)) is ContextLengthExceededError
    assert type(mapped(500, context_length=True)) is ServerError  # a 5xx stays a server error
    resource = mapped(400, as_status=429, wait=48.0)
    assert type(resource) is RateLimitError and resource.status_code == 400 and resource.retry_after == 48.0
    assert type(mapped(400, as_status=401)) is AuthenticationError
    quota = mapped(429, retryable=False)
    assert isinstance(quota, RateLimitError) and not quota.is_retryable
    assert RateLimitError.is_retryable  # the override is the instance's, not the class's


def test_message_and_body_are_capped_and_an_empty_message_is_named() -> None:
    err = error_for_status(500, "m" * 5000, provider="p", model=None, body="b" * 9000)
    assert err.message.count("m") == 1000 and err.body == "b" * 4000
    assert "no error message" in str(error_for_status(500, "", provider="p", model=None))
    assert error_for_status(500, "x", provider="p", model=None, body="").body is None


def test_a_rate_limit_reads_its_wait_from_the_headers() -> None:
    err = mapped(429, headers={"Retry-After": "2"})
    assert isinstance(err, RateLimitError) and err.retry_after == 2.0
    err = mapped(429, headers={"Retry-After": "2"}, wait=5.0)
    assert isinstance(err, RateLimitError) and err.retry_after == 5.0


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": "1.5"}, 1.5),
    ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ({"Retry-After": "Mon, 12 Jan 1970 13:46:50 GMT"}, 10.0),  # 1_000_010 s after the epoch
    ({"Retry-After": "Mon, 12 Jan 1970 13:46:30 GMT"}, 0.0),   # already past
    ({"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"}, 360.0),
    ({"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s",
      "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "1000"}, 1.0),
    ({"x-ratelimit-reset-tokens": "20ms"}, 0.02),
    ({"x-ratelimit-reset-tokens": "1h2m3.5s"}, 3723.5),
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    got = retry_after(headers, now=1_000_000.0)
    assert got == (pytest.approx(seconds) if seconds is not None else None)


@pytest.mark.parametrize(("body", "details"), [
    (b'{"error": {"message": "bad", "code": "c1", "type": "t"}}', ("bad", "c1")),
    (b'{"error": {"message": "bad", "type": "invalid_request_error"}}', ("bad", "invalid_request_error")),
    (b'{"error": "model not found"}', ("model not found", None)),
    (b'{"detail": "no such thing"}', ("no such thing", None)),
    (b'{"message": "plain"}', ("plain", None)),
    (b'{"error": {"message": {"nested": 1}}}', ('{"nested": 1}', None)),
    (b'{"error": {"message": "Provider returned error", "metadata": {"raw": "upstream 429"}}}',
     ("Provider returned error: upstream 429", None)),
    (b"<html>502</html>", ("fallback", None)),
    (b'[1, 2]', ("fallback", None)),
    (b'{"error": 5}', ("fallback", None)),
])
def test_error_details_in_the_common_shapes(body: bytes, details: tuple[str, str | None]) -> None:
    assert error_details(parse_body(body), "fallback") == details
