"""Ollama's error answers on the Modelplex error tree."""

from __future__ import annotations

import json

import httpx
import pytest
from modelplex_ollama.errors import ModelCapabilityError, map_error, stream_error, unreachable

from modelplex.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    ModelNotFoundError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    UnsupportedFeatureError,
)


def err(status: int, message: str, model: str | None = "m", **headers: str) -> Exception:
    return map_error("ollama", model, status, json.dumps({"error": message}).encode(), headers)


@pytest.mark.parametrize(("status", "message", "kind"), [
    (400, '"qwen3" does not support thinking', ModelCapabilityError),
    (400, "registry.ollama.ai/library/gemma3:1b does not support tools", ModelCapabilityError),
    (400, "input length exceeds the context length", ContextLengthExceededError),
    (400, "invalid JSON", BadRequestError),
    (401, "unauthorized", AuthenticationError),
    (404, 'model "m" not found, try pulling it first', ModelNotFoundError),
    (429, "too many requests", RateLimitError),
    (500, "the model failed to generate a response", ServerError),
    (502, "cloud model unreachable", ServerError),
])
def test_statuses_and_messages(status: int, message: str, kind: type[Exception]) -> None:
    error = err(status, message)
    assert type(error) is kind and message in str(error) and "ollama/m" in str(error)


def test_a_capability_error_is_both_a_bad_request_and_unsupported() -> None:
    error = err(400, '"qwen3" does not support thinking')
    assert isinstance(error, BadRequestError) and isinstance(error, UnsupportedFeatureError)
    assert isinstance(error, ModelCapabilityError) and error.feature == "thinking"
    assert "modelplex ollama search thinking" in str(error)


def test_not_found_without_a_model_and_retry_after() -> None:
    assert type(err(404, "404 page not found", model=None)) is NotFoundError
    limited = err(429, "slow down", **{"retry-after": "7"})
    assert isinstance(limited, RateLimitError) and limited.retry_after == 7.0
    plain = map_error("ollama", "m", 500, b"<html>oops</html>")
    assert "<html>oops</html>" in str(plain)


def test_errors_inside_streams() -> None:
    assert type(stream_error("ollama", "m", {"error": "pull model manifest: file does not exist"})) is \
        ModelNotFoundError
    assert type(stream_error("ollama", "m", {"error": "m does not support tools"})) is ModelCapabilityError
    broken = stream_error("ollama", "m", {"error": "max retries exceeded"}, where="pull")
    assert type(broken) is ServerError and "in the middle of the pull" in str(broken)


def test_unreachable_names_the_address() -> None:
    down = unreachable("ollama", "m", "http://127.0.0.1:1", httpx.ConnectError("refused"))
    assert isinstance(down, TransportError) and "Ollama is not reachable at http://127.0.0.1:1" in str(down)
    slow = unreachable("ollama", "m", "http://h:1", httpx.ReadTimeout("slow"))
    assert "did not answer in time" in str(slow) and "read_timeout" in str(slow)
