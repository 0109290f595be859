"""Recorded replies broken one field at a time, on the wire: whatever breaks, the error is a
ResponseParseError naming the JSON path, never the core's catch-all for a plugin that crashed; where
the format fixes a field's type, another type is refused naming exactly that field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ResponseParseError, StreamInterruptedError
from modelplex_testing import Recording, Reply
from modelplex_testing.corrupt import Corruption
from modelplex_testing.malformed import Event, judge, replay, reply_cases, stream_cases

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
WIRE: dict[str, Any] = {"provider": "ollama"}  # for replay


def recorded(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def ndjson(objects: list[Event]) -> Reply:
    """A reply that streams ``objects`` as Ollama does: one JSON object a line, each flushed."""
    return Reply(headers={"content-type": "application/x-ndjson"},
                 events=[json.dumps(data).encode() + b"\n" for _, data in objects])


def cut_off(case: Corruption, outcome: BaseException | None) -> bool:
    """Whether the break took the last object's "done", so the stream was rightly cut off."""
    return isinstance(outcome, StreamInterruptedError) and case.where == "done"


def chat(client: modelplex.Client) -> object:
    return client.chat("ollama/llama3.2", "hi")


def stream(client: modelplex.Client) -> object:
    with client.stream("ollama/llama3.2", "hi") as s:
        return list(s)


@pytest.mark.parametrize("name", ["01_api_chat_nonstream_docs", "04_api_chat_nonstream_tools_docs"])
def test_a_whole_reply_broken_anywhere(name: str) -> None:
    outcomes = replay(reply_cases(recorded(name).response["body"]), chat, **WIRE)
    assert judge(outcomes, types=WHOLE_TYPES, required=REQUIRED, excused=cut_off) == []


@pytest.mark.parametrize("name", ["03_api_chat_stream_tools_docs", "22_native_api_chat_stream_explicit"])
def test_a_stream_object_broken_anywhere(name: str) -> None:
    body = str(recorded(name).response["body_text"])
    objects: list[Event] = [(None, json.loads(line)) for line in body.splitlines() if line]
    outcomes = replay(stream_cases(objects, encode=ndjson), stream, **WIRE)
    assert judge(outcomes, types=STREAM_TYPES, required=REQUIRED, excused=cut_off) == []


def test_embeddings_broken_anywhere() -> None:
    body = recorded("26_native_api_embed").response["body"]
    body["embeddings"] = [vector[:3] for vector in body["embeddings"]]  # as three thousand would
    count = len(body["embeddings"])
    cases = reply_cases(body)

    def embed(client: modelplex.Client) -> object:
        return client.embed("ollama/all-minilm", [f"text {i}" for i in range(count)])

    outcomes = replay(cases, embed, **WIRE)
    assert judge(outcomes, types=EMBED_TYPES, required=["embeddings"], excused=cut_off) == []


def test_what_the_example_of_the_issue_looks_like_here() -> None:
    body = recorded("04_api_chat_nonstream_tools_docs").response["body"]
    body["message"]["tool_calls"][0]["function"] = "get_weather"
    [(_, error)] = replay([("broken", Reply.json(body))], chat, **WIRE)
    assert isinstance(error, ResponseParseError)
    assert str(error) == "ollama/llama3.2: message.tool_calls[0].function: expected object, got str"
