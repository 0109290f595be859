"""google.rpc error bodies on the error tree; the key never shows, even echoed in a URL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gemini_helpers import KEY, recording
from modelplex_gemini.errors import map_error, scrub_key_params, stream_error

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


def mapped(status: int, body: Any, headers: dict[str, str] | None = None) -> APIStatusError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return map_error("gemini", "gemini-2.5-flash", status, raw, headers)


def rpc(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": list(details)}}


@pytest.mark.parametrize(("name", "kind", "code"), [
    ("09_error_400_api_key_invalid", AuthenticationError, "API_KEY_INVALID"),
    ("10_error_429_resource_exhausted", RateLimitError, "RESOURCE_EXHAUSTED"),
    ("11_error_404_model_not_found", ModelNotFoundError, "NOT_FOUND"),
    ("12_error_403_no_api_key", AuthenticationError, "PERMISSION_DENIED"),
])
def test_recorded_errors(name: str, kind: type[APIStatusError], code: str) -> None:
    rec = recording(name)
    error = mapped(rec.status, rec.response["body"])
    assert type(error) is kind and error.code == code and error.status_code == rec.status
    assert rec.response["body"]["error"]["message"][:40] in str(error)
    assert str(error).startswith("gemini/gemini-2.5-flash: ")


def test_retry_delay_comes_from_retry_info_then_headers_then_the_message() -> None:
    info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"}
    assert mapped(429, rpc(429, "RESOURCE_EXHAUSTED", "slow down", info)).retry_after == 12.5
    assert mapped(429, rpc(429, "RESOURCE_EXHAUSTED", "slow down"),
                  {"Retry-After": "7"}).retry_after == 7.0
    assert mapped(429, rpc(429, "RESOURCE_EXHAUSTED", "Please retry in 1.5s.")).retry_after == 1.5
    assert mapped(429, rpc(429, "RESOURCE_EXHAUSTED", "Please retry in 250ms.")).retry_after == 0.25
    assert mapped(429, rpc(429, "RESOURCE_EXHAUSTED", "no hint")).retry_after is None
    assert mapped(429, rpc(429, "RESOURCE_EXHAUSTED", "x")).is_retryable


@pytest.mark.parametrize(("status", "body", "kind"), [
    (400, rpc(400, "INVALID_ARGUMENT", "API key expired. Please renew the API key.",
              {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_EXPIRED"}),
     AuthenticationError),
    (401, rpc(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
     AuthenticationError),
    (403, rpc(403, "PERMISSION_DENIED", "Generative Language API has not been used in project 1"),
     AuthenticationError),
    (400, rpc(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number "
              "of tokens allowed (1048576)."), ContextLengthExceededError),
    (400, rpc(400, "INVALID_ARGUMENT", "* GenerateContentRequest.tools[0].function_declarations[0]"
              ".parameters.properties[x].items: missing field."), BadRequestError),
    (400, rpc(400, "FAILED_PRECONDITION", "User location is not supported for the API use."),
     BadRequestError),
    (404, rpc(404, "NOT_FOUND", "Requested entity was not found."), NotFoundError),
    (500, rpc(500, "INTERNAL", "An internal error has occurred."), ServerError),
    (503, rpc(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), ServerError),
    (504, rpc(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
     ServerError),
    (502, b"<html><body>Bad Gateway</body></html>", ServerError),
])
def test_statuses(status: int, body: Any, kind: type[APIStatusError]) -> None:
    error = mapped(status, body)
    assert type(error) is kind and error.status_code == status
    assert error.is_retryable is (kind is ServerError)


def test_a_list_shaped_error_body() -> None:
    error = mapped(400, [rpc(400, "INVALID_ARGUMENT", "bad request")])
    assert isinstance(error, BadRequestError) and "bad request" in str(error)


def test_stream_error_chunk() -> None:
    error = stream_error("gemini", "m", rpc(429, "RESOURCE_EXHAUSTED", "quota"))
    assert isinstance(error, RateLimitError) and error.status_code == 429
    assert isinstance(stream_error("gemini", "m", {"error": {"message": "?"}}), ServerError)


def test_the_key_never_shows_even_when_a_url_echoes_it() -> None:
    Secret(KEY)  # the core registers every key it wraps, as it does for a configured one
    echoed = f"Invalid request to https://generativelanguage.googleapis.com/v1beta/models/x?key={KEY}&alt=sse"
    error = mapped(400, rpc(400, "INVALID_ARGUMENT", echoed))
    for text in (str(error), repr(error), str(vars(error))):
        assert KEY not in text
    assert "key=***&alt=sse" in str(error)
    unknown = "AIzaSyD-an-unregistered-key-0123456789"
    error = mapped(400, rpc(400, "INVALID_ARGUMENT", f"see https://x.example/?key={unknown}"))
    assert unknown not in str(error) and unknown not in (error.body or "")
    assert scrub_key_params("a?key=abc&b=1 api_key=zzz") == "a?key=***&b=1 api_key=***"
