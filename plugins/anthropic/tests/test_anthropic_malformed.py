"""Recorded replies broken one field at a time, on the wire: whatever breaks, the error is a
ResponseParseError naming the JSON path, never the core's catch-all for a plugin that crashed; where
the format fixes a field's type, another type is refused naming exactly that field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ResponseParseError
from modelplex_testing import Recording, Reply, ScriptedServer
from modelplex_testing.corrupt import Corruption, corruptions
from modelplex_testing.malformed import shape, verdict

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "sk-ant-malformed-test-key-0123456789"
MODEL = "anthropic/claude-sonnet-4-5"
OPTIONAL = {"string", "null"}

# The JSON types the Messages API fixes for what the parser reads (token counts stay lenient: a
# count that is not a positive integer counts as 0), and the keys it cannot do without.
WHOLE_TYPES = {
    "content": {"array"}, "content[*]": {"object"}, "content[*].type": {"string"},
    "content[*].text": OPTIONAL, "content[*].thinking": OPTIONAL, "content[*].signature": OPTIONAL,
    "content[*].data": {"string"}, "content[*].name": {"string"}, "content[*].id": {"string"},
    "stop_reason": OPTIONAL, "usage": {"object", "null"}, "model": OPTIONAL, "id": OPTIONAL,
}
WHOLE_REQUIRED = ["content", "content[*].type", "content[*].name", "content[*].id", "content[*].data"]
EVENT_TYPES = {
    "type": {"string"}, "index": {"number"}, "usage": {"object", "null"},
    "message": {"object"}, "message.usage": {"object", "null"}, "message.id": OPTIONAL,
    "message.model": OPTIONAL, "content_block": {"object"}, "content_block.type": {"string"},
    "content_block.text": OPTIONAL, "content_block.thinking": OPTIONAL,
    "content_block.signature": OPTIONAL, "content_block.name": {"string"},
    "content_block.id": {"string"}, "content_block.data": {"string"}, "delta": {"object"},
    "delta.type": {"string"}, "delta.text": OPTIONAL, "delta.partial_json": OPTIONAL,
    "delta.thinking": OPTIONAL, "delta.signature": OPTIONAL, "delta.stop_reason": OPTIONAL,
}
EVENT_REQUIRED = ["index", "message", "content_block", "content_block.type", "content_block.name",
                  "content_block.id", "content_block.data", "delta.type"]


def events_of(name: str) -> list[tuple[str, Any]]:
    """``(event type, data)`` of each event of a recorded SSE body."""
    body = str(Recording.load(FIXTURES / f"{name}.json").response["body_text"])
    out = []
    for block in body.split("\n\n"):
        lines = block.strip().splitlines()
        kind = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), "message")
        data = next((ln[5:].strip() for ln in lines if ln.startswith("data:")), None)
        if data is not None:
            out.append((kind, json.loads(data)))
    return out


def sse(events: list[tuple[str, Any]]) -> Reply:
    frames = [f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode() for kind, data in events]
    return Reply(headers={"content-type": "text/event-stream"}, events=frames)


def stream_cases(name: str) -> Iterator[tuple[Corruption, Reply]]:
    """Each corruption of the first event of each shape in a recorded stream, the rest as it was."""
    events = events_of(name)
    shapes = set()
    for i, (kind, data) in enumerate(events):
        if (kind, shape(data)) in shapes:
            continue  # the same kind of event again: nothing new to break
        shapes.add((kind, shape(data)))
        for case in corruptions(data):
            yield case, sse([*events[:i], (kind, case.data), *events[i + 1:]])


def whole_cases(name: str) -> Iterator[tuple[Corruption, Reply]]:
    for case in corruptions(Recording.load(FIXTURES / f"{name}.json").response["body"]):
        yield case, Reply.json(case.data)


def misread(cases: list[tuple[Corruption, Reply]], call: Callable[[modelplex.Client], object], *,
            types: dict[str, set[str]], required: list[str]) -> list[str]:
    """Serve every case in turn through the client; what was wrong with each answer."""
    wrong = []
    with ScriptedServer([reply for _, reply in cases]) as server, modelplex.Client(
            providers={"anthropic": {"base_url": f"http://127.0.0.1:{server.port}", "api_key": KEY}},
            config_file=False, env={}) as client:
        for case, _ in cases:
            outcome: BaseException | None = None
            try:
                call(client)
            except Exception as exc:  # judged by verdict: only a ResponseParseError may come out
                outcome = exc
            found = verdict(case, outcome, types=types, required=required)
            if found is not None:
                wrong.append(found)
    return wrong


def chat(client: modelplex.Client) -> object:
    return client.chat(MODEL, "hi")


def stream(client: modelplex.Client) -> object:
    with client.stream(MODEL, "hi") as s:
        return list(s)


@pytest.mark.parametrize("name", ["02_parallel_tool_use", "04_thinking_then_tool_use"])
def test_a_whole_reply_broken_anywhere(name: str) -> None:
    cases = list(whole_cases(name))
    assert misread(cases, chat, types=WHOLE_TYPES, required=WHOLE_REQUIRED) == []


@pytest.mark.parametrize("name", ["05_stream_tool_use_input_json_delta", "08_stream_thinking"])
def test_a_stream_event_broken_anywhere(name: str) -> None:
    cases = list(stream_cases(name))
    assert misread(cases, stream, types=EVENT_TYPES, required=EVENT_REQUIRED) == []


def test_what_the_example_of_the_issue_looks_like_here() -> None:
    body = Recording.load(FIXTURES / "02_parallel_tool_use.json").response["body"]
    body["content"][1] = "a tool call"
    with ScriptedServer([Reply.json(body)]) as server, modelplex.Client(
            providers={"anthropic": {"base_url": f"http://127.0.0.1:{server.port}", "api_key": KEY}},
            config_file=False, env={}) as client, pytest.raises(ResponseParseError) as info:
        chat(client)
    assert str(info.value) == "anthropic/claude-sonnet-4-5: content[1]: expected object, got str"
    assert info.value.field == "content[1]"
