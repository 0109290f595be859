"""End to end: the installed ``gemini`` plugin against a real HTTP server on 127.0.0.1 speaking
Gemini's SSE, through the public clients and the ``modelplex`` command."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from modelplex_gemini.tools import call_id

import modelplex
from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.errors import AuthenticationError, RateLimitError, StreamInterruptedError
from modelplex_testing import cli_env, modelplex_command, serving
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "gemini-e2e-test-key-0123456789abcdef"
USAGE = {"promptTokenCount": 40, "cachedContentTokenCount": 8, "candidatesTokenCount": 12,
         "thoughtsTokenCount": 20, "totalTokenCount": 72}


def chunk(*parts: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None,
          response_id: str = "resp-e2e") -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    out: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash",
                           "responseId": response_id}
    if usage is not None:
        out["usageMetadata"] = usage
    return out


STREAM = [
    chunk({"text": "Checking the weather and the time.", "thoughtSignature": "U0lHLVRFWFQ="}),
    chunk({"functionCall": {"name": "weather", "args": {"city": "Oslo"}}, "thoughtSignature": "U0lH"},
          {"functionCall": {"name": "time", "args": {"tz": "CET"}}}),
    chunk({"text": ""}, finish="STOP", usage=USAGE),
]
CALLS = (ToolCallPart(id=call_id("resp-e2e", 0, "weather"), name="weather", arguments={"city": "Oslo"},
                      signature="U0lH", origin=modelplex.Origin(provider="gemini", model="gemini-2.5-flash")),
         ToolCallPart(id=call_id("resp-e2e", 1, "time"), name="time", arguments={"tz": "CET"}))
QUOTA = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                   "message": "You exceeded your current quota. Please retry in 21.4s.",
                   "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "21s"}]}}


def gemini(server: ScriptedServer) -> str:
    """The base URL: scheme and host, without the version path."""
    return f"http://127.0.0.1:{server.port}"


def client(server: ScriptedServer) -> modelplex.Client:
    return modelplex.Client(providers={"gemini": {"base_url": gemini(server), "api_key": KEY}},
                            config_file=False, env={})


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


def consume(c: modelplex.Client, into: list[Any], **options: Any) -> None:
    with c.stream("gemini/gemini-2.5-flash", "Weather and time in Oslo?", **options) as stream:
        into.extend(stream)


def test_streaming_with_function_calls(serve: Any) -> None:
    server = serve(Reply.stream(STREAM, done=False))
    events: list[Any] = []
    with client(server) as c, c.stream("gemini/gemini-2.5-flash", "Weather and time in Oslo?",
                                       tools=[{"name": "weather", "parameters": {
                                           "type": "object", "properties": {"city": {"type": "string"}},
                                           "additionalProperties": False}}, {"name": "time"}],
                                       tool_choice="required") as stream:
        events.extend(stream)
    response = stream.response
    assert response is not None
    assert response.text == "Checking the weather and the time." and response.tool_calls == CALLS
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.usage == Usage(input=32, cache_read=8, output=12, reasoning=20)
    assert response.parts[0] == modelplex.ReasoningPart(
        text="", signature="U0lHLVRFWFQ=", origin=modelplex.Origin(provider="gemini",
                                                                  model="gemini-2.5-flash"))
    assert [w.field for w in response.warnings] == ["tools.weather.parameters.additionalProperties"]
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="STOP")
    sent = server.requests[0]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert sent.headers["x-goog-api-key"] == KEY and "key=" not in sent.path
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.json["contents"] == [{"role": "user", "parts": [{"text": "Weather and time in Oslo?"}]}]
    assert sent.json["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert [d["name"] for d in sent.json["tools"][0]["functionDeclarations"]] == ["weather", "time"]


@pytest.mark.feature("reasoning_replay", provider="gemini")
def test_the_reply_goes_back_with_its_signatures(serve: Any) -> None:
    server = serve(Reply.stream(STREAM, done=False),
                   Reply.stream([chunk({"text": "Sunny, 14:00."}, finish="STOP")], done=False))
    with client(server) as c:
        with c.stream("gemini/gemini-2.5-flash", "Weather and time in Oslo?") as stream:
            list(stream)
        first = stream.response
        assert first is not None
        conversation = [modelplex.Message.user("Weather and time in Oslo?"), first.message,
                        modelplex.Message.tool(CALLS[1].id, "14:00"),
                        modelplex.Message.tool(CALLS[0].id, "sunny")]
        with c.stream("gemini/gemini-2.5-flash", conversation) as again:
            list(again)
    assert again.response is not None and again.response.text == "Sunny, 14:00."
    contents = server.requests[1].json["contents"]
    assert contents[1] == {"role": "model", "parts": [
        {"text": "Checking the weather and the time.", "thoughtSignature": "U0lHLVRFWFQ="},
        {"functionCall": {"name": "weather", "args": {"city": "Oslo"}}, "thoughtSignature": "U0lH"},
        {"functionCall": {"name": "time", "args": {"tz": "CET"}}}]}
    assert contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "weather", "response": {"output": "sunny"}}},
        {"functionResponse": {"name": "time", "response": {"output": "14:00"}}}]}


def test_rate_limit_with_retry_delay(serve: Any) -> None:
    server = serve(Reply.json(QUOTA, status=429))
    with client(server) as c:
        with pytest.raises(RateLimitError) as info:
            c.chat("gemini/gemini-2.5-flash", "hi")
        assert info.value.retry_after == 21.0 and info.value.is_retryable
        assert info.value.code == "RESOURCE_EXHAUSTED" and "exceeded your current quota" in str(info.value)
        assert "gemini/gemini-2.5-flash" in str(info.value) and KEY not in repr(info.value)
        with pytest.raises(RateLimitError) as streamed:
            consume(c, [])
        assert streamed.value.retry_after == 21.0
    assert server.requests[0].path == "/v1beta/models/gemini-2.5-flash:generateContent"


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked-body-cut", "connection-closed"])
def test_a_stream_cut_mid_way_raises_after_what_arrived(serve: Any, chunked: bool) -> None:
    server = serve(Reply.stream(STREAM, done=False, cut_after=2, chunked=chunked))
    seen: list[Any] = []
    with client(server) as c, pytest.raises(StreamInterruptedError, match=r"gemini/gemini-2\.5-flash"):
        consume(c, seen)
    assert modelplex.TextDelta(text="Checking the weather and the time.") in seen
    assert [e.call for e in seen if isinstance(e, modelplex.ToolCallEnded)] == list(CALLS)
    assert not any(isinstance(e, modelplex.Finished) for e in seen)


def test_leaving_a_stream_early_closes_the_connection(serve: Any) -> None:
    many = [chunk({"text": f"word{i} "}) for i in range(400)] + [chunk(finish="STOP")]
    server = serve(Reply.stream(many, done=False, delay=0.005))
    with client(server) as c:
        with c.stream("gemini/gemini-2.5-flash", "long story") as stream:
            for event in stream:
                if isinstance(event, modelplex.TextDelta):
                    break
        assert server.wait_disconnect(timeout=10), "the server kept writing to an open connection"


@pytest.mark.feature("json_schema", provider="gemini")
def test_json_schema_output(serve: Any) -> None:
    answer = {"city": "Paris", "population": 2102650}
    server = serve(Reply.json(chunk({"text": json.dumps(answer)}, finish="STOP", usage=USAGE)))
    schema = {"type": "object", "properties": {"city": {"type": "string"},
                                               "population": {"type": "integer"}},
              "required": ["city", "population"], "additionalProperties": False}
    with client(server) as c:
        response = c.chat("gemini/gemini-2.5-flash", "Biggest city in France?",
                          response_format=modelplex.ResponseFormat(type="json_schema", schema=schema,
                                                                   name="city"), max_tokens=50)
    assert json.loads(response.text) == answer
    config = server.requests[0].json["generationConfig"]
    assert config == {"maxOutputTokens": 50, "responseMimeType": "application/json", "responseSchema": {
        "type": "OBJECT", "required": ["city", "population"],
        "properties": {"city": {"type": "STRING"}, "population": {"type": "INTEGER"}}}}
    assert [w.field for w in response.warnings] == ["response_format.schema.additionalProperties"]


@pytest.mark.feature("model_listing", "embeddings", provider="gemini")
def test_list_models_and_embeddings(serve: Any) -> None:
    server = serve(
        Reply.json({"models": [{"name": "models/gemini-2.5-flash", "inputTokenLimit": 1048576,
                                "supportedGenerationMethods": ["generateContent"]}],
                    "nextPageToken": "p2"}),
        Reply.json({"models": [{"name": "models/text-embedding-004",
                                "supportedGenerationMethods": ["embedContent"]}]}),
        Reply.json({"embeddings": [{"values": [1.0, 0.0]}, {"values": [0.0, 1.0]}]}))
    with client(server) as c:
        models = c.list_models("gemini")
        vectors = c.embed("gemini/text-embedding-004", ["a", "b"], dimensions=2,
                          task_type="SEMANTIC_SIMILARITY")
    assert [m.address for m in models] == ["gemini/gemini-2.5-flash", "gemini/text-embedding-004"]
    assert [r.path for r in server.requests[:2]] == ["/v1beta/models?pageSize=1000",
                                                     "/v1beta/models?pageSize=1000&pageToken=p2"]
    assert vectors.vectors == ((1.0, 0.0), (0.0, 1.0))
    assert server.requests[2].path == "/v1beta/models/text-embedding-004:batchEmbedContents"
    assert server.requests[2].json["requests"][1] == {
        "model": "models/text-embedding-004", "content": {"parts": [{"text": "b"}]},
        "taskType": "SEMANTIC_SIMILARITY", "outputDimensionality": 2}


# -- the command line ------------------------------------------------------------------------------


def _env(server: ScriptedServer, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "absent.toml", drop=("GEMINI_", "GOOGLE_"), GEMINI_BASE_URL=gemini(server),
                   GEMINI_API_KEY=KEY)


def test_the_chat_command_prints_tool_calls_with_object_arguments(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.stream(STREAM, done=False))
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "weather", "description": "Weather in a city", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        {"name": "time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}]))
    done = subprocess.run([modelplex_command(), "chat", "-m", "gemini/gemini-2.5-flash", "--json",
                           "--tools", str(tools), "Weather and time in Oslo?"],
                          capture_output=True, text=True, env=_env(server, tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "gemini" and out["text"] == "Checking the weather and the time."
    assert out["tool_calls"] == [{"id": CALLS[0].id, "name": "weather", "arguments": {"city": "Oslo"}},
                                 {"id": CALLS[1].id, "name": "time", "arguments": {"tz": "CET"}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 32, "cache_read": 8, "cache_write": 0, "output": 12, "reasoning": 20}
    assert out["finish_reason"] == "tool_calls"
    sent = server.requests[0]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert sent.headers["x-goog-api-key"] == KEY
    assert sent.json["tools"] == [{"functionDeclarations": [
        {"name": "weather", "description": "Weather in a city", "parameters": {
            "type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}},
        {"name": "time", "description": "", "parameters": {
            "type": "OBJECT", "properties": {"tz": {"type": "STRING"}}}}]}]
    assert KEY not in done.stdout + done.stderr


def test_the_chat_command_reports_an_error_in_one_line(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.json({"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                         "message": "API key not valid. Please pass a valid API key.",
                                         "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                                      "reason": "API_KEY_INVALID"}]}}, status=400))
    done = subprocess.run([modelplex_command(), "chat", "-m", "gemini/gemini-2.5-flash", "hi"],
                          capture_output=True, text=True, env=_env(server, tmp_path), timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("error: gemini/gemini-2.5-flash: API key not valid")
    assert "HTTP 400" in done.stderr and KEY not in done.stderr


def test_a_bad_key_is_an_authentication_error(serve: Any) -> None:
    server = serve(Reply.json({"error": {"code": 403, "status": "PERMISSION_DENIED",
                                         "message": "Method doesn't allow unregistered callers"}},
                              status=403))
    with client(server) as c, pytest.raises(AuthenticationError):
        c.chat("gemini/gemini-2.5-flash", "hi")
