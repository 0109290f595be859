"""End to end: the installed ``openai`` plugin against a real HTTP server on 127.0.0.1, through the
public clients and the ``modelplex`` command."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, ImagePart, Message, TextPart, ToolCallPart, Usage
from modelplex.errors import (
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from modelplex_testing import cli_env, modelplex_command, serving
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk, parallel_tool_calls

KEY = "sk-e2e-test-key-0123456789abcdef"
USAGE = {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32,
         "prompt_tokens_details": {"cached_tokens": 4},
         "completion_tokens_details": {"reasoning_tokens": 0}}


PARALLEL = parallel_tool_calls(USAGE)
CALLS = (ToolCallPart(id="call_w", name="weather", arguments={"city": "Oslo"}),
         ToolCallPart(id="call_t", name="time", arguments={"tz": "CET"}))


def consume(c: modelplex.Client, into: list[Any]) -> None:
    with c.stream("openai/gpt-4o-mini", "hi") as stream:
        into.extend(stream)


def client(server: ScriptedServer, api: str = "chat_completions") -> modelplex.Client:
    return modelplex.Client(providers={"openai": {"base_url": server.url, "api_key": KEY,
                                                  "api": api}},
                            config_file=False, env={})


# What a Chat-Completions-only server (a proxy, an older gateway) says to POST /v1/responses.
NO_RESPONSES = {"/v1/responses": Reply.json({"error": {
    "message": "Invalid URL (POST /v1/responses)", "type": "invalid_request_error"}}, status=404)}


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies, routes=None: ScriptedServer(replies, routes)) as start:
        yield start


def test_streamed_parallel_tool_calls(serve: Any) -> None:
    server = serve(Reply.stream(PARALLEL))
    with client(server) as c, c.stream("openai/gpt-4o-mini", "Weather and time in Oslo?",
                                       tools=[{"name": "weather"}, {"name": "time"}]) as stream:
        events = list(stream)
    response = stream.response
    assert response is not None
    assert response.text == "Checking both." and response.tool_calls == CALLS
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.usage == Usage(input=16, cache_read=4, output=12)
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_calls")
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["stream"] is True and sent.json["stream_options"] == {"include_usage": True}
    assert [t["function"]["name"] for t in sent.json["tools"]] == ["weather", "time"]


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked-body-cut", "connection-closed"])
def test_a_stream_cut_mid_way_raises_after_what_arrived(serve: Any, chunked: bool) -> None:
    server = serve(Reply.stream(PARALLEL, cut_after=4, chunked=chunked))
    seen: list[Any] = []
    with client(server) as c, pytest.raises(StreamInterruptedError, match="openai/gpt-4o-mini"):
        consume(c, seen)
    assert modelplex.TextDelta(text="Checking both.") in seen
    assert modelplex.ToolCallStarted(index=1, id="call_t", name="time") in seen
    assert not any(isinstance(e, modelplex.Finished) for e in seen)


def test_leaving_a_stream_early_closes_the_connection(serve: Any) -> None:
    many = [chunk(content=f"word{i} ") for i in range(400)] + [chunk(finish="stop")]
    server = serve(Reply.stream(many, delay=0.005))
    with client(server) as c:
        with c.stream("openai/gpt-4o-mini", "long story") as stream:
            for event in stream:
                if isinstance(event, modelplex.TextDelta):
                    break
        assert server.wait_disconnect(timeout=10), "the server kept writing to an open connection"


def test_rate_limit_with_retry_after(serve: Any) -> None:
    server = serve(Reply.json({"error": {"message": "Rate limit reached for requests",
                                         "type": "requests", "code": "rate_limit_exceeded"}},
                              status=429, **{"retry-after": "12",
                                             "x-ratelimit-reset-requests": "1s"}))
    with client(server) as c, pytest.raises(RateLimitError) as info:
        c.chat("openai/gpt-4o-mini", "hi")
    assert info.value.retry_after == 12.0 and info.value.is_retryable
    assert "Rate limit reached" in str(info.value) and "openai/gpt-4o-mini" in str(info.value)
    assert KEY not in repr(info.value)


def test_server_error_and_a_body_that_is_not_json(serve: Any) -> None:
    server = serve(Reply.json({"error": {"message": "The server had an error",
                                         "type": "server_error"}}, status=500),
                   Reply.text("<html><body><h1>502 Bad Gateway</h1></body></html>", 502,
                              "text/html"))
    with client(server) as c:
        with pytest.raises(ServerError, match="The server had an error") as info:
            c.chat("openai/gpt-4o-mini", "hi")
        assert info.value.status_code == 500 and info.value.is_retryable
        with pytest.raises(ServerError, match="502 Bad Gateway") as info:
            consume(c, [])
        assert info.value.status_code == 502


@pytest.mark.feature("json_schema", "vision", provider="openai")
def test_json_schema_output_and_images(serve: Any) -> None:
    answer = {"city": "Paris", "population": 2102650}
    server = serve(Reply.json({"id": "r", "model": "gpt-4o-mini-2024-07-18", "choices": [
        {"index": 0, "finish_reason": "stop",
         "message": {"role": "assistant", "content": json.dumps(answer)}}], "usage": USAGE}))
    schema = {"type": "object", "properties": {"city": {"type": "string"},
                                               "population": {"type": "integer"}},
              "required": ["city", "population"], "additionalProperties": False}
    image = ImagePart(data=b"\x89PNG\r\n", media_type="image/png")
    with client(server) as c:
        response = c.chat("openai/gpt-4o-mini",
                          [Message.user([TextPart(text="Which city is this?"), image])],
                          response_format=modelplex.ResponseFormat(type="json_schema", schema=schema,
                                                                   name="city", strict=True),
                          max_tokens=50)
    assert json.loads(response.text) == answer
    body = server.requests[0].json
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "city", "schema": schema, "strict": True}}
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body
    assert body["messages"][0]["content"][1] == {
        "type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}


@pytest.mark.feature("model_listing", "embeddings", provider="openai")
def test_list_models_and_embeddings(serve: Any) -> None:
    server = serve(
        Reply.json({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"},
                                               {"id": "text-embedding-3-small"}]}),
        Reply.json({"data": [{"index": 1, "embedding": [0.0, 1.0]},
                             {"index": 0, "embedding": [1.0, 0.0]}],
                    "model": "text-embedding-3-small", "usage": {"prompt_tokens": 4}}))
    with client(server) as c:
        models = c.list_models("openai")
        vectors = c.embed("openai/text-embedding-3-small", ["a", "b"], dimensions=2)
    assert [m.address for m in models] == ["openai/gpt-4o-mini", "openai/text-embedding-3-small"]
    assert server.requests[0].method == "GET" and server.requests[0].path == "/v1/models"
    assert vectors.vectors == ((1.0, 0.0), (0.0, 1.0)) and vectors.usage == Usage(input=4)
    assert server.requests[1].json == {"model": "text-embedding-3-small", "input": ["a", "b"],
                                       "dimensions": 2}


def test_the_chat_command_prints_reply_tool_calls_and_usage(serve: Any, tmp_path: Path) -> None:
    """Against a Chat-Completions-only server: the Responses API is tried, then Chat Completions."""
    server = serve(Reply.stream(PARALLEL), routes=NO_RESPONSES)
    env = cli_env(tmp_path / "absent.toml", drop=("OPENAI_",), OPENAI_BASE_URL=server.url, OPENAI_API_KEY=KEY)
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}, {"name": "time"}]))
    done = subprocess.run([modelplex_command(), "chat", "-m", "openai/gpt-4o-mini", "--json",
                           "--tools", str(tools), "Weather and time in Oslo?"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "openai" and out["text"] == "Checking both."
    assert out["tool_calls"] == [{"id": "call_w", "name": "weather", "arguments": {"city": "Oslo"}},
                                 {"id": "call_t", "name": "time", "arguments": {"tz": "CET"}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 16, "cache_read": 4, "cache_write": 0, "output": 12,
                            "reasoning": 0}
    assert out["finish_reason"] == "tool_calls"
    assert [w["code"] for w in out["warnings"]] == ["api-fallback"]
    assert [r.path for r in server.requests] == ["/v1/responses", "/v1/chat/completions"]
    sent = server.requests[1]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == "gpt-4o-mini"
    assert sent.json["messages"] == [{"role": "user", "content": "Weather and time in Oslo?"}]
    assert KEY not in done.stdout + done.stderr


def test_the_chat_command_reports_an_error_in_one_line(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.json({"error": {"message": "Incorrect API key provided: sk-e2e...cdef",
                                         "code": "invalid_api_key"}}, status=401))
    env = cli_env(tmp_path / "absent.toml", drop=("OPENAI_",), OPENAI_BASE_URL=server.url, OPENAI_API_KEY=KEY)
    done = subprocess.run([modelplex_command(), "chat", "-m", "openai/gpt-4o-mini", "hi"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: openai/gpt-4o-mini: Incorrect API key provided")
    assert "HTTP 401" in done.stderr and KEY not in done.stderr


def test_fallback_to_chat_completions_is_remembered(serve: Any) -> None:
    server = serve(Reply.json({"id": "r", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"content": "from chat completions"}}]}),
        routes=NO_RESPONSES)
    with client(server, api="auto") as c:
        first = c.chat("openai/gpt-4o-mini", "hi")
        with c.stream("openai/gpt-4o-mini", "hi") as stream:
            list(stream)
        second = stream.response
    assert first.text == "from chat completions"
    assert [w.code for w in first.warnings] == ["api-fallback"]
    assert second is not None and second.warnings == ()
    assert [r.path for r in server.requests] == ["/v1/responses", "/v1/chat/completions",
                                                 "/v1/chat/completions"]


def test_the_responses_api_is_used_where_the_server_has_it(serve: Any) -> None:
    events = [
        {"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5-mini-2025"}},
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"type": "reasoning", "id": "rs_1", "summary": []}},
        {"type": "response.reasoning_summary_text.delta", "output_index": 0, "delta": "Plan."},
        {"type": "response.output_item.done", "output_index": 0,
         "item": {"type": "reasoning", "id": "rs_1", "summary": [
             {"type": "summary_text", "text": "Plan."}], "encrypted_content": "enc=="}},
        {"type": "response.output_text.delta", "output_index": 1, "delta": "Hi"},
        {"type": "response.completed", "response": {
            "id": "resp_1", "model": "gpt-5-mini-2025", "status": "completed", "output": [],
            "usage": {"input_tokens": 9, "output_tokens": 7,
                      "output_tokens_details": {"reasoning_tokens": 5}}}},
    ]
    server = serve(Reply.stream(events, done=False), Reply.stream(events[:3], done=False))
    with client(server, api="auto") as c:
        with c.stream("openai/gpt-5-mini", "hi") as stream:
            list(stream)
        with pytest.raises(StreamInterruptedError, match=r"response\.completed"):
            consume(c, [])
    response = stream.response
    assert response is not None
    assert (response.reasoning, response.text) == ("Plan.", "Hi")
    assert response.usage == Usage(input=9, output=2, reasoning=5)
    assert response.parts[0].signature == "rs_1" and response.parts[0].redacted_data == "enc=="
    assert [r.path for r in server.requests] == ["/v1/responses", "/v1/responses"]
    assert server.requests[0].json["input"] == [{"role": "user", "content": "hi"}]


def test_a_whole_json_reply_to_a_streaming_responses_request(serve: Any) -> None:
    server = serve(Reply.json({"id": "resp_1", "model": "gpt-x", "status": "completed", "output": [
        {"type": "message", "content": [{"type": "output_text", "text": "all at once"}]}],
        "usage": {"input_tokens": 3, "output_tokens": 3}}))
    with client(server, api="auto") as c, c.stream("openai/gpt-x", "hi") as stream:
        events = list(stream)
    assert stream.response is not None and stream.response.text == "all at once"
    assert modelplex.TextDelta(text="all at once") in events
    assert stream.response.usage == Usage(input=3, output=3)


def test_lm_studio_style_unknown_endpoint_with_status_200(serve: Any) -> None:
    routes = {"/v1/responses": Reply.json(
        {"error": "Unexpected endpoint or method. (POST /v1/responses)"})}
    server = serve(Reply.stream([chunk(content="ok"), chunk(finish="stop")]), routes=routes)
    with client(server, api="auto") as c, c.stream("openai/local-model", "hi") as stream:
        list(stream)
    assert stream.response is not None and stream.response.text == "ok"
    assert [w.code for w in stream.response.warnings] == ["api-fallback"]


def test_lm_studio_style_unknown_endpoint_with_status_200_on_a_whole_reply(serve: Any) -> None:
    """The 200 reply is read once; one that holds an error is still a reason to fall back."""
    routes = {"/v1/responses": Reply.json(
        {"error": "Unexpected endpoint or method. (POST /v1/responses)"})}
    server = serve(Reply.json({"id": "r", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"content": "ok"}}]}), routes=routes)
    with client(server, api="auto") as c:
        response = c.chat("openai/local-model", "hi")
    assert response.text == "ok" and [w.code for w in response.warnings] == ["api-fallback"]
    assert [r.path for r in server.requests] == ["/v1/responses", "/v1/chat/completions"]
