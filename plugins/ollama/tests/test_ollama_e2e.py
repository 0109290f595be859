"""End to end: the installed plugin against a local server on 127.0.0.1 speaking Ollama's NDJSON
protocol, through the public clients, the manager and the ``modelplex chat`` command."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from modelplex_ollama.errors import ModelCapabilityError
from modelplex_ollama.manage import OllamaManager
from modelplex_ollama.records import PullProgress
from ollama_helpers import call, chunk, layer_steps
from ollama_server import OllamaServer, Reply, free_port

import modelplex
from modelplex import FinishReason, ImagePart, Message, ReasoningPart, TextPart, Usage
from modelplex.errors import (
    ModelNotFoundError,
    ServerError,
    StreamInterruptedError,
    TransportError,
)
from modelplex_testing import cli_env, modelplex_command, serving

WEATHER = modelplex.Tool(name="weather", parameters={"type": "object",
                                                     "properties": {"city": {"type": "string"}}})
TIME = modelplex.Tool(name="time")
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


@pytest.fixture
def serve() -> Iterator[Callable[..., OllamaServer]]:
    with serving(OllamaServer) as start:
        yield start


def client(server: OllamaServer, **settings: Any) -> modelplex.Client:
    return modelplex.Client(providers={"ollama": {"base_url": server.host, **settings}},
                            config_file=False, env={})


THINK_AND_CALL = [
    chunk(thinking="The user wants "), chunk(thinking="weather and time."),
    chunk(content="Checking."),
    chunk(tool_calls=[call("weather", {"city": "Oslo"}), call("time", {"tz": "CET"})]),
    chunk(done=True, done_reason="stop", prompt=40, output=25),
]


def test_streamed_thinking_text_and_parallel_tool_calls(serve: Any) -> None:
    server = serve({"POST /api/chat": Reply.ndjson(THINK_AND_CALL, delay=0.01)})
    with client(server) as c, c.stream("ollama/qwen3:8b", "Weather and time in Oslo?", tools=[WEATHER, TIME],
                                       reasoning_effort="high", temperature=0.2) as stream:
        events = list(stream)
    response = stream.response
    assert response is not None
    assert response.reasoning == "The user wants weather and time."
    assert response.text == "Checking."
    assert [(c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("weather", {"city": "Oslo"}), ("time", {"tz": "CET"})]
    ids = [c.id for c in response.tool_calls]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.usage == Usage(input=40, output=25)
    reasoning = [p for p in response.parts if isinstance(p, ReasoningPart)]
    assert reasoning[0].origin == modelplex.Origin(provider="ollama", model="qwen3:8b")
    started = [e for e in events if isinstance(e, modelplex.ToolCallStarted)]
    assert [(e.index, e.name) for e in started] == [(0, "weather"), (1, "time")]
    sent = server.sent("POST /api/chat")[0].json
    assert sent["stream"] is True and sent["think"] == "high"
    assert sent["options"] == {"temperature": 0.2}
    assert [t["function"]["name"] for t in sent["tools"]] == ["weather", "time"]


@pytest.mark.feature("reasoning_replay", provider="ollama")
def test_tool_results_go_back_with_the_tool_name_and_thinking_is_replayed(serve: Any) -> None:
    server = serve({"POST /api/chat": [Reply.ndjson(THINK_AND_CALL), Reply.json(
        chunk(content="12 degrees and 14:05.", done=True, done_reason="stop", prompt=80, output=9))]})
    with client(server) as c:
        with c.stream("ollama/qwen3:8b", "Weather and time in Oslo?", tools=[WEATHER, TIME]) as stream:
            first = stream.get_response()
        history = [Message.user("Weather and time in Oslo?"), first.message,
                   Message.tool(first.tool_calls[0].id, "12 degrees"),
                   Message.tool(first.tool_calls[1].id, "14:05")]
        second = c.chat("ollama/qwen3:8b", history, tools=[WEATHER, TIME])
    assert second.text == "12 degrees and 14:05." and second.finish_reason is FinishReason.STOP
    sent = server.sent("POST /api/chat")[1].json
    assert sent["stream"] is False
    assistant, weather, time_ = sent["messages"][1:]
    assert assistant["thinking"] == "The user wants weather and time."
    assert assistant["content"] == "Checking."
    assert [tc["function"] for tc in assistant["tool_calls"]] == [
        {"name": "weather", "arguments": {"city": "Oslo"}}, {"name": "time", "arguments": {"tz": "CET"}}]
    assert weather == {"role": "tool", "content": "12 degrees", "tool_name": "weather",
                       "tool_call_id": first.tool_calls[0].id}
    assert time_["tool_name"] == "time"


def test_ollama_ids_are_kept_and_a_repeated_one_is_replaced(serve: Any) -> None:
    twice = [chunk(tool_calls=[call("time", {}, "call_abc12345"),
                               call("time", {"tz": "UTC"}, "call_abc12345")]),
             chunk(done=True, done_reason="stop")]
    server = serve({"POST /api/chat": Reply.ndjson(twice)})
    with client(server) as c, c.stream("ollama/qwen3:8b", "time?", tools=[TIME]) as stream:
        response = stream.get_response()
    ids = [p.id for p in response.tool_calls]
    assert ids[0] == "call_abc12345" and ids[1] != ids[0] and ids[1].startswith("call_")


@pytest.mark.feature("json_schema", "vision", provider="ollama")
def test_json_schema_images_keep_alive_and_num_ctx(serve: Any) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    server = serve({"POST /api/chat": Reply.json(chunk(content='{"city": "Paris"}', done=True,
                                                       done_reason="stop", prompt=300, output=8))})
    image = ImagePart(data=b"\x89PNG\r\n", media_type="image/png")
    with client(server, keep_alive="10m", num_ctx=8192) as c:
        response = c.chat("ollama/llava", [Message.user([TextPart(text="Which city?"), image])],
                          response_format=modelplex.ResponseFormat(type="json_schema", schema=schema),
                          max_tokens=64, stop=["\n\n"], seed=7, extra={"top_k": 20, "truncate": False})
    assert response.text == '{"city": "Paris"}'
    sent = server.sent("POST /api/chat")[0].json
    assert sent["format"] == schema
    assert sent["messages"] == [{"role": "user", "content": "Which city?", "images": ["iVBORw0K"]}]
    assert sent["keep_alive"] == "10m" and sent["truncate"] is False
    assert sent["options"] == {"num_ctx": 8192, "num_predict": 64, "stop": ["\n\n"], "seed": 7, "top_k": 20}


@pytest.mark.feature("embeddings", provider="ollama")
def test_embeddings_in_batches(serve: Any) -> None:
    def embed(received: Any) -> Reply:
        inputs = received.json["input"]
        return Reply.json({"model": "nomic-embed-text", "prompt_eval_count": 3 * len(inputs),
                           "embeddings": [[float(len(t)), 0.5] for t in inputs]})

    server = serve({"POST /api/embed": embed})
    with client(server, embed_batch_size=2) as c:
        result = c.embed("ollama/nomic-embed-text", ["a", "bb", "ccc", "dddd", "eeeee"], dimensions=2)
    assert result.vectors == ((1.0, 0.5), (2.0, 0.5), (3.0, 0.5), (4.0, 0.5), (5.0, 0.5))
    assert result.usage == Usage(input=15)
    sent = [r.json for r in server.sent("POST /api/embed")]
    assert [s["input"] for s in sent] == [["a", "bb"], ["ccc", "dddd"], ["eeeee"]]
    assert all(s["dimensions"] == 2 and s["model"] == "nomic-embed-text" for s in sent)


@pytest.mark.feature("model_listing", provider="ollama")
def test_list_models_with_show_details_cached_by_digest(serve: Any) -> None:
    tags = {"models": [
        {"name": "qwen3:8b", "digest": DIGEST_A, "size": 5_200_000_000,
         "details": {"family": "qwen3", "parameter_size": "8.2B", "quantization_level": "Q4_K_M"}},
        {"name": "nomic-embed-text:latest", "digest": DIGEST_B, "size": 274_000_000, "details": {}}]}
    shows = {"qwen3:8b": {"model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
                          "capabilities": ["completion", "tools", "thinking"]},
             "nomic-embed-text:latest": {"model_info": {"general.architecture": "nomic-bert",
                                                        "nomic-bert.context_length": 2048},
                                         "capabilities": ["embedding"]}}
    server = serve({"GET /api/tags": Reply.json(tags),
                    "POST /api/show": lambda r: Reply.json(shows[r.json["model"]])})

    async def go() -> tuple[list[modelplex.ModelInfo], list[modelplex.ModelInfo]]:
        async with modelplex.AsyncClient(providers={"ollama": {"base_url": server.url}}, config_file=False,
                                         env={}) as c:
            return await c.list_models("ollama"), await c.list_models("ollama")

    first, again = asyncio.run(go())
    assert first == again
    qwen, nomic = first
    assert (qwen.address, qwen.context_window, qwen.name) == ("ollama/qwen3:8b", 40960, "qwen3 8.2B Q4_K_M")
    assert qwen.capabilities.tools and qwen.capabilities.reasoning and not qwen.capabilities.vision
    assert nomic.capabilities.embeddings and nomic.capabilities.chat is False and nomic.context_window == 2048
    assert qwen.local and len(server.sent("POST /api/show")) == 2  # the second listing asked no /api/show
    assert len(server.sent("GET /api/tags")) == 2


def test_a_model_that_is_not_there_says_how_to_pull_it(serve: Any) -> None:
    server = serve({"POST /api/chat": Reply.error('model "llama9" not found, try pulling it first', 404)})
    with client(server) as c, pytest.raises(ModelNotFoundError) as info:
        c.chat("ollama/llama9", "hi")
    assert "modelplex ollama pull llama9" in str(info.value) and "ollama/llama9" in str(info.value)
    assert info.value.status_code == 404


def test_a_model_without_tools_is_a_clear_capability_error(serve: Any) -> None:
    server = serve({"POST /api/chat": Reply.error(
        "registry.ollama.ai/library/gemma3:1b does not support tools", 400)})
    with client(server) as c, pytest.raises(ModelCapabilityError) as info, \
            c.stream("ollama/gemma3:1b", "time?", tools=[TIME]) as stream:
        list(stream)
    err = info.value
    assert isinstance(err, modelplex.errors.UnsupportedFeatureError) and err.feature == "tools"
    assert "gemma3:1b" in str(err) and "tools" in str(err) and err.status_code == 400


def test_an_error_in_the_middle_of_a_stream_comes_after_the_delivered_events(serve: Any) -> None:
    lines = [chunk(content="Yes"), chunk(content=". I"),
             {"error": "an error was encountered while running the model"}]
    server = serve({"POST /api/chat": Reply.ndjson(lines)})
    seen: list[Any] = []
    with client(server) as c, pytest.raises(ServerError, match="an error was encountered") as info, \
            c.stream("ollama/gemma3:1b", "hi") as stream:
        seen.extend(stream)
    assert [e.text for e in seen if isinstance(e, modelplex.TextDelta)] == ["Yes", ". I"]
    assert "ollama/gemma3:1b" in str(info.value)


def test_a_stream_cut_short_is_interrupted(serve: Any) -> None:
    server = serve({"POST /api/chat": Reply.ndjson([*THINK_AND_CALL[:3], THINK_AND_CALL[-1]], cut_after=3)})
    seen: list[Any] = []
    with client(server) as c, pytest.raises(StreamInterruptedError), c.stream("ollama/qwen3:8b", "hi") as s:
        seen.extend(s)
    assert modelplex.TextDelta(text="Checking.") in seen


def test_a_server_that_is_down_is_named_in_a_transport_error() -> None:
    port = free_port()
    with modelplex.Client(providers={"ollama": {"base_url": f"127.0.0.1:{port}"}}, config_file=False,
                          env={}) as c, pytest.raises(TransportError) as info:
        c.chat("ollama/llama3.2", "hi")
    message = str(info.value)
    assert f"Ollama is not reachable at http://127.0.0.1:{port} (connection refused)" in message
    assert "ollama serve" in message and info.value.is_retryable
    # One plain cause (issue 16): not the HTTP libraries' exception names, nor aiohttp's ssl:default.
    assert "ssl:default" not in message and "Error" not in message.split("(")[1]


PULL = [{"status": "pulling manifest"}, *layer_steps(DIGEST_A, 4_000_000, 4), *layer_steps(DIGEST_B, 500, 1),
        {"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]


async def _pull(manager: OllamaManager, model: str) -> list[PullProgress]:
    return [step async for step in manager.pull(model)]


def test_a_pull_streams_its_progress_to_success(serve: Any) -> None:
    server = serve({"POST /api/pull": Reply.ndjson(PULL)})

    async def go() -> list[PullProgress]:
        async with OllamaManager(server.host) as manager:
            return await _pull(manager, "llama3.2")

    steps = asyncio.run(go())
    assert steps[0].status == "pulling manifest" and steps[-1].is_success
    layer = [s for s in steps if s.digest == DIGEST_A]
    assert [s.completed for s in layer] == [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]
    assert layer[0].layer == "aaaaaaaaaaaa" and layer[0].total == 4_000_000
    assert server.sent("POST /api/pull")[0].json == {"model": "llama3.2", "stream": True}


def test_a_pull_that_fails_half_way_raises_after_its_progress(serve: Any) -> None:
    failing = [*PULL[:4], {"error": "max retries exceeded: unexpected EOF"}]
    server = serve({"POST /api/pull": Reply.ndjson(failing)})
    steps: list[PullProgress] = []

    async def go() -> None:
        async with OllamaManager(server.url) as manager:
            async for step in manager.pull("llama3.2"):
                steps.append(step)

    with pytest.raises(ServerError, match="max retries exceeded") as info:
        asyncio.run(go())
    assert "ollama/llama3.2" in str(info.value)
    assert [s.completed for s in steps if s.digest] == [0, 1_000_000, 2_000_000]


def test_a_pull_of_an_unknown_model_and_a_dropped_pull(serve: Any) -> None:
    server = serve({"POST /api/pull": [
        Reply.ndjson([{"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}]),
        Reply.ndjson(PULL, cut_after=3)]})

    async def go(model: str) -> None:
        async with OllamaManager(server.url) as manager:
            await _pull(manager, model)

    with pytest.raises(ModelNotFoundError, match="file does not exist"):
        asyncio.run(go("nosuchmodel"))
    with pytest.raises(StreamInterruptedError):
        asyncio.run(go("llama3.2"))


def test_delete_and_delete_of_a_missing_model(serve: Any) -> None:
    server = serve({"DELETE /api/delete": lambda r: Reply(status=200) if r.json["model"] == "gemma3:1b"
                    else Reply.error(f"model '{r.json['model']}' not found", 404)})

    async def go(model: str) -> None:
        async with OllamaManager(server.url) as manager:
            await manager.delete(model)

    asyncio.run(go("gemma3:1b"))
    with pytest.raises(ModelNotFoundError, match="not found") as info:
        asyncio.run(go("llama9"))
    assert info.value.status_code == 404
    assert [r.json for r in server.sent("DELETE /api/delete")] == [{"model": "gemma3:1b"},
                                                                   {"model": "llama9"}]


def test_the_manager_from_a_modelplex_client_uses_its_settings(serve: Any) -> None:
    server = serve({"GET /api/tags": Reply.json({"models": []}),
                    "GET /api/ps": Reply.json({"models": [{
                        "name": "qwen3:8b", "size": 6_000_000_000, "size_vram": 3_000_000_000,
                        "context_length": 4096}]})})

    async def go() -> tuple[list[Any], list[Any]]:
        async with modelplex.AsyncClient(providers={"ollama": {"base_url": server.url, "api_key": "k-123"}},
                                         config_file=False, env={}) as c:
            manager = OllamaManager.from_client(c)
            return await manager.list(), await manager.ps()

    listed, running = asyncio.run(go())
    assert listed == [] and running[0].processor == "50%/50% CPU/GPU" and running[0].context_length == 4096
    assert server.requests[0].headers["authorization"] == "Bearer k-123"


def test_the_chat_command_streams_from_ollama(serve: Any, tmp_path: Path) -> None:
    words = ["Hello", " from", " a", " local", " Ollama", "."]
    server = serve({"POST /api/chat": Reply.ndjson(
        [chunk(thinking="Greet them.", model="llama3.2"),
         *(chunk(content=w, model="llama3.2") for w in words),
         chunk(done=True, done_reason="stop", model="llama3.2", prompt=12, output=6)], delay=0.02)})
    env = cli_env(tmp_path / "absent.toml", drop=("OLLAMA_",), OLLAMA_HOST=server.host)
    done = subprocess.run([modelplex_command(), "chat", "-m", "ollama/llama3.2", "Say hello"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello from a local Ollama.\n"
    assert "Greet them." in done.stderr
    sent = server.sent("POST /api/chat")[0].json
    assert sent["model"] == "llama3.2" and sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "Say hello"}]


def test_the_chat_command_says_when_ollama_is_down(tmp_path: Path) -> None:
    port = free_port()
    env = cli_env(tmp_path / "absent.toml", drop=("OLLAMA_",), OLLAMA_HOST=f"0.0.0.0:{port}")
    done = subprocess.run([modelplex_command(), "chat", "-m", "ollama/llama3.2", "hi"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: ollama/llama3.2: Ollama is not reachable at http://127.0.0.1:{port}")
    assert "Traceback" not in done.stderr
