"""End to end: named OpenAI-compatible servers on 127.0.0.1, configured as users do, through the
public clients and the ``modelplex`` command with a config file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, Usage
from modelplex.errors import ConfigurationError, MissingCredentialsError, StreamInterruptedError
from modelplex_testing import cli_env, modelplex_command, serving
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

WHOLE = {"id": "r", "model": "qwen2.5-7b-instruct", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi there"}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2}}
STREAM = [chunk(reasoning="Greet back."), chunk(content="Hi "), chunk(content="there"),
          chunk(tool_calls=[{"index": 0, "id": "call_1", "type": "function",
                             "function": {"name": "wave", "arguments": ""}}]),
          chunk(tool_calls=[{"index": 0, "id": None, "function": {"arguments": '{"times": 2}'}}]),
          chunk(finish="tool_calls")]


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


def test_several_named_servers_at_once(serve: Any) -> None:
    lmstudio, vllm = serve(Reply.json(WHOLE)), serve(Reply.json({**WHOLE, "model": "llama"}))
    with modelplex.Client(providers={
        "lmstudio": {"plugin": "openai-like", "base_url": lmstudio.url},
        "vllm": {"plugin": "openai-like", "base_url": vllm.url, "api_key_env": "VLLM_KEY"},
    }, config_file=False, env={"VLLM_KEY": "vllm-secret-123456"}) as client:
        a = client.chat("lmstudio/qwen2.5-7b-instruct", "Hello")
        b = client.chat("vllm/llama", "Hello")
    assert (a.provider, a.text, a.usage) == ("lmstudio", "Hi there", Usage(input=5, output=2))
    assert (b.provider, b.model) == ("vllm", "llama")
    assert "authorization" not in lmstudio.requests[0].headers  # no key configured: none sent
    assert vllm.requests[0].headers["authorization"] == "Bearer vllm-secret-123456"
    assert lmstudio.requests[0].json["model"] == "qwen2.5-7b-instruct"


def test_a_configured_key_variable_that_is_unset_is_an_error_naming_it(serve: Any) -> None:
    server = serve(Reply.json(WHOLE))
    with modelplex.Client(providers={"vllm": {"plugin": "openai-like", "base_url": server.url,
                                              "api_key_env": "VLLM_KEY"}},
                          config_file=False, env={}) as client, pytest.raises(
            MissingCredentialsError, match="VLLM_KEY"):
        client.chat("vllm/llama", "Hello")
    assert server.requests == []


def test_a_name_without_a_base_url() -> None:
    with modelplex.Client(providers={"nowhere": {"plugin": "openai-like"}},
                          config_file=False, env={}) as client:
        with pytest.raises(ConfigurationError, match=r"no base URL.*\[providers.nowhere\]"):
            client.chat("nowhere/m", "Hello")
        assert client.list_models("nowhere") == []


def test_streaming_with_reasoning_and_a_tool_call_without_usage(serve: Any) -> None:
    """A local server that sends no usage: the final usage is an estimate, marked as one."""
    server = serve(Reply.stream(STREAM))
    with modelplex.Client(providers={"local": {"plugin": "openai-like",
                                               "base_url": server.url,
                                               "profile": {"stream_usage": False}}},
                          config_file=False, env={}) as client, client.stream(
            "local/qwen", "Hello", tools=[{"name": "wave"}]) as stream:
        list(stream)
    response = stream.response
    assert response is not None
    assert (response.reasoning, response.text) == ("Greet back.", "Hi there")
    assert [(c.id, c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("call_1", "wave", {"times": 2})]
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.usage.estimated and response.usage.output > 0
    assert "stream_options" not in server.requests[0].json


def test_a_dropped_connection_mid_stream(serve: Any) -> None:
    server = serve(Reply.stream(STREAM, cut_after=2, chunked=False))
    with modelplex.Client(providers={"local": {"plugin": "openai-like",
                                               "base_url": server.url}},
                          config_file=False, env={}) as client:
        seen: list[Any] = []
        with pytest.raises(StreamInterruptedError, match="local/qwen"):
            consume(client, "local/qwen", seen)
    assert [e for e in seen if isinstance(e, modelplex.TextDelta)] == [
        modelplex.TextDelta(text="Hi ")]


@pytest.mark.feature("model_listing", provider="openai-like")
def test_list_models_of_every_configured_name(serve: Any) -> None:
    server = serve(Reply.json({"data": [{"id": "qwen", "max_model_len": 32768}]}))
    with modelplex.Client(providers={"local": {"plugin": "openai-like",
                                               "base_url": server.url}},
                          config_file=False, env={}) as client:
        models = client.list_models("local")
    assert [(m.address, m.context_window, m.local) for m in models] == [("local/qwen", 32768, True)]


def consume(client: modelplex.Client, model: str, into: list[Any]) -> None:
    with client.stream(model, "Hello") as stream:
        into.extend(stream)


def test_the_chat_command_with_a_configured_generic_provider(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.stream([*STREAM, chunk(usage={"prompt_tokens": 9,
                                                       "completion_tokens": 6})]))
    config = tmp_path / "config.toml"
    config.write_text(f'[providers.lmstudio]\nplugin = "openai-like"\n'
                      f'base_url = "{server.url}"\n', encoding="utf-8")
    env = cli_env(config, drop=("OPENAI_",))
    done = subprocess.run([modelplex_command(), "chat", "-m", "lmstudio/qwen2.5-7b-instruct",
                           "--json", "Say hi and wave twice"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["provider"] == "lmstudio" and out["model"] == "test-model"
    assert (out["text"], out["reasoning"]) == ("Hi there", "Greet back.")
    assert out["tool_calls"] == [{"id": "call_1", "name": "wave", "arguments": {"times": 2}}]
    assert out["usage"] == {"cache_write_1h": 0, "reported_cost": None,
                            "input": 9, "cache_read": 0, "cache_write": 0, "output": 6,
                            "reasoning": 0}
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and "authorization" not in sent.headers
    assert sent.json["stream"] is True and sent.json["stream_options"] == {"include_usage": True}
    assert sent.json["messages"] == [{"role": "user", "content": "Say hi and wave twice"}]


def test_the_name_before_the_rename_still_reaches_the_plugin(serve: Any, tmp_path: Path) -> None:
    """PRODUCT.md's shared config says ``plugin = "openai-compatible"``, the plugin's name before it
    became ``openai-like``: in a config file, in ``providers=`` and as an address it still works."""
    config, direct = serve(Reply.json(WHOLE)), serve(Reply.json(WHOLE))
    path = tmp_path / "config.toml"
    path.write_text(f'[providers.lmstudio]\nplugin = "openai-compatible"\nbase_url = "{config.url}"\n')
    with modelplex.Client(config_file=path, env={}, providers={
            "openai-compatible": {"base_url": direct.url}}) as client:
        a = client.chat("lmstudio/qwen2.5-7b-instruct", "Hello")
        b = client.chat("openai-compatible/qwen2.5-7b-instruct", "Hello")
        plugins = {client.async_client.context(n).settings.plugin for n in ("lmstudio", "openai-compatible")}
    assert (a.provider, a.text) == ("lmstudio", "Hi there")
    assert (b.provider, b.text) == ("openai-compatible", "Hi there")
    assert plugins == {"openai-like"}
    assert len(config.requests) == len(direct.requests) == 1
