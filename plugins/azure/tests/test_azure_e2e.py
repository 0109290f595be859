"""End to end: the installed ``azure`` plugin against a real HTTP server on 127.0.0.1 (the shared
scripted server), through the public clients and the ``modelplex`` command."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure_helpers import KEY, USAGE, content_filter_400, prompt_filter_chunk, reply

import modelplex
from modelplex import FinishReason, ToolCallPart, Usage
from modelplex.errors import ModelNotFoundError, RateLimitError
from modelplex_testing import cli_env, modelplex_command, serving
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk, parallel_tool_calls

DEPLOYMENT_PATH = "/openai/deployments/my-deployment/chat/completions"


PARALLEL = [prompt_filter_chunk(), *parallel_tool_calls(USAGE)]
CALLS = (ToolCallPart(id="call_w", name="weather", arguments={"city": "Oslo"}),
         ToolCallPart(id="call_t", name="time", arguments={"tz": "CET"}))


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


def endpoint(server: ScriptedServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def client(server: ScriptedServer, **settings: Any) -> modelplex.Client:
    return modelplex.Client(providers={"azure": {"base_url": endpoint(server), "api_key": KEY,
                                                 **settings}}, config_file=False, env={})


def test_chat_reaches_the_deployment_path_with_the_api_version(serve: Any) -> None:
    server = serve(Reply.json(reply("Paris.")))
    with client(server) as c:
        response = c.chat("azure/my-deployment", "Capital of France?", max_tokens=20)
    assert response.text == "Paris." and response.finish_reason is FinishReason.STOP
    sent = server.requests[0]
    assert sent.method == "POST" and sent.path == f"{DEPLOYMENT_PATH}?api-version=2024-10-21"
    assert sent.headers["api-key"] == KEY and "authorization" not in sent.headers
    assert sent.json == {"model": "my-deployment", "stream": False, "max_tokens": 20,
                         "messages": [{"role": "user", "content": "Capital of France?"}]}


@pytest.mark.feature("tools", "streamed_tool_arguments", provider="azure")
def test_streamed_parallel_tool_calls(serve: Any) -> None:
    server = serve(Reply.stream(PARALLEL))
    with client(server, api_version="2025-04-01-preview") as c, c.stream(
            "azure/my-deployment", "Weather and time in Oslo?",
            tools=[{"name": "weather"}, {"name": "time"}]) as stream:
        events = list(stream)
    response = stream.response
    assert response is not None
    assert response.text == "Checking both." and response.tool_calls == CALLS
    assert response.finish_reason is FinishReason.TOOL_CALLS and response.warnings == ()
    assert response.usage == Usage(input=16, cache_read=4, output=12)
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_calls")
    sent = server.requests[0]
    assert sent.path == f"{DEPLOYMENT_PATH}?api-version=2025-04-01-preview"
    assert sent.headers["accept"] == "text/event-stream" and sent.headers["api-key"] == KEY
    assert sent.json["stream"] is True and sent.json["stream_options"] == {"include_usage": True}
    assert [t["function"]["name"] for t in sent.json["tools"]] == ["weather", "time"]


def test_streaming_on_the_default_version_asks_for_usage(serve: Any) -> None:
    server = serve(Reply.stream([prompt_filter_chunk(), chunk(content="Hello there, friend."),
                                 chunk(finish="stop"), chunk(usage=USAGE)]))
    with client(server) as c, c.stream("azure/my-deployment", "hi") as stream:
        list(stream)
    assert stream.response is not None and stream.response.text == "Hello there, friend."
    assert stream.response.usage == Usage(input=16, cache_read=4, output=12)
    assert server.requests[0].path == f"{DEPLOYMENT_PATH}?api-version=2024-10-21"
    assert server.requests[0].json["stream_options"] == {"include_usage": True}


def test_streaming_on_an_older_version_asks_for_no_usage_and_estimates_it(serve: Any) -> None:
    server = serve(Reply.stream([prompt_filter_chunk(), chunk(content="Hello there, friend."),
                                 chunk(finish="stop")]))
    with client(server, api_version="2024-06-01") as c, c.stream("azure/my-deployment", "hi") as stream:
        list(stream)
    assert stream.response is not None and stream.response.usage.estimated
    assert stream.response.text == "Hello there, friend."
    assert server.requests[0].path == f"{DEPLOYMENT_PATH}?api-version=2024-06-01"
    assert "stream_options" not in server.requests[0].json


def test_the_v1_route_over_http(serve: Any) -> None:
    server = serve(Reply.json(reply("ok")))
    with client(server, route="v1") as c:
        c.chat("azure/my-gpt4o", "hi")
    assert server.requests[0].path == "/openai/v1/chat/completions"
    assert server.requests[0].json["model"] == "my-gpt4o"


def test_rate_limit_with_retry_after(serve: Any) -> None:
    server = serve(Reply.json({"error": {
        "code": "429", "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI "
                                  "API version 2024-10-21 have exceeded token rate limit of your current "
                                  "OpenAI S0 pricing tier. Please retry after 6 seconds."}},
        status=429, **{"retry-after": "6"}), Reply.json({"error": {
            "code": "429", "message": "Rate limit is exceeded. Try again in 86400 seconds."}}, status=429))
    with client(server) as c:
        with pytest.raises(RateLimitError) as info:
            c.chat("azure/my-deployment", "hi")
        assert info.value.retry_after == 6.0 and info.value.is_retryable
        assert "exceeded token rate limit" in str(info.value) and "azure/my-deployment" in str(info.value)
        assert KEY not in repr(info.value) and KEY not in str(vars(info.value))
        # No Retry-After header: the wait comes from Azure's message.
        with pytest.raises(RateLimitError) as info, c.stream("azure/my-deployment", "hi") as s:
            list(s)
        assert info.value.retry_after == 86400.0


def test_a_missing_deployment_is_model_not_found_naming_it(serve: Any) -> None:
    server = serve(Reply.json({"error": {
        "code": "DeploymentNotFound",
        "message": "The API deployment for this resource does not exist. If you created the deployment "
                   "within the last 5 minutes, please wait a moment and try again."}}, status=404))
    with client(server) as c, pytest.raises(ModelNotFoundError) as info:
        c.chat("azure/no-such-deployment", "hi")
    message = str(info.value)
    assert message.startswith("azure/no-such-deployment: deployment 'no-such-deployment' was not found")
    assert "The API deployment for this resource does not exist" in message
    assert info.value.status_code == 404 and info.value.code == "DeploymentNotFound"


@pytest.mark.feature("embeddings", provider="azure")
def test_embeddings_over_http(serve: Any) -> None:
    server = serve(Reply.json({"object": "list", "model": "text-embedding-3-small",
                               "data": [{"index": 1, "embedding": [0.0, 1.0]},
                                        {"index": 0, "embedding": [1.0, 0.0]}],
                               "usage": {"prompt_tokens": 4, "total_tokens": 4}}))
    with client(server) as c:
        vectors = c.embed("azure/my-embedder", ["a", "b"])
    assert vectors.vectors == ((1.0, 0.0), (0.0, 1.0)) and vectors.usage == Usage(input=4)
    assert server.requests[0].path == "/openai/deployments/my-embedder/embeddings?api-version=2024-10-21"
    assert server.requests[0].json == {"model": "my-embedder", "input": ["a", "b"]}


@pytest.mark.feature("json_schema", provider="azure")
def test_json_schema_output(serve: Any) -> None:
    answer = {"city": "Paris"}
    server = serve(Reply.json(reply(json.dumps(answer))))
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    with client(server) as c:
        response = c.chat("azure/my-deployment", "Which city?", response_format=modelplex.ResponseFormat(
            type="json_schema", schema=schema, name="city", strict=True))
    assert json.loads(response.text) == answer
    assert server.requests[0].json["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "city", "schema": schema, "strict": True}}


# -- the modelplex command -------------------------------------------------------------------------
def _env(server: ScriptedServer, tmp_path: Path, **more: str) -> dict[str, str]:
    return cli_env(tmp_path / "absent.toml", drop=("AZURE_", "OPENAI_"),
                   AZURE_OPENAI_ENDPOINT=endpoint(server), AZURE_OPENAI_API_KEY=KEY, **more)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([modelplex_command(), "chat", "-m", "azure/my-deployment", *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_the_chat_command_prints_reply_tool_calls_and_usage(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.stream(PARALLEL))
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}, {"name": "time"}]))
    done = _run(_env(server, tmp_path, OPENAI_API_VERSION="2025-04-01-preview"), "--json",
                "--tools", str(tools), "Weather and time in Oslo?")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "azure" and out["text"] == "Checking both."
    assert out["tool_calls"] == [{"id": "call_w", "name": "weather", "arguments": {"city": "Oslo"}},
                                 {"id": "call_t", "name": "time", "arguments": {"tz": "CET"}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 16, "cache_read": 4, "cache_write": 0, "output": 12,
                            "reasoning": 0}
    assert out["finish_reason"] == "tool_calls" and out["warnings"] == []
    sent = server.requests[0]
    assert sent.path == f"{DEPLOYMENT_PATH}?api-version=2025-04-01-preview"  # OPENAI_API_VERSION
    assert sent.headers["api-key"] == KEY and "authorization" not in sent.headers
    assert sent.json["model"] == "my-deployment"
    assert sent.json["messages"] == [{"role": "user", "content": "Weather and time in Oslo?"}]
    assert KEY not in done.stdout + done.stderr


def test_the_chat_command_reports_a_filtered_prompt(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.json(content_filter_400(violence={"filtered": True, "severity": "high"}),
                              status=400))
    done = _run(_env(server, tmp_path), "--json", "How do I ...")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["finish_reason"] == "content_filter" and out["text"] == ""
    assert out["warnings"] == [{"code": "content-filter", "field": "prompt", "message":
                                "Azure's content filter rejected the prompt (HTTP 400, content_filter): "
                                "violence (high)"}]
    assert server.requests[0].path == f"{DEPLOYMENT_PATH}?api-version=2024-10-21"


def test_the_chat_command_reports_a_missing_deployment_in_one_line(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.json({"error": {"code": "DeploymentNotFound", "message": "The API deployment "
                                         "for this resource does not exist."}}, status=404))
    done = _run(_env(server, tmp_path), "hi")
    assert done.returncode == 1
    assert done.stderr.startswith("error: azure/my-deployment: deployment 'my-deployment' was not found")
    assert "HTTP 404" in done.stderr and KEY not in done.stderr
