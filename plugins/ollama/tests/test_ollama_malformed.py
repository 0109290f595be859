"""Recorded replies broken one field at a time, on the wire: whatever breaks, the error is a
ResponseParseError naming the JSON path, never the core's catch-all for a plugin that crashed; where
the format fixes a field's type, another type is refused naming exactly that field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex_testing import Recording, Reply, ScriptedServer
from modelplex_testing.corrupt import Corruption, corruptions
from modelplex_testing.malformed import shape, verdict

FIXTURES = Path(__file__).parent / "fixtures" / "ollama"
OPTIONAL = {"string", "null"}
CALL = "message.tool_calls[*]"

# The JSON types Ollama's /api/chat fixes for what the parser reads (token counts stay lenient), and
# the keys it cannot do without; the model is read from a stream's first object only, and a stream
# whose last object lost its "done" was cut off, rightly.
TYPES = {
    "message": {"object", "null"}, "message.content": OPTIONAL, "message.thinking": OPTIONAL,
    "message.tool_calls": {"array", "null"}, CALL: {"object"}, f"{CALL}.function": {"object"},
    f"{CALL}.function.name": {"string"}, f"{CALL}.id": OPTIONAL, "done": {"boolean", "null"},
    "done_reason": OPTIONAL, "model": OPTIONAL,
}
REQUIRED = [f"{CALL}.function", f"{CALL}.function.name"]
STREAM_TYPES = {k: v for k, v in TYPES.items() if k != "model"}
WHOLE_TYPES = {k: v for k, v in TYPES.items() if k != "done"}  # a whole reply is done anyway
EMBED_TYPES = {"embeddings": {"array"}, "embeddings[*]": {"array"}, "embeddings[*][*]": {"number"}}


def recorded(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def stream_cases(name: str) -> Iterator[tuple[Corruption, Reply]]:
    """Each corruption of the first object of each shape in a recorded stream, the rest as it was."""
    lines = [json.loads(line) for line in str(recorded(name).response["body_text"]).splitlines() if line]
    shapes = set()
    for i, data in enumerate(lines):
        if shape(data) in shapes:
            continue  # an object like one before: nothing new to break
        shapes.add(shape(data))
        for case in corruptions(data):
            broken = [*lines[:i], case.data, *lines[i + 1:]]
            yield case, Reply(headers={"content-type": "application/x-ndjson"},
                              events=[json.dumps(item).encode() + b"\n" for item in broken])


def whole_cases(body: Any) -> Iterator[tuple[Corruption, Reply]]:
    for case in corruptions(body):
        yield case, Reply.json(case.data)


def misread(cases: list[tuple[Corruption, Reply]], call: Callable[[modelplex.Client], object], *,
            types: dict[str, set[str]], required: Sequence[str] = ()) -> list[str]:
    """Serve every case in turn through the client; what was wrong with each answer."""
    wrong = []
    with ScriptedServer([reply for _, reply in cases]) as server, modelplex.Client(
            providers={"ollama": {"base_url": f"http://127.0.0.1:{server.port}"}},
            config_file=False, env={}) as client:
        for case, _ in cases:
            outcome: BaseException | None = None
            try:
                call(client)
            except Exception as exc:  # judged by verdict: only a ResponseParseError may come out
                outcome = exc
            found = verdict(case, outcome, types=types, required=required)
            if isinstance(outcome, StreamInterruptedError) and case.where == "done":
                found = None
            if found is not None:
                wrong.append(found)
    return wrong


def chat(client: modelplex.Client) -> object:
    return client.chat("ollama/llama3.2", "hi")


def stream(client: modelplex.Client) -> object:
    with client.stream("ollama/llama3.2", "hi") as s:
        return list(s)


@pytest.mark.parametrize("name", ["01_api_chat_nonstream_docs", "04_api_chat_nonstream_tools_docs"])
def test_a_whole_reply_broken_anywhere(name: str) -> None:
    cases = list(whole_cases(recorded(name).response["body"]))
    assert misread(cases, chat, types=WHOLE_TYPES, required=REQUIRED) == []


@pytest.mark.parametrize("name", ["03_api_chat_stream_tools_docs", "22_native_api_chat_stream_explicit"])
def test_a_stream_object_broken_anywhere(name: str) -> None:
    cases = list(stream_cases(name))
    assert misread(cases, stream, types=STREAM_TYPES, required=REQUIRED) == []


def test_embeddings_broken_anywhere() -> None:
    body = recorded("26_native_api_embed").response["body"]
    body["embeddings"] = [vector[:3] for vector in body["embeddings"]]  # as three thousand would
    count = len(body["embeddings"])
    cases = list(whole_cases(body))

    def embed(client: modelplex.Client) -> object:
        return client.embed("ollama/all-minilm", [f"text {i}" for i in range(count)])

    assert misread(cases, embed, types=EMBED_TYPES, required=["embeddings"]) == []


def test_what_the_example_of_the_issue_looks_like_here() -> None:
    body = recorded("04_api_chat_nonstream_tools_docs").response["body"]
    body["message"]["tool_calls"][0]["function"] = "get_weather"
    with ScriptedServer([Reply.json(body)]) as server, modelplex.Client(
            providers={"ollama": {"base_url": f"http://127.0.0.1:{server.port}"}},
            config_file=False, env={}) as client, pytest.raises(ResponseParseError) as info:
        chat(client)
    assert str(info.value) == "ollama/llama3.2: message.tool_calls[0].function: expected object, got str"
