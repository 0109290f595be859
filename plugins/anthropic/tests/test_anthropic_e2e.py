"""End to end: the installed ``anthropic`` plugin against a real HTTP server on 127.0.0.1 speaking
Anthropic's SSE (the shared ``ScriptedServer``, sent raw ``event:``/``data:`` frames), through the
public clients and the ``modelplex`` command."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.errors import RateLimitError, ServerError, StreamInterruptedError
from modelplex_testing import cli_env, modelplex_command, serving
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "sk-ant-e2e-test-key-0123456789abcdef"
MODEL = "claude-sonnet-4-5"


def frame(kind: str, **data: Any) -> bytes:
    """One Anthropic SSE event, with the trailing spaces Anthropic's servers put after the JSON."""
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}   \n\n".encode()


def stream(frames: list[bytes], **options: Any) -> Reply:
    return Reply(headers={"content-type": "text/event-stream; charset=utf-8"}, events=frames, **options)


START = frame("message_start", message={
    "id": "msg_e2e", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
    "content": [], "stop_reason": None, "usage": {"input_tokens": 20, "cache_read_input_tokens": 4,
                                                  "cache_creation_input_tokens": 0, "output_tokens": 1}})
PARALLEL = [
    START,
    frame("content_block_start", index=0, content_block={"type": "text", "text": ""}),
    frame("ping"),
    frame("content_block_delta", index=0, delta={"type": "text_delta", "text": "Checking both."}),
    frame("content_block_stop", index=0),
    frame("content_block_start", index=1, content_block={"type": "tool_use", "id": "toolu_w",
                                                         "name": "weather", "input": {}}),
    frame("content_block_delta", index=1, delta={"type": "input_json_delta", "partial_json": '{"city":'}),
    frame("content_block_delta", index=1, delta={"type": "input_json_delta", "partial_json": ' "Oslo"}'}),
    frame("content_block_stop", index=1),
    frame("content_block_start", index=2, content_block={"type": "tool_use", "id": "toolu_t",
                                                         "name": "time", "input": {}}),
    frame("content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": ""}),
    frame("content_block_stop", index=2),
    frame("message_delta", delta={"stop_reason": "tool_use", "stop_sequence": None},
          usage={"output_tokens": 12}),
    frame("message_stop"),
]
CALLS = (ToolCallPart(id="toolu_w", name="weather", arguments={"city": "Oslo"}),
         ToolCallPart(id="toolu_t", name="time"))
OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def client(server: ScriptedServer) -> modelplex.Client:
    # Anthropic's base URL has no /v1 (the server's `url` is OpenAI-shaped, with it).
    return modelplex.Client(providers={"anthropic": {"base_url": f"http://127.0.0.1:{server.port}",
                                                     "api_key": KEY}}, config_file=False, env={})


def consume(c: modelplex.Client, into: list[Any]) -> None:
    with c.stream(f"anthropic/{MODEL}", "hi") as s:
        into.extend(s)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies, routes=None: ScriptedServer(replies, routes)) as start:
        yield start


def test_streamed_text_and_parallel_tool_calls(serve: Any) -> None:
    server = serve(stream(PARALLEL))
    with client(server) as c, c.stream(f"anthropic/{MODEL}", "Weather and time in Oslo?",
                                       tools=[{"name": "weather"}, {"name": "time"}],
                                       parallel_tool_calls=False) as s:
        events = list(s)
    response = s.response
    assert response is not None
    assert response.text == "Checking both." and response.tool_calls == CALLS
    assert response.usage == Usage(input=20, cache_read=4, output=12)
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_use")
    sent = server.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.headers["x-api-key"] == KEY and sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["accept"] == "text/event-stream" and "anthropic-beta" not in sent.headers
    assert sent.json["stream"] is True and sent.json["max_tokens"] == 64000
    assert sent.json["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert [t["input_schema"] for t in sent.json["tools"]] == [{"type": "object", "properties": {}}] * 2


def test_an_error_event_mid_stream_is_a_retryable_server_error(serve: Any) -> None:
    frames = [*PARALLEL[:4], frame("error", error=OVERLOADED["error"]), *PARALLEL[4:]]
    server = serve(stream(frames))
    seen: list[Any] = []
    with client(server) as c, pytest.raises(ServerError) as info:
        consume(c, seen)
    assert info.value.status_code == 529 and info.value.is_retryable
    assert info.value.code == "overloaded_error"
    assert str(info.value).startswith(f"anthropic/{MODEL}: Overloaded")
    assert modelplex.TextDelta(text="Checking both.") in seen
    assert not any(isinstance(e, modelplex.ToolCallStarted | modelplex.Finished) for e in seen)


def test_529_overloaded(serve: Any) -> None:
    server = serve(Reply.json(OVERLOADED, status=529))
    with client(server) as c:
        with pytest.raises(ServerError) as info:
            c.chat(f"anthropic/{MODEL}", "hi")
        assert info.value.status_code == 529 and info.value.is_retryable
        with pytest.raises(ServerError, match="Overloaded"):
            consume(c, [])
    assert KEY not in repr(info.value)


def test_429_with_retry_after(serve: Any) -> None:
    server = serve(Reply.json({"type": "error", "error": {
        "type": "rate_limit_error", "message": "Number of request tokens has exceeded your per-minute "
        "rate limit"}}, status=429, **{"retry-after": "23", "anthropic-ratelimit-tokens-remaining": "0"}))
    with client(server) as c, pytest.raises(RateLimitError) as info:
        c.chat(f"anthropic/{MODEL}", "hi")
    assert info.value.retry_after == 23.0 and info.value.is_retryable
    assert "per-minute rate limit" in str(info.value) and f"anthropic/{MODEL}" in str(info.value)
    assert KEY not in repr(info.value) and KEY not in str(vars(info.value))


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked-body-cut", "connection-closed"])
def test_a_stream_cut_mid_way_raises_after_what_arrived(serve: Any, chunked: bool) -> None:
    server = serve(stream(PARALLEL, cut_after=8, chunked=chunked))
    seen: list[Any] = []
    with client(server) as c, pytest.raises(StreamInterruptedError, match=f"anthropic/{MODEL}"):
        consume(c, seen)
    assert modelplex.TextDelta(text="Checking both.") in seen
    assert modelplex.ToolCallStarted(index=1, id="toolu_w", name="weather") in seen
    assert not any(isinstance(e, modelplex.Finished) for e in seen)


def test_leaving_a_stream_early_closes_the_connection(serve: Any) -> None:
    words = [frame("content_block_delta", index=0, delta={"type": "text_delta", "text": f"w{i} "})
             for i in range(400)]
    frames = [START, PARALLEL[1], *words, PARALLEL[4], *PARALLEL[-2:]]
    server = serve(stream(frames, delay=0.005))
    with client(server) as c:
        with c.stream(f"anthropic/{MODEL}", "long story") as s:
            for event in s:
                if isinstance(event, modelplex.TextDelta):
                    break
        assert server.wait_disconnect(timeout=10), "the server kept writing to an open connection"


@pytest.mark.feature("model_listing", provider="anthropic")
def test_list_models_pages(serve: Any) -> None:
    server = serve(
        Reply.json({"data": [{"type": "model", "id": "claude-sonnet-4-5-20250929",
                              "display_name": "Claude Sonnet 4.5"}], "has_more": True,
                    "first_id": "claude-sonnet-4-5-20250929", "last_id": "claude-sonnet-4-5-20250929"}),
        Reply.json({"data": [{"type": "model", "id": "claude-3-5-haiku-20241022",
                              "display_name": "Claude Haiku 3.5"}], "has_more": False,
                    "first_id": "claude-3-5-haiku-20241022", "last_id": "claude-3-5-haiku-20241022"}))
    with client(server) as c:
        models = c.list_models("anthropic")
    assert [(m.address, m.name, m.max_output) for m in models] == [
        ("anthropic/claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", 64000),
        ("anthropic/claude-3-5-haiku-20241022", "Claude Haiku 3.5", 8192)]
    assert [r.path for r in server.requests] == [
        "/v1/models?limit=1000", "/v1/models?limit=1000&after_id=claude-sonnet-4-5-20250929"]


@pytest.mark.feature("json_schema", provider="anthropic")
def test_json_schema_output_through_a_forced_tool(serve: Any) -> None:
    answer = {"city": "Paris", "population": 2102650}
    server = serve(Reply.json({"id": "msg_j", "type": "message", "role": "assistant", "model": MODEL,
                               "content": [{"type": "tool_use", "id": "toolu_j", "name": "city",
                                            "input": answer}],
                               "stop_reason": "tool_use", "usage": {"input_tokens": 9, "output_tokens": 7}}))
    schema = {"type": "object", "properties": {"city": {"type": "string"},
                                               "population": {"type": "integer"}},
              "required": ["city", "population"]}
    with client(server) as c:
        response = c.chat(f"anthropic/{MODEL}", "Largest city of France?", max_tokens=50,
                          response_format=modelplex.ResponseFormat(type="json_schema", schema=schema,
                                                                   name="city"))
    assert json.loads(response.text) == answer  # the answer itself, no wrapper object
    assert response.tool_calls == () and response.finish_reason is FinishReason.STOP
    body = server.requests[0].json
    assert body["tool_choice"] == {"type": "tool", "name": "city"}
    assert body["tools"][0]["input_schema"] == schema and body["max_tokens"] == 50


@pytest.mark.feature("embeddings", provider="anthropic", unsupported="Anthropic has no embeddings API")
def test_embeddings_are_unsupported(serve: Any) -> None:
    server = serve(Reply.json({}))
    with client(server) as c, pytest.raises(modelplex.errors.UnsupportedFeatureError, match="anthropic"):
        c.embed(f"anthropic/{MODEL}", "hi")
    assert server.requests == []


def _env(server: ScriptedServer, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "absent.toml", drop=("ANTHROPIC_",),
                   ANTHROPIC_BASE_URL=f"http://127.0.0.1:{server.port}", ANTHROPIC_API_KEY=KEY)


def test_the_chat_command_prints_tool_calls_with_object_arguments(serve: Any, tmp_path: Path) -> None:
    server = serve(stream(PARALLEL))
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "weather", "description": "Weather now", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}, {"name": "time"}]))
    done = subprocess.run([modelplex_command(), "chat", "-m", f"anthropic/{MODEL}", "--json",
                           "--tools", str(tools), "Weather and time in Oslo?"],
                          capture_output=True, text=True, env=_env(server, tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "anthropic" and out["model"] == "claude-sonnet-4-5-20250929"
    assert out["text"] == "Checking both."
    assert out["tool_calls"] == [{"id": "toolu_w", "name": "weather", "arguments": {"city": "Oslo"}},
                                 {"id": "toolu_t", "name": "time", "arguments": {}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 20, "cache_read": 4, "cache_write": 0, "output": 12, "reasoning": 0}
    assert out["finish_reason"] == "tool_calls" and out["warnings"] == []
    sent = server.requests[0]
    assert sent.path == "/v1/messages" and sent.headers["x-api-key"] == KEY
    assert sent.json["model"] == MODEL and sent.json["max_tokens"] == 64000
    assert sent.json["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "Weather and time in Oslo?"}]}]
    assert sent.json["tools"][0] == {"name": "weather", "description": "Weather now", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}}}
    assert KEY not in done.stdout + done.stderr


def test_the_chat_command_reports_an_error_in_one_line(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.json({"type": "error", "error": {"type": "authentication_error",
                                                          "message": "invalid x-api-key"},
                               "request_id": "req_1"}, status=401))
    done = subprocess.run([modelplex_command(), "chat", "-m", f"anthropic/{MODEL}", "hi"],
                          capture_output=True, text=True, env=_env(server, tmp_path), timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: anthropic/{MODEL}: invalid x-api-key")
    assert "HTTP 401" in done.stderr and KEY not in done.stderr
