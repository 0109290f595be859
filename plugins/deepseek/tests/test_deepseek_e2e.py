"""End to end: the installed ``deepseek`` plugin against a real HTTP server on 127.0.0.1, through the
public client and the ``modelplex`` command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.errors import ContextLengthExceededError, StreamInterruptedError
from modelplex_testing import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk, tool_call

KEY = "sk-deepseek-e2e-key-0123456789abcdef"
MODEL = "deepseek-v4-flash"
USAGE = {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160,
         "prompt_tokens_details": {"cached_tokens": 64}, "prompt_cache_hit_tokens": 64,
         "prompt_cache_miss_tokens": 56, "completion_tokens_details": {"reasoning_tokens": 25}}
BUCKETS = Usage(input=56, cache_read=64, output=15, reasoning=25)


# DeepSeek's shape: reasoning_content deltas, then content, then tool-call fragments whose id is
# null after the first, usage on the chunk that carries the finish reason.
REASONING_TOOLS = [
    chunk(reasoning="The user wants ", model=MODEL),
    chunk(reasoning="Oslo's weather and time.", model=MODEL),
    chunk(content="Checking both.", model=MODEL),
    chunk(tool_calls=[tool_call(0, "call_00_w", "weather")], model=MODEL),
    chunk(tool_calls=[tool_call(0, None, None, '{"city": ')], model=MODEL),
    chunk(tool_calls=[tool_call(0, None, None, '"Oslo"}')], model=MODEL),
    chunk(tool_calls=[tool_call(1, "call_01_t", "time", '{"tz": "CET"}')], model=MODEL),
    {**chunk(content="", finish="tool_calls", model=MODEL), "usage": USAGE},
]
CALLS = (ToolCallPart(id="call_00_w", name="weather", arguments={"city": "Oslo"}),
         ToolCallPart(id="call_01_t", name="time", arguments={"tz": "CET"}))
CONTEXT = {"error": {"message": "This model's maximum context length is 131072 tokens. However, you "
                                "requested 140000 tokens (140000 in the messages, 0 in the "
                                "completion). Please reduce the length of the messages or "
                                "completion.", "type": "invalid_request_error", "param": None,
                     "code": "invalid_request_error"}}


def client(server: ScriptedServer) -> modelplex.Client:
    return modelplex.Client(providers={"deepseek": {"base_url": server.url, "api_key": KEY}},
                            config_file=False, env={})


def consume(c: modelplex.Client, model: str, into: list[Any]) -> None:
    with c.stream(f"deepseek/{model}", "hi") as stream:
        into.extend(stream)


def test_a_streamed_reasoning_and_tool_call_reply() -> None:
    with ScriptedServer([Reply.stream(REASONING_TOOLS)]) as server, client(server) as c, \
            c.stream("deepseek/deepseek-reasoner", "Weather and time in Oslo?",
                     tools=[{"name": "weather"}, {"name": "time"}]) as stream:
        events = list(stream)
    response = stream.response
    assert response is not None
    assert response.reasoning == "The user wants Oslo's weather and time."
    assert response.text == "Checking both." and response.tool_calls == CALLS
    assert response.usage == BUCKETS and response.finish_reason is FinishReason.TOOL_CALLS
    assert [e.text for e in events if isinstance(e, modelplex.ReasoningDelta)] == [
        "The user wants ", "Oslo's weather and time."]
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_calls")
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["stream"] is True and sent.json["stream_options"] == {"include_usage": True}
    assert sent.json["model"] == "deepseek-reasoner"


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_context_length_error_sent_as_octet_stream(stream: bool) -> None:
    reply = Reply.text(json.dumps(CONTEXT), 400, "application/octet-stream")
    with ScriptedServer([reply]) as server, client(server) as c, \
            pytest.raises(ContextLengthExceededError) as info:
        consume(c, "deepseek-chat", []) if stream else c.chat("deepseek/deepseek-chat", "hi")
    assert "maximum context length is 131072 tokens" in str(info.value)
    assert info.value.status_code == 400 and not info.value.is_retryable
    assert KEY not in repr(info.value) + str(vars(info.value))


def test_a_stream_cut_mid_way_raises_after_what_arrived() -> None:
    seen: list[Any] = []
    with ScriptedServer([Reply.stream(REASONING_TOOLS, cut_after=3)]) as server, client(server) as c, \
            pytest.raises(StreamInterruptedError, match="deepseek/deepseek-reasoner"):
        consume(c, "deepseek-reasoner", seen)
    assert modelplex.TextDelta(text="Checking both.") in seen
    assert not any(isinstance(e, modelplex.Finished) for e in seen)


@pytest.mark.feature("model_listing", provider="deepseek")
def test_list_models() -> None:
    listing = {"object": "list", "data": [
        {"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
        {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek"}]}
    with ScriptedServer([Reply.json(listing)]) as server, client(server) as c:
        models = c.list_models("deepseek")
    assert [m.address for m in models] == ["deepseek/deepseek-chat", "deepseek/deepseek-reasoner"]
    assert server.requests[0].method == "GET" and server.requests[0].path == "/v1/models"


def _run(server: ScriptedServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(tmp_path / "absent.toml", drop=("DEEPSEEK_",), DEEPSEEK_BASE_URL=server.url,
                  DEEPSEEK_API_KEY=KEY)
    return subprocess.run([modelplex_command(), "chat", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_the_chat_command_prints_reply_tool_calls_and_usage(tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}, {"name": "time"}]))
    with ScriptedServer([Reply.stream(REASONING_TOOLS)]) as server:
        done = _run(server, tmp_path, "-m", "deepseek/deepseek-chat", "--json", "--tools",
                    str(tools), "Weather and time in Oslo?")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "deepseek" and out["model"] == MODEL
    assert out["text"] == "Checking both."
    assert out["reasoning"] == "The user wants Oslo's weather and time."
    assert out["tool_calls"] == [{"id": "call_00_w", "name": "weather", "arguments": {"city": "Oslo"}},
                                 {"id": "call_01_t", "name": "time", "arguments": {"tz": "CET"}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 56, "cache_read": 64, "cache_write": 0, "output": 15,
                            "reasoning": 25}
    assert out["finish_reason"] == "tool_calls"
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == "deepseek-chat"
    assert sent.json["messages"] == [{"role": "user", "content": "Weather and time in Oslo?"}]
    assert [t["function"]["name"] for t in sent.json["tools"]] == ["weather", "time"]
    assert KEY not in done.stdout + done.stderr


def test_the_chat_command_reports_an_error_in_one_line(tmp_path: Path) -> None:
    body = {"error": {"message": "Authentication Fails, Your api key: ****cdef is invalid",
                      "type": "authentication_error", "param": None, "code": "invalid_request_error"}}
    with ScriptedServer([Reply.json(body, status=401)]) as server:
        done = _run(server, tmp_path, "-m", "deepseek/deepseek-chat", "hi")
    assert done.returncode == 1
    assert done.stderr.startswith("error: deepseek/deepseek-chat: Authentication Fails")
    assert "HTTP 401" in done.stderr and KEY not in done.stderr

