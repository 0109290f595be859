"""Errors named the same on every path (issue 12, "Errors"): an error event inside a stream is the
error its type is in a whole reply, on Chat Completions and on the Responses API, and the Responses
API's 400 ``model_not_found`` is a :class:`ModelNotFoundError` as Chat Completions' 404 is.

The streams are real recorded ones (``fixtures/openai``, ``fixtures/openai_responses``) cut after
their first events; what follows is OpenAI's quota error object exactly as its whole 429 reply
carries it (OpenAI's documented error envelope, ``type`` and ``code`` ``insufficient_quota``: no
public cassette of it was found), in each format's error event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import APIStatusError, ModelNotFoundError, RateLimitError, ServerError
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import Event, sse_events, sse_reply

FIXTURES = Path(__file__).parent / "fixtures"
QUOTA = {"message": "You exceeded your current quota, please check your plan and billing details.",
         "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}


def _recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["response"]
    return data


def _events(name: str) -> list[Event]:
    return sse_events(_recorded(name)["body_text"])


def _call(client: modelplex.Client, stream: bool) -> None:
    if not stream:
        client.chat("openai/gpt-4o", "hi")
        return
    with client.stream("openai/gpt-4o", "hi") as events:
        for _ in events:
            pass


def _raised(reply: Reply, api: str, *, stream: bool) -> BaseException:
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={"openai": {"api_key": "sk-test", "api": api,
                                  "base_url": f"http://127.0.0.1:{server.port}/v1"}},
            config_file=False, env={}) as client, pytest.raises(APIStatusError) as caught:
        _call(client, stream)
    return caught.value


def _same(streamed: BaseException, whole: BaseException) -> None:
    assert type(streamed) is type(whole)
    for field in ("status_code", "code", "is_retryable"):
        assert getattr(streamed, field) == getattr(whole, field), field


def test_whole_quota_reply_is_a_rate_limit_not_worth_retrying() -> None:
    whole = _raised(Reply.json({"error": QUOTA}, status=429), "chat_completions", stream=False)
    assert isinstance(whole, RateLimitError)
    assert (whole.status_code, whole.code, whole.is_retryable) == (429, "insufficient_quota", False)


def test_chat_completions_stream_quota_error_is_the_whole_replys_error() -> None:
    # Before: a retryable ServerError with an invented HTTP 500.
    events = [*_events("openai/06_chat_stream_text_with_usage.json")[:3], (None, {"error": QUOTA})]
    streamed = _raised(sse_reply(events), "chat_completions", stream=True)
    whole = _raised(Reply.json({"error": QUOTA}, status=429), "chat_completions", stream=False)
    assert not isinstance(streamed, ServerError)
    _same(streamed, whole)


def test_chat_completions_named_error_event_maps_by_type() -> None:
    events = [*_events("openai/06_chat_stream_text_with_usage.json")[:3], ("error", {"error": QUOTA})]
    streamed = _raised(sse_reply(events), "chat_completions", stream=True)
    assert isinstance(streamed, RateLimitError) and not streamed.is_retryable


@pytest.mark.parametrize("event", [
    # The Responses API's error event: the error's fields at the top level...
    ("error", {"type": "error", "sequence_number": 5, **QUOTA}),
    # ... and a response that failed with it.
    ("response.failed", {"type": "response.failed", "sequence_number": 5,
                         "response": {"status": "failed", "error": {"code": "insufficient_quota",
                                                                    "message": QUOTA["message"]}}}),
])
def test_responses_stream_quota_error_is_the_whole_replys_error(event: Event) -> None:
    events = [*_events("openai_responses/06_stream_text.json")[:5], event]
    streamed = _raised(sse_reply(events), "responses", stream=True)
    whole = _raised(Reply.json({"error": QUOTA}, status=429), "responses", stream=False)
    _same(streamed, whole)
    assert isinstance(streamed, RateLimitError)


def test_responses_unknown_model_400_is_model_not_found() -> None:
    # The Responses API's answer to an unknown model: HTTP 400, code model_not_found (Chat
    # Completions answers 404 with the same code; the recorded one is fixtures/openai/09).
    body = {"error": {"message": "The requested model 'gpt-nope' does not exist.",
                      "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}
    error = _raised(Reply.json(body, status=400), "responses", stream=False)
    assert isinstance(error, ModelNotFoundError)
    assert (error.status_code, error.code) == (400, "model_not_found")
    recorded = _recorded("openai/09_error_404_model_not_found.json")
    chat = _raised(Reply.json(recorded["body"], status=recorded["status"]), "chat_completions",
                   stream=False)
    assert isinstance(chat, ModelNotFoundError) and chat.code == error.code


def test_a_400_about_a_model_without_the_code_stays_a_bad_request() -> None:
    recorded = _recorded("openai_responses/08_error_400_invalid_value.json")
    error = _raised(Reply.json(recorded["body"], status=400), "responses", stream=False)
    assert not isinstance(error, ModelNotFoundError) and error.status_code == 400


def test_responses_whole_reply_that_failed_is_the_error_it_names() -> None:
    # HTTP 200 with a response whose status is "failed": the recorded reply, failed with the quota
    # error, is the 429 that error is, not a ServerError with an invented 500.
    body = _recorded("openai_responses/01_text.json")["body"]
    body.update(status="failed", output=[], error={"code": "insufficient_quota",
                                                   "message": QUOTA["message"]})
    failed = _raised(Reply.json(body), "responses", stream=False)
    whole = _raised(Reply.json({"error": QUOTA}, status=429), "responses", stream=False)
    _same(failed, whole)
