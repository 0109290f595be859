"""Wrong types in a Responses API reply (issue 12, "Wrong types in a reply pass through"): the call
itself fails with a :class:`ResponseParseError` naming the field's JSON path, rather than returning a
response that breaks later (``response.text`` raising ``TypeError``, a model that is a list).

Each case is a real recorded reply (``fixtures/openai_responses``) with one field's type changed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import ResponseParseError
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import Event, sse_events, sse_reply

FIXTURES = Path(__file__).parent / "fixtures" / "openai_responses"


def _response(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["response"]
    return data


def _client(server: ScriptedServer) -> modelplex.Client:
    return modelplex.Client(providers={"openai": {"api_key": "sk-test", "api": "responses",
                                                  "base_url": f"http://127.0.0.1:{server.port}/v1"}},
                            config_file=False, env={})


def _chat(reply: Reply) -> ResponseParseError:
    with ScriptedServer([reply]) as server, _client(server) as client, pytest.raises(
            ResponseParseError) as caught:
        client.chat("openai/gpt-4o", "hi")
    return caught.value


def _stream(events: list[Event]) -> ResponseParseError:
    with ScriptedServer([sse_reply(events)]) as server, _client(server) as client, pytest.raises(
            ResponseParseError) as caught, client.stream("openai/gpt-4o", "hi") as stream:
        for _ in stream:
            pass
    return caught.value


@pytest.mark.parametrize(("path", "value", "named"), [
    (("output", 0, "content", 0, "text"), 7, "output[0].content[0].text: expected string, got int"),
    (("output", 0, "content", 0, "text"), ["Paris"], "output[0].content[0].text: expected string"),
    (("model",), ["gpt-4o"], "model: expected string, got list"),
    (("id",), 12, "id: expected string, got int"),
    (("output", 0, "content"), "Paris", "output[0].content: expected array"),
])
def test_whole_reply_wrong_type_fails_the_call_naming_the_path(path: tuple[str | int, ...],
                                                              value: Any, named: str) -> None:
    body = _response("01_text.json")["body"]
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    assert named in str(_chat(Reply.json(body)))


@pytest.mark.parametrize(("field", "value", "named"), [
    ("model", ["gpt-4o"], "response.model: expected string, got list"),
    ("id", 7, "response.id: expected string, got int"),
])
def test_streamed_created_wrong_type_fails_the_stream_naming_the_path(field: str, value: Any,
                                                                      named: str) -> None:
    events = sse_events(_response("06_stream_text.json")["body_text"])
    broken = copy.deepcopy(events)
    broken[0][1]["response"][field] = value
    assert named in str(_stream(broken))


def test_streamed_text_delta_wrong_type_fails_the_stream_naming_the_path() -> None:
    events = copy.deepcopy(sse_events(_response("06_stream_text.json")["body_text"]))
    delta = next(data for kind, data in events if kind == "response.output_text.delta")
    delta["delta"] = 7
    assert "delta: expected string, got int" in str(_stream(events))
