"""End to end: the installed ``groq`` plugin against a real HTTP server on 127.0.0.1, through the
public client and the ``modelplex`` command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.errors import BadRequestError, ModelNotFoundError, RateLimitError
from modelplex_testing import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "gsk_groq-e2e-key-0123456789abcdef"
OSS = "openai/gpt-oss-120b"
FAILED = '{"name": "weather", "arguments": {\n  "town": "Oslo"\n}}'
TOOL_USE_FAILED = {"error": {
    "message": "Tool call validation failed: parameters for tool weather did not match schema: "
               "errors: [missing properties: 'city', additionalProperties 'town' not allowed]",
    "type": "invalid_request_error", "code": "tool_use_failed", "failed_generation": FAILED}}


def delta(finish: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-e2e", "object": "chat.completion.chunk", "model": OSS,
            "choices": [{"index": 0, "delta": fields, "finish_reason": finish}]}


# Groq's shape: "reasoning" deltas, tool calls delivered whole in one delta, usage in x_groq only.
REASONING_TOOLS = [
    {**delta(role="assistant", content=""), "x_groq": {"id": "req_e2e"}},
    delta(reasoning="Need weather", channel="analysis"),
    delta(reasoning=" and time.", channel="analysis"),
    delta(tool_calls=[{"id": "fc_w", "type": "function", "index": 0,
                       "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}},
                      {"id": "fc_t", "type": "function", "index": 1,
                       "function": {"name": "time", "arguments": '{"tz":"CET"}'}}]),
    {**delta("tool_calls"), "x_groq": {"id": "req_e2e", "usage": {
        "prompt_tokens": 300, "completion_tokens": 50, "total_tokens": 350,
        "completion_tokens_details": {"reasoning_tokens": 20}}}},
]
CALLS = (ToolCallPart(id="fc_w", name="weather", arguments={"city": "Oslo"}),
         ToolCallPart(id="fc_t", name="time", arguments={"tz": "CET"}))


def error_stream() -> Reply:
    """HTTP 200, reasoning, then ``event: error`` (no ``[DONE]``), as Groq streams tool_use_failed."""
    events = [f"data: {json.dumps(c)}\n\n".encode() for c in REASONING_TOOLS[:3]]
    events.append(f"event: error\ndata: {json.dumps({**TOOL_USE_FAILED, 'status_code': 400})}\n\n"
                  .encode())
    return Reply(headers={"content-type": "text/event-stream"}, events=events)


def client(server: ScriptedServer) -> modelplex.Client:
    return modelplex.Client(providers={"groq": {"base_url": server.url, "api_key": KEY}},
                            config_file=False, env={})


def consume(c: modelplex.Client, into: list[Any]) -> None:
    with c.stream(f"groq/{OSS}", "Weather and time in Oslo?") as stream:
        into.extend(stream)


def test_a_streamed_reasoning_and_parallel_tool_call_reply() -> None:
    with ScriptedServer([Reply.stream(REASONING_TOOLS)]) as server, client(server) as c, \
            c.stream(f"groq/{OSS}", "Weather and time in Oslo?",
                     tools=[{"name": "weather"}, {"name": "time"}]) as stream:
        events = list(stream)
    response = stream.response
    assert response is not None
    assert response.reasoning == "Need weather and time." and response.tool_calls == CALLS
    assert response.usage == Usage(input=300, output=30, reasoning=20)
    assert not response.usage.estimated
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_calls")
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["stream"] is True and sent.json["stream_options"] == {"include_usage": True}


def test_tool_use_failed_inside_a_stream_that_began_with_200() -> None:
    seen: list[Any] = []
    with ScriptedServer([error_stream()]) as server, client(server) as c, \
            pytest.raises(BadRequestError) as info:
        consume(c, seen)
    assert info.value.code == "tool_use_failed" and info.value.status_code == 400
    assert "did not match schema" in str(info.value) and FAILED in str(info.value)
    assert [e.text for e in seen if isinstance(e, modelplex.ReasoningDelta)] == [
        "Need weather", " and time."]
    assert KEY not in repr(info.value) + str(vars(info.value))


def test_tool_use_failed_as_http_400() -> None:
    with ScriptedServer([Reply.json(TOOL_USE_FAILED, status=400)]) as server, client(server) as c, \
            pytest.raises(BadRequestError) as info:
        c.chat(f"groq/{OSS}", "Weather in Oslo?", tools=[{"name": "weather"}])
    assert info.value.code == "tool_use_failed" and FAILED in str(info.value)


def test_model_not_found_and_rate_limit() -> None:
    missing = {"error": {"message": "The model `nope` does not exist or you do not have access to it.",
                         "type": "invalid_request_error", "code": "model_not_found"}}
    limited = {"error": {"message": "Rate limit reached for model `openai/gpt-oss-120b` on tokens "
                                    "per minute (TPM)", "type": "tokens", "code": "rate_limit_exceeded"}}
    with ScriptedServer([Reply.json(missing, status=404),
                         Reply.json(limited, status=429, **{"retry-after": "7"})]) as server, \
            client(server) as c:
        with pytest.raises(ModelNotFoundError, match="does not exist"):
            consume(c, [])
        with pytest.raises(RateLimitError) as info:
            c.chat(f"groq/{OSS}", "hi")
    assert info.value.retry_after == 7.0 and info.value.is_retryable


@pytest.mark.feature("model_listing", provider="groq")
def test_list_models() -> None:
    listing = {"object": "list", "data": [
        {"id": "llama-3.3-70b-versatile", "object": "model", "context_window": 131072},
        {"id": OSS, "object": "model", "context_window": 131072}]}
    with ScriptedServer([Reply.json(listing)]) as server, client(server) as c:
        models = c.list_models("groq")
    assert [m.address for m in models] == ["groq/llama-3.3-70b-versatile", f"groq/{OSS}"]
    assert [m.context_window for m in models] == [131072, 131072]
    assert server.requests[0].method == "GET" and server.requests[0].path == "/v1/models"


def _run(server: ScriptedServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(tmp_path / "absent.toml", drop=("GROQ_",), GROQ_BASE_URL=server.url, GROQ_API_KEY=KEY)
    return subprocess.run([modelplex_command(), "chat", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_the_chat_command_prints_reply_tool_calls_and_usage(tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}, {"name": "time"}]))
    with ScriptedServer([Reply.stream(REASONING_TOOLS)]) as server:
        done = _run(server, tmp_path, "-m", f"groq/{OSS}", "--json", "--tools", str(tools),
                    "-o", "reasoning_effort=high", "Weather and time in Oslo?")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "groq" and out["model"] == OSS
    assert out["text"] == "" and out["reasoning"] == "Need weather and time."
    assert out["tool_calls"] == [{"id": "fc_w", "name": "weather", "arguments": {"city": "Oslo"}},
                                 {"id": "fc_t", "name": "time", "arguments": {"tz": "CET"}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 300, "cache_read": 0, "cache_write": 0, "output": 30,
                            "reasoning": 20}
    assert out["finish_reason"] == "tool_calls"
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == OSS and sent.json["reasoning_effort"] == "high"
    assert sent.json["messages"] == [{"role": "user", "content": "Weather and time in Oslo?"}]
    assert KEY not in done.stdout + done.stderr


def test_the_chat_command_reports_tool_use_failed_in_one_line(tmp_path: Path) -> None:
    with ScriptedServer([error_stream()]) as server:
        done = _run(server, tmp_path, "-m", f"groq/{OSS}", "Weather in Oslo?")
    assert done.returncode == 1
    lines = done.stderr.splitlines()  # the reasoning streamed before the error, then the error
    assert lines[0] == "[reasoning] Need weather and time."
    assert [line for line in lines if line.startswith("error:")] == lines[-1:]
    assert lines[-1].startswith(f"error: groq/{OSS}: Tool call validation failed")
    assert '"town": "Oslo"' in lines[-1] and lines[-1].endswith("(HTTP 400)")
    assert KEY not in done.stderr
