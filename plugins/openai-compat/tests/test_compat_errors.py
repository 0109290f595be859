"""Errors onto the tree: every recorded error body, status codes, Retry-After forms, no key leaks."""

from __future__ import annotations

import json

import httpx
import pytest
from compat_helpers import KEY, Harness, json_response, recording
from modelplex_openai_compat import (
    ErrorResponse,
    error_details,
    map_error,
    parse_body,
    retry_after,
    stream_error,
)

from modelplex import toolkit
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

RECORDED = [
    ("openai/08_error_400_unsupported_system_role", BadRequestError,
     "does not support 'system' with this model"),
    ("openai/09_error_404_model_not_found", ModelNotFoundError, "does not exist"),
    ("openai/10_error_401_invalid_api_key", AuthenticationError, "Incorrect API key provided"),
    ("deepseek/08_error_401_authentication", AuthenticationError, "Authentication Fails"),
    ("deepseek/09_error_400_context_length_octet_stream", ContextLengthExceededError,
     "maximum context length is 1048565 tokens"),
    ("groq/07_error_400_tool_use_failed", BadRequestError, "Tool call validation failed"),
    ("groq/08_error_404_model_not_found", ModelNotFoundError, "`non-existent` does not exist"),
    ("mistral/08_error_401", AuthenticationError, "Invalid API Key"),
    ("azure/06_error_401", AuthenticationError, "Access denied"),
    ("azure/07_error_429", RateLimitError, "exceeded rate limit"),
    ("openrouter/01_error_429", RateLimitError, "temporarily rate-limited upstream"),
]


def mapped(status: int, body: bytes | str | dict, **headers: str) -> APIStatusError:
    raw = body if isinstance(body, bytes) else (
        body.encode() if isinstance(body, str) else json.dumps(body).encode())
    error = map_error(ErrorResponse(provider="acme", model="m-1", status_code=status,
                                    headers=headers, body=raw, now=1_000_000.0))
    assert isinstance(error, APIStatusError)
    return error


@pytest.mark.parametrize(("name", "kind", "text"), RECORDED)
def test_recorded_errors(name: str, kind: type[APIStatusError], text: str) -> None:
    """Through the whole provider, with the recorded content type (octet-stream for DeepSeek)."""
    rec = recording(name)
    h = Harness().reply(httpx.Response(rec.status, content=rec.body_bytes(),
                                       headers={"content-type": rec.content_type}))
    with pytest.raises(kind) as info:
        h.chat()
    err = info.value
    assert type(err) is kind
    assert text in str(err) and "acme/m-1" in str(err) and f"HTTP {rec.status}" in str(err)
    assert err.provider == "acme" and err.model == "m-1" and err.status_code == rec.status
    for shown in (str(err), repr(err), str(vars(err))):
        assert KEY not in shown


def test_status_codes() -> None:
    assert type(mapped(403, {"error": {"message": "no"}})) is AuthenticationError
    assert type(mapped(404, "Not Found")) is NotFoundError
    assert "base URL" in str(mapped(404, ""))
    for status in (408, 409, 500, 502, 503, 529):
        err = mapped(status, "busy")
        assert type(err) is ServerError and err.is_retryable
    assert type(mapped(422, {"error": {"message": "bad field"}})) is BadRequestError
    assert type(mapped(413, "request entity too large")) is BadRequestError
    assert not mapped(400, "x").is_retryable


def test_context_length_by_code_or_message() -> None:
    assert type(mapped(400, {"error": {"message": "too long", "code": "context_length_exceeded"}})
                ) is ContextLengthExceededError
    assert type(mapped(400, {"error": {"message": "This model's maximum context length is 8192"}})
                ) is ContextLengthExceededError


def test_a_body_that_is_not_json_still_gives_the_servers_message() -> None:
    err = mapped(502, "<html><body>502 Bad Gateway from upstream</body></html>")
    assert "502 Bad Gateway from upstream" in str(err)
    assert "no error message" in str(mapped(500, b""))


def test_rate_limits_and_quota() -> None:
    err = mapped(429, {"error": {"message": "slow", "code": "rate_limit_exceeded"}},
                 **{"retry-after": "2"})
    assert isinstance(err, RateLimitError) and err.retry_after == 2.0 and err.is_retryable
    quota = mapped(429, {"error": {"message": "You exceeded your current quota",
                                   "code": "insufficient_quota"}})
    assert isinstance(quota, RateLimitError) and not quota.is_retryable


def test_the_header_and_body_readers_are_the_toolkits() -> None:
    """Their own tests are core/tests/test_toolkit_status.py's; here, that map_error uses them."""
    assert retry_after is toolkit.retry_after
    assert error_details is toolkit.error_details and parse_body is toolkit.parse_body


@pytest.mark.parametrize("headers", [
    {"retry-after-ms": "250", "retry-after": "9"},
    {"Retry-After": "Mon, 12 Jan 1970 13:46:50 GMT"},  # 10 s after the error's clock
    {"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"},
    {"retry-after": "soon"},
])
def test_a_rate_limit_waits_as_its_headers_say(headers: dict[str, str]) -> None:
    assert mapped(429, "slow", **headers).retry_after == retry_after(headers, now=1_000_000.0)


def test_a_key_echoed_back_is_scrubbed() -> None:
    h = Harness().reply(json_response({"error": {"message": f"Incorrect API key provided: {KEY}"}},
                                      status=401))
    with pytest.raises(AuthenticationError) as info:
        h.chat()
    for shown in (str(info.value), repr(info.value), str(vars(info.value))):
        assert KEY not in shown


def test_stream_error_status_from_the_event() -> None:
    assert type(stream_error("p", "m", {"error": {"message": "x", "status_code": 429}})
                ) is RateLimitError
    assert type(stream_error("p", "m", {"error": {"message": "x", "code": "503"}})) is ServerError
    assert type(stream_error("p", "m", {"error": "plain text error"})) is ServerError
    assert type(stream_error("p", "m", {"error": {"message": "x",
                                                  "type": "authentication_error"}})
                ) is AuthenticationError
