"""Anthropic's error shapes and status codes from ``/v1/messages``, raised by the official SDK as its typed
exceptions: a refused request (400 ``invalid_request_error`` naming the field), an unknown model (404
``not_found_error``), an upstream's rate limit (429 ``rate_limit_error`` with ``retry-after``), its
overload (503 ``overloaded_error``), the gateway's own upstream key refused (502 ``api_error``, not a 401
that would blame the caller's key), whole and streamed: a stream that fails before its first content is
an HTTP error, never a 200 whose first event is an error. Paths under ``/v1/messages`` the gateway does
not serve answer Anthropic's 404. No upstream key reaches the caller.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from gateway_server import UPSTREAM_KEY, openai_client, served

from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

MODEL = "openai/gpt-4o"
ASK: list[anthropic.types.MessageParam] = [{"role": "user", "content": "Hello?"}]


def _openai_error(status: int, message: str, kind: str, **headers: str) -> Reply:
    return Reply.json({"error": {"message": message, "type": kind, "param": None, "code": None}}, status,
                      **headers)


@contextlib.contextmanager
def _gateway(*replies: Reply) -> Iterator[tuple[str, ScriptedServer]]:
    with ScriptedServer(list(replies)) as upstream, served(openai_client(upstream)) as gateway:
        yield gateway.url, upstream


def _post(url: str, body: Any, path: str = "/v1/messages") -> httpx.Response:
    return httpx.post(f"{url}{path}", content=body if isinstance(body, bytes) else json.dumps(body),
                      headers={"content-type": "application/json", "anthropic-version": "2023-06-01"},
                      timeout=30)


def _shape(reply: httpx.Response, status: int, kind: str) -> str:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["type"] == "error" and body["error"]["type"] == kind, body
    assert UPSTREAM_KEY not in reply.text
    message: str = body["error"]["message"]
    return message


@pytest.mark.parametrize(("body", "field"), [
    ({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}, "max_tokens"),
    ({"model": MODEL, "max_tokens": 5, "messages": []}, "messages"),
    ({"model": MODEL, "max_tokens": 5, "messages": [{"role": "system", "content": "hi"}]},
     "messages[0].role"),
    ({"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}]}]},
     "messages[0].content[0]"),
    ({"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}],
      "tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools[0]"),
    ({"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}],
      "thinking": {"type": "sometimes"}}, "thinking.type"),
], ids=["no-max_tokens", "no-messages", "system-role-message", "document-block", "server-tool", "thinking"])
def test_a_request_that_cannot_be_passed_on_is_a_400_naming_the_field(body: dict[str, Any],
                                                                     field: str) -> None:
    with _gateway(Reply.json({})) as (url, upstream):
        message = _shape(_post(url, body), 400, "invalid_request_error")
        assert upstream.requests == []  # refused before any call
    assert field in message


def test_a_body_that_is_not_json_is_a_400() -> None:
    with _gateway(Reply.json({})) as (url, _):
        _shape(_post(url, b"{not json"), 400, "invalid_request_error")


def test_an_unknown_provider_is_a_404_the_sdk_raises_as_not_found() -> None:
    with _gateway(Reply.json({})) as (url, _):
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway", max_retries=0)
        with pytest.raises(anthropic.NotFoundError) as raised:
            sdk.messages.create(model="nosuchprovider/model-x", max_tokens=5, messages=ASK)
    assert raised.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_an_upstream_rate_limit_is_a_429_with_retry_after(stream: bool) -> None:
    limited = _openai_error(429, "Rate limit reached", "requests", **{"retry-after": "7"})
    with _gateway(limited) as (url, _):
        reply = _post(url, {"model": MODEL, "max_tokens": 5, "messages": ASK, "stream": stream})
        _shape(reply, 429, "rate_limit_error")
        assert int(reply.headers["retry-after"]) >= 1
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway", max_retries=0)
        with pytest.raises(anthropic.RateLimitError):
            sdk.messages.create(model=MODEL, max_tokens=5, messages=ASK, stream=stream)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_an_overloaded_upstream_is_a_503_overloaded_error(stream: bool) -> None:
    with _gateway(_openai_error(503, "The engine is overloaded", "server_error")) as (url, _):
        reply = _post(url, {"model": MODEL, "max_tokens": 5, "messages": ASK, "stream": stream})
        _shape(reply, 503, "overloaded_error")
        assert not reply.headers["content-type"].startswith("text/event-stream")


def test_the_gateways_own_upstream_key_refused_is_a_502_not_the_callers_401() -> None:
    refused = _openai_error(401, f"Incorrect API key provided: {UPSTREAM_KEY}", "invalid_request_error")
    with _gateway(refused) as (url, _):
        reply = _post(url, {"model": MODEL, "max_tokens": 5, "messages": ASK})
        _shape(reply, 502, "api_error")


def test_a_context_too_long_is_a_400_invalid_request() -> None:
    too_long = Reply.json({"error": {"message": "This model's maximum context length is 128000 tokens.",
                                     "type": "invalid_request_error", "param": "messages",
                                     "code": "context_length_exceeded"}}, 400)
    with _gateway(too_long) as (url, _):
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway", max_retries=0)
        with pytest.raises(anthropic.BadRequestError) as raised:
            sdk.messages.create(model=MODEL, max_tokens=5, messages=ASK)
    assert raised.value.status_code == 400


def test_paths_the_gateway_does_not_serve_answer_anthropics_404() -> None:
    with _gateway(Reply.stream([chunk(content="x"), chunk(finish="stop")])) as (url, _):
        reply = _post(url, {"requests": []}, path="/v1/messages/batches")
        _shape(reply, 404, "not_found_error")
