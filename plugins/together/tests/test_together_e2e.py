"""End to end: the installed ``together`` plugin against a real HTTP server on 127.0.0.1, through the
public client and the ``modelplex`` command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.errors import AuthenticationError, RateLimitError, ServerError, StreamInterruptedError
from modelplex_testing import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "together-e2e-key-0123456789abcdef"
R1 = "deepseek-ai/DeepSeek-R1"
USAGE = {"prompt_tokens": 30, "completion_tokens": 45, "total_tokens": 75, "cached_tokens": 10}


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    delta: dict[str, Any] = {} if content is None else {"role": "assistant", "content": content}
    if "tool_calls" in extra:
        delta["tool_calls"] = extra.pop("tool_calls")
    return {"id": "oV1-e2e", "object": "chat.completion.chunk", "model": R1,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


# Reasoning in <think> tags cut across chunks, then text, then a tool call in argument fragments;
# usage on the finish chunk, which Together sends unasked.
THINK_TOOLS = [
    chunk("<th"), chunk("ink>\nNeed the"), chunk(" weather.\n</thi"), chunk("nk>\n\nChecking."),
    chunk(tool_calls=[{"index": 0, "id": "call_w", "type": "function",
                       "function": {"name": "weather", "arguments": ""}}]),
    chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"city": "Os'}}]),
    chunk(tool_calls=[{"index": 0, "function": {"arguments": 'lo"}'}}]),
    chunk(finish="tool_calls", usage=USAGE),
]
CALL = ToolCallPart(id="call_w", name="weather", arguments={"city": "Oslo"})
BUCKETS = Usage(input=20, cache_read=10, output=45)


def client(server: ScriptedServer) -> modelplex.Client:
    return modelplex.Client(providers={"together": {"base_url": server.url, "api_key": KEY}},
                            config_file=False, env={})


def consume(c: modelplex.Client, into: list[Any]) -> None:
    with c.stream(f"together/{R1}", "Weather in Oslo?") as stream:
        into.extend(stream)


@pytest.mark.feature("streaming", "streamed_tool_arguments", "stream_usage", provider="together")
def test_a_streamed_reply_with_think_tags_and_a_tool_call() -> None:
    with ScriptedServer([Reply.stream(THINK_TOOLS)]) as server, client(server) as c, \
            c.stream(f"together/{R1}", "Weather in Oslo?", tools=[{"name": "weather"}]) as stream:
        events = list(stream)
    response = stream.response
    assert response is not None
    assert response.reasoning == "Need the weather.\n" and response.text == "Checking."
    assert response.tool_calls == (CALL,) and response.usage == BUCKETS
    assert not response.usage.estimated
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_calls")
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["stream"] is True and "stream_options" not in sent.json


def test_a_stream_without_usage_gets_an_estimate_and_eos_means_stop() -> None:
    pieces = [chunk("<think>\nshort\n</think>\n"), chunk("Hi there."), chunk(finish="eos")]
    with ScriptedServer([Reply.stream(pieces)]) as server, client(server) as c, \
            c.stream(f"together/{R1}", "hello") as stream:
        list(stream)
    response = stream.response
    assert response is not None
    assert (response.reasoning, response.text) == ("short\n", "Hi there.")
    assert response.finish_reason is FinishReason.STOP and response.raw_finish_reason == "eos"
    assert response.usage.estimated and response.usage.output > 0


@pytest.mark.feature("streaming", provider="together")
def test_a_stream_cut_inside_the_end_tag_raises_after_what_arrived() -> None:
    seen: list[Any] = []
    with ScriptedServer([Reply.stream(THINK_TOOLS, cut_after=3)]) as server, client(server) as c, \
            pytest.raises(StreamInterruptedError, match=f"together/{R1}"):
        consume(c, seen)
    # three events arrived: "<th", "ink>\nNeed the", " weather.\n</thi" (cut inside the end tag)
    assert "".join(e.text for e in seen if isinstance(e, modelplex.ReasoningDelta)) == (
        "Need the weather.\n")
    assert not any(isinstance(e, modelplex.TextDelta) for e in seen)  # no half tag leaked as text
    assert not any(isinstance(e, modelplex.Finished) for e in seen)


@pytest.mark.feature("error_mapping", provider="together")
def test_errors() -> None:
    bad_key = {"error": {"message": "Invalid API key provided. You can find your API key at "
                                    "https://api.together.xyz/settings/api-keys.",
                         "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
    limited = {"error": {"message": "You are being rate limited", "type": "rate_limit_exceeded"}}
    with ScriptedServer([Reply.json(bad_key, status=401),
                         Reply.json(limited, status=429, **{"retry-after": "3"}),
                         Reply.text("upstream timed out", 503)]) as server, client(server) as c:
        with pytest.raises(AuthenticationError, match="Invalid API key provided") as auth:
            c.chat(f"together/{R1}", "hi")
        with pytest.raises(RateLimitError) as limit:
            consume(c, [])
        with pytest.raises(ServerError, match="upstream timed out") as server_error:
            c.chat(f"together/{R1}", "hi")
    assert auth.value.code == "invalid_api_key" and not auth.value.is_retryable
    assert limit.value.retry_after == 3.0 and limit.value.is_retryable
    assert server_error.value.status_code == 503 and server_error.value.is_retryable
    assert all(KEY not in repr(e.value) for e in (auth, limit, server_error))


@pytest.mark.feature("json_schema", "embeddings", "model_listing", provider="together")
def test_json_schema_output_embeddings_and_models() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    answer = {"id": "x", "model": R1, "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": '<think>\nParis.\n</think>\n{"city": "Paris"}'}}]}
    vectors = {"object": "list", "model": "BAAI/bge-large-en-v1.5", "data": [
        {"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}]}
    models = [{"id": R1, "object": "model", "type": "chat", "context_length": 163840},
              {"id": "BAAI/bge-large-en-v1.5", "object": "model", "type": "embedding"}]
    with ScriptedServer([Reply.json(answer), Reply.json(vectors), Reply.json(models)]) as server, \
            client(server) as c:
        response = c.chat(f"together/{R1}", "Capital of France?", response_format=modelplex.ResponseFormat(
            type="json_schema", schema=schema, name="city"))
        embedded = c.embed("together/BAAI/bge-large-en-v1.5", ["Paris"])
        listed = c.list_models("together")
    assert json.loads(response.text) == {"city": "Paris"} and response.reasoning == "Paris.\n"
    assert server.requests[0].json["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "city", "schema": schema}}
    assert embedded.vectors == ((0.5, 0.25),)
    assert server.requests[1].path == "/v1/embeddings"
    assert server.requests[1].json == {"model": "BAAI/bge-large-en-v1.5", "input": "Paris"}
    # Together lists its models as a bare JSON array, not {"data": [...]}.
    assert [(m.address, m.context_window) for m in listed] == [
        (f"together/{R1}", 163840), ("together/BAAI/bge-large-en-v1.5", None)]
    assert server.requests[2].method == "GET" and server.requests[2].path == "/v1/models"


def _run(server: ScriptedServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(tmp_path / "absent.toml", drop=("TOGETHER_",), TOGETHER_BASE_URL=server.url,
                  TOGETHER_API_KEY=KEY)
    return subprocess.run([modelplex_command(), "chat", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_the_chat_command_prints_reply_tool_calls_and_usage(tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}]))
    with ScriptedServer([Reply.stream(THINK_TOOLS)]) as server:
        done = _run(server, tmp_path, "-m", f"together/{R1}", "--json", "--tools", str(tools),
                    "Weather in Oslo?")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "together" and out["model"] == R1
    assert out["text"] == "Checking." and out["reasoning"] == "Need the weather.\n"
    assert out["tool_calls"] == [{"id": "call_w", "name": "weather", "arguments": {"city": "Oslo"}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 20, "cache_read": 10, "cache_write": 0, "output": 45,
                            "reasoning": 0}
    assert out["finish_reason"] == "tool_calls"
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == R1
    assert sent.json["messages"] == [{"role": "user", "content": "Weather in Oslo?"}]
    assert KEY not in done.stdout + done.stderr


def test_the_chat_command_reports_an_error_in_one_line(tmp_path: Path) -> None:
    body = {"error": {"message": "Unable to access model nope/nope.", "type": "invalid_request_error",
                      "code": "model_not_available"}}
    with ScriptedServer([Reply.json(body, status=404)]) as server:
        done = _run(server, tmp_path, "-m", "together/nope/nope", "hi")
    assert done.returncode == 1
    assert done.stderr.startswith("error: together/nope/nope: Unable to access model nope/nope.")
    assert "HTTP 404" in done.stderr and KEY not in done.stderr
