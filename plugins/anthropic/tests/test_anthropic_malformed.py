"""Recorded replies broken one field at a time, on the wire: whatever breaks, the error is a
ResponseParseError naming the JSON path, never the core's catch-all for a plugin that crashed; where
the format fixes a field's type, another type is refused naming exactly that field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ResponseParseError
from modelplex_testing import Recording, Reply
from modelplex_testing.malformed import judge, replay, reply_cases, sse_events, stream_cases

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
WIRE: dict[str, Any] = {"provider": "anthropic", "settings": {"api_key": KEY}}  # for replay


def recorded(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def chat(client: modelplex.Client) -> object:
    return client.chat(MODEL, "hi")


def stream(client: modelplex.Client) -> object:
    with client.stream(MODEL, "hi") as s:
        return list(s)


@pytest.mark.parametrize("name", ["02_parallel_tool_use", "04_thinking_then_tool_use"])
def test_a_whole_reply_broken_anywhere(name: str) -> None:
    outcomes = replay(reply_cases(recorded(name).response["body"]), chat, **WIRE)
    assert judge(outcomes, types=WHOLE_TYPES, required=WHOLE_REQUIRED) == []


@pytest.mark.parametrize("name", ["05_stream_tool_use_input_json_delta", "08_stream_thinking"])
def test_a_stream_event_broken_anywhere(name: str) -> None:
    events = sse_events(str(recorded(name).response["body_text"]))
    outcomes = replay(stream_cases(events), stream, **WIRE)
    assert judge(outcomes, types=EVENT_TYPES, required=EVENT_REQUIRED) == []


def test_what_the_example_of_the_issue_looks_like_here() -> None:
    body = recorded("02_parallel_tool_use").response["body"]
    body["content"][1] = "a tool call"
    [(_, error)] = replay([("broken", Reply.json(body))], chat, **WIRE)
    assert isinstance(error, ResponseParseError)
    assert str(error) == "anthropic/claude-sonnet-4-5: content[1]: expected object, got str"
    assert error.field == "content[1]"
