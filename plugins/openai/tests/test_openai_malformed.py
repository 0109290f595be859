"""Recorded Responses API replies and stream events broken one field at a time, replayed through the
client: each is read or refused with a ResponseParseError naming the JSON path, never the catch-all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from modelplex_openai import plugin

import modelplex
from modelplex.errors import ResponseParseError
from modelplex_testing import Reply
from modelplex_testing.malformed import judge, replay, reply_cases, sse_events, sse_reply, stream_cases

RESPONSES = Path(__file__).parent / "fixtures" / "openai_responses"
KEY = "sk-malformed-test-key-0123456789abcdef"
WHOLE = ["01_text", "02_parallel_function_calls", "03_function_call_output_followup",
         "04_reasoning_then_function_call"]
STREAMS = ["05_stream_function_call", "06_stream_text", "07_stream_reasoning_text_and_function_call"]

# Where the parser insists on a JSON type (the types it takes there): another type is refused naming
# exactly that path. Elsewhere a wrong type may be ignored or refused, naming the path.
REPLY_TYPES = {
    "output": {"array"},
    "output[*]": {"object"},
    "output[*].type": {"string"},
    "output[*].content": {"array", "null"},
    "output[*].content[*]": {"object"},
    "output[*].content[*].type": {"string"},
    "output[*].content[*].text": {"string", "null"},
    "output[*].name": {"string"},
    "output[*].call_id": {"string", "null"},
    "output[*].arguments": {"string", "object", "null"},
    "output[*].summary": {"array", "null"},
    "output[*].summary[*]": {"object"},
    "output[*].summary[*].text": {"string", "null"},
    "output[*].encrypted_content": {"string", "null"},
    "status": {"string", "null"},
    "incomplete_details": {"object", "null"},
    "model": {"string", "null"},
    "id": {"string", "null"},
}
REPLY_REQUIRED = ("output", "output[*].type", "output[*].name")
EVENT_TYPES = {
    "type": {"string", "null"},
    "item": {"object"},
    "item.type": {"string"},
    "item.name": {"string", "null"},
    "item.call_id": {"string", "null"},
    "delta": {"string", "null"},
}
# Values no parser reads: breaking them proves nothing and costs a replay each.
SKIP = ("tools*", "text*", "reasoning*", "metadata*", "*usage*", "created_at", "object", "*parameters*",
        "sequence_number", "*logprobs*", "*annotations*", "response.tools*", "response.text*",
        "response.reasoning*", "response.metadata*", "response.output*", "response.instructions",
        "*temperature", "*top_p", "*truncation", "*tool_choice", "*store", "*user", "*service_tier",
        "*max_output_tokens", "*previous_response_id", "*parallel_tool_calls", "*background",
        "*prompt_cache_key", "*safety_identifier", "*top_logprobs", "*max_tool_calls")


WIRE: dict[str, Any] = {"provider": "openai", "settings": {"api_key": KEY},  # for replay
                        "plugins": {"openai": plugin.PLUGIN}}


def _chat(client: modelplex.Client) -> None:
    client.chat("openai/gpt-4o", "hi")


def _stream(client: modelplex.Client) -> None:
    with client.stream("openai/gpt-4o", "hi") as events:
        for _ in events:
            pass


def _load(name: str) -> dict[str, Any]:
    return json.loads((RESPONSES / f"{name}.json").read_text())["response"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", WHOLE)
def test_every_broken_field_of_a_reply_is_read_or_named(name: str) -> None:
    outcomes = replay(reply_cases(_load(name)["body"], skip=SKIP), _chat, **WIRE)
    assert len(outcomes) > 20
    assert judge(outcomes, types=REPLY_TYPES, required=REPLY_REQUIRED) == []


@pytest.mark.parametrize("name", STREAMS)
def test_every_broken_field_of_a_stream_event_is_read_or_named(name: str) -> None:
    events = sse_events(_load(name)["body_text"])
    [(_, recorded)] = replay([("as recorded", sse_reply(events))], _stream, **WIRE)
    assert recorded is None
    outcomes = replay(stream_cases(events, skip=SKIP, missing=False), _stream, **WIRE)
    assert len(outcomes) > 20
    assert judge(outcomes, types=EVENT_TYPES) == []


def test_a_function_call_that_is_not_an_object_is_named() -> None:
    body = _load("02_parallel_function_calls")["body"]
    body["output"][1] = "get_weather"
    [(_, error)] = replay([("broken", Reply.json(body))], _chat, **WIRE)
    assert isinstance(error, ResponseParseError)
    assert str(error) == "openai/gpt-4o: output[1]: expected object, got str"
    assert error.field == "output[1]"
