"""Function-call arguments streamed in pieces (issue 12, "Nothing misparsed in silence"): Vertex AI's
``streamFunctionCallArguments`` sends a call as its name with ``willContinue: true``, then
``partialArgs`` pieces (a JSON path and a value each; a string may come in several pieces), and ends
it with a ``functionCall`` without ``willContinue``. Before, each piece became a call of its own
(two calls read as eight, six nameless); now the pieces make the one call, or the reply is refused.

No public recording of such a stream was found. The chunks here are the recorded Gemini stream
``fixtures/06_stream_function_call.json`` (crmne/ruby_llm, MIT) re-cut into that documented format:
the ``FunctionCall.partialArgs`` / ``willContinue`` and ``PartialArg`` (``jsonPath``, ``stringValue``,
``numberValue``, ``boolValue``, ``nullValue``, ``willContinue``) fields of Google's Vertex AI API
reference (google.cloud.aiplatform.v1 FunctionCall and PartialArg; googleapis/js-genai
``types.FunctionCall``), with the ending ``{"functionCall": {}}`` chunk as other clients' tests of
this mode show it. The recorded call's arguments are what the pieces must give back.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import ToolCallPart
from modelplex.errors import ResponseParseError
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import sse_events, sse_reply

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "06_stream_function_call.json")
                      .read_text(encoding="utf-8"))
KEY = "gemini-test-key-0123456789abcdef"


def _recorded_chunk() -> dict[str, Any]:
    ((_, chunk),) = sse_events(RECORDED["response"]["body_text"])
    assert isinstance(chunk, dict)
    return chunk


def _pieces(chunk: dict[str, Any], parts: list[dict[str, Any]], *, last: bool) -> dict[str, Any]:
    """``chunk`` (the recorded one) with ``parts`` as its parts; the finish and usage on the last."""
    out = copy.deepcopy(chunk)
    candidate = out["candidates"][0]
    candidate["content"]["parts"] = parts
    if not last:
        for key in ("finishReason", "finishMessage"):
            candidate.pop(key)
        out.pop("usageMetadata")
    return out


def _streamed_call(name: str, args: dict[str, Any], signature: str | None) -> list[list[dict[str, Any]]]:
    """The parts of each chunk that streams the call ``name(**args)``: name, one piece a value,
    the strings cut in two, then the end."""
    first: dict[str, Any] = {"functionCall": {"name": name, "willContinue": True}}
    if signature is not None:
        first["thoughtSignature"] = signature
    chunks = [[first]]
    for key, value in args.items():
        if isinstance(value, str):
            half = len(value) // 2
            chunks.append([{"functionCall": {"partialArgs": [
                {"jsonPath": f"$.{key}", "stringValue": value[:half], "willContinue": True}],
                "willContinue": True}}])
            chunks.append([{"functionCall": {"partialArgs": [
                {"jsonPath": f"$.{key}", "stringValue": value[half:]}], "willContinue": True}}])
        else:
            chunks.append([{"functionCall": {"partialArgs": [{"jsonPath": f"$.{key}", "numberValue": value}],
                                             "willContinue": True}}])
    chunks.append([{"functionCall": {}}])
    return chunks


def _reply(parts_per_chunk: list[list[dict[str, Any]]]) -> Reply:
    chunk = _recorded_chunk()
    events = [(None, _pieces(chunk, parts, last=i == len(parts_per_chunk) - 1))
              for i, parts in enumerate(parts_per_chunk)]
    return sse_reply(events)


def _stream(reply: Reply) -> modelplex.ChatResponse:
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={"gemini": {"api_key": KEY, "base_url": f"http://127.0.0.1:{server.port}"}},
            config_file=False, env={}) as client, client.stream(
                "gemini/gemini-2.5-flash", "weather in Berlin?") as events:
        for _ in events:
            pass
        return events.response


def test_pieces_make_the_recorded_call() -> None:
    recorded_part = _recorded_chunk()["candidates"][0]["content"]["parts"][0]
    fc = recorded_part["functionCall"]
    response = _stream(_reply(_streamed_call(fc["name"], fc["args"], recorded_part["thoughtSignature"])))
    assert response.tool_calls == (ToolCallPart(
        id=response.tool_calls[0].id, name="weather", arguments=fc["args"],
        signature=recorded_part["thoughtSignature"], origin=response.tool_calls[0].origin),)
    assert response.tool_calls[0].origin is not None


def test_two_streamed_calls_are_two_calls() -> None:
    # The case: two calls streamed in pieces read as eight, six of them nameless.
    chunks = (_streamed_call("weather", {"latitude": "52.5200", "longitude": "13.4050"}, None)
              + _streamed_call("distance", {"km": 12.5, "city": "Berlin"}, None))
    response = _stream(_reply(chunks))
    assert [(c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("weather", {"latitude": "52.5200", "longitude": "13.4050"}),
        ("distance", {"km": 12.5, "city": "Berlin"})]
    assert len({c.id for c in response.tool_calls}) == 2


def test_nested_paths_and_every_value_kind() -> None:
    pieces = [{"jsonPath": "$.where.city", "stringValue": "Ber", "willContinue": True},
              {"jsonPath": "$.where.city", "stringValue": "lin"},
              {"jsonPath": "$.days[1]", "numberValue": 2},
              {"jsonPath": "$['days'][0]", "numberValue": 1},
              {"jsonPath": "$.metric", "boolValue": True},
              {"jsonPath": "$.note", "nullValue": None}]
    chunks = [[{"functionCall": {"name": "forecast", "willContinue": True}}],
              [{"functionCall": {"partialArgs": pieces[:3], "willContinue": True}}],
              [{"functionCall": {"partialArgs": pieces[3:]}}]]
    (call,) = _stream(_reply(chunks)).tool_calls
    assert dict(call.arguments) == {"where": {"city": "Berlin"}, "days": [1, 2], "metric": True,
                                    "note": None}


def test_a_call_left_open_is_refused() -> None:
    chunks = _streamed_call("weather", {"latitude": "52.5200"}, None)[:-1]
    with pytest.raises(ResponseParseError, match="willContinue"):
        _stream(_reply(chunks))


@pytest.mark.parametrize("path", ["$..city", "$.days[*]", "city", "$.a[-1]"])
def test_a_path_it_cannot_place_is_refused_naming_it(path: str) -> None:
    chunks = [[{"functionCall": {"name": "weather", "willContinue": True}}],
              [{"functionCall": {"partialArgs": [{"jsonPath": path, "stringValue": "x"}]}}]]
    with pytest.raises(ResponseParseError, match=r"partialArgs\[0\]\.jsonPath"):
        _stream(_reply(chunks))


def test_an_index_far_past_the_end_of_its_array_is_refused() -> None:
    # A few bytes must not make a list of millions of slots (before: 80 MB of None, no error); a small
    # gap (pieces out of order) is kept.
    chunks = [[{"functionCall": {"name": "weather", "willContinue": True}}],
              [{"functionCall": {"partialArgs": [{"jsonPath": "$.days[9999999]",
                                                  "numberValue": 1}]}}]]
    with pytest.raises(ResponseParseError, match=r"partialArgs\[0\]\.jsonPath.*far past the end"):
        _stream(_reply(chunks))


def test_a_different_name_mid_call_is_refused() -> None:
    chunks = [[{"functionCall": {"name": "weather", "willContinue": True}}],
              [{"functionCall": {"name": "distance", "args": {}}}]]
    with pytest.raises(ResponseParseError, match="had not ended"):
        _stream(_reply(chunks))
