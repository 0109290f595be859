"""malformed.py: the judge of a parser's answers to broken replies, run against the kit's example plugin
on the loopback wire (a deliberately careless parser: it indexes JSON without checking types, so the
core's catch-all is what it raises, and the judge must say so)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import example_plugin
import pytest

import modelplex
from modelplex.errors import ResponseParseError
from modelplex_testing.compat_server import Reply
from modelplex_testing.corrupt import Corruption
from modelplex_testing.malformed import (
    json_type,
    judge,
    matches,
    must_refuse,
    replay,
    reply_cases,
    shape,
    skipping,
    sse_events,
    sse_reply,
    stream_cases,
    verdict,
)

FIXTURES = Path(__file__).parent / "fixtures"
WIRE: dict[str, Any] = {"provider": "acme", "settings": {"api_key": "sk-malformed-test-0000"},
                        "plugins": {"acme": example_plugin}}


def _response(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())["response"]  # type: ignore[no-any-return]


def _chat(client: modelplex.Client) -> None:
    client.chat("acme/gpt-4o", "hi")


def _stream(client: modelplex.Client) -> None:
    with client.stream("acme/gpt-4o", "hi") as events:
        for _ in events:
            pass


def _case(path: tuple[str | int, ...], how: str) -> Corruption:
    return Corruption(path=path, how=how, data=None)


def _parse_error(message: str, field: str | None) -> ResponseParseError:
    return ResponseParseError(message, provider="acme", field=field)


def test_json_type_names_each_json_type() -> None:
    values: list[Any] = [None, True, 3, 2.5, "s", {}, []]
    assert [json_type(v) for v in values] == [
        "null", "boolean", "number", "number", "string", "object", "array"]


def test_matches_takes_a_star_for_one_index_only() -> None:
    assert matches("choices[0].delta", "choices[*].delta")
    assert matches("choices[12].delta", "choices[*].delta")
    assert not matches("choices[0].x.delta", "choices[*].delta")
    assert not matches("choices.delta", "choices[*].delta")


def test_skipping_leaves_out_paths_matching_a_pattern() -> None:
    cases = [_case(("id",), "int"), _case(("choices", 0, "logprobs"), "str"), _case(("usage",), "str")]
    kept = list(skipping(cases, ["*logprobs*", "usage"]))
    assert [c.where for c in kept] == ["id"]


def test_shape_leaves_indices_out() -> None:
    one = {"choices": [{"delta": {"content": "a"}}]}
    two = {"choices": [{"delta": {"content": "b"}}, {"delta": {"content": "c"}}]}
    assert shape(one) == shape(two) == frozenset({".choices", ".choices[].delta",
                                                  ".choices[].delta.content"})
    assert shape({"choices": [{"delta": {"tool_calls": []}}]}) != shape(one)


def test_must_refuse_a_fixed_type_or_a_required_key() -> None:
    types = {"choices": {"array"}, "choices[*].delta": {"object", "null"}}
    assert must_refuse(_case(("choices",), "str"), types)
    assert not must_refuse(_case(("choices", 0, "delta"), "dict"), types)  # an object is taken there
    assert must_refuse(_case(("choices", 0, "delta"), "list"), types)
    assert not must_refuse(_case(("id",), "int"), types)
    assert must_refuse(_case(("choices",), "missing"), types, required=["choices"])
    assert not must_refuse(_case(("id",), "missing"), types, required=["choices"])


def test_verdict_on_each_kind_of_answer() -> None:
    types = {"choices": {"array"}}
    loose, strict = _case(("id",), "int"), _case(("choices",), "str")
    deep = _case(("choices", 0, "delta"), "str")
    assert verdict(loose, None, types=types) is None  # a reply where the type is not fixed is fine
    assert verdict(strict, None, types=types) == "choices (str): read as if nothing were wrong"
    assert verdict(loose, KeyError("id")) == "id (int): KeyError: 'id'"
    catch_all = _parse_error("plugin 'acme' failed on the provider's response: KeyError", None)
    assert "the catch-all" in str(verdict(loose, catch_all))
    assert "does not name the field" in str(verdict(loose, _parse_error("bad reply", None)))
    assert "does not name the field" in str(verdict(loose, _parse_error("bad reply", "id")))
    assert "blames 'usage'" in str(verdict(loose, _parse_error("usage: expected object", "usage")))
    # A parser may name a field above the broken one, except where the format fixes the type.
    assert verdict(deep, _parse_error("choices: expected array of objects", "choices")) is None
    assert verdict(deep, _parse_error("choices[0].delta: expected object", "choices[0].delta")) is None
    assert "blames 'choices'" in str(verdict(_case(("choices", 0), "str"),
                                             _parse_error("choices: bad", "choices"),
                                             types={"choices[*]": {"object"}}))


def test_reply_cases_serve_each_corruption_as_json() -> None:
    body = {"id": "x", "n": 1}
    cases = reply_cases(body, skip=["n"])
    assert [(c.where, c.how) for c, _ in cases] == [("id", "int"), ("id", "dict"), ("id", "missing")]
    assert [json.loads(r.body) for _, r in cases] == [{"id": 5, "n": 1}, {"id": {}, "n": 1}, {"n": 1}]
    assert [c.how for c, _ in reply_cases(body, missing=False)] == ["int", "dict", "str", "dict"]


def test_a_careless_parser_is_caught_on_the_wire() -> None:
    body = _response("01_chat_text.json")["body"]
    cases = [(c, r) for c, r in reply_cases(body) if c.where in ("choices", "id")]
    outcomes = replay(cases, _chat, **WIRE)
    assert len(outcomes) == 6
    answers = {(c.where, c.how): outcome for c, outcome in outcomes}
    assert answers[("id", "int")] is None and answers[("id", "missing")] is None  # never read
    assert isinstance(answers[("choices", "missing")], ResponseParseError)
    wrong = judge(outcomes, types={"id": {"string"}}, required=["choices"])
    assert "id (int): read as if nothing were wrong" in wrong
    assert any(w.startswith("choices (missing): the catch-all") for w in wrong)
    # What a test excuses (a cut stream, where that is the right answer) is left out.
    assert judge(outcomes, types={"id": {"string"}}, excused=lambda case, _: case.where == "choices") == [
        "id (int): read as if nothing were wrong", "id (dict): read as if nothing were wrong"]


def test_replay_refuses_a_script_the_cases_did_not_use_up() -> None:
    body = _response("01_chat_text.json")["body"]
    with pytest.raises(AssertionError, match=r"^2 cases took 0 requests$"):
        replay([("a", Reply.json(body)), ("b", Reply.json(body))], lambda client: None, **WIRE)


def test_sse_events_read_a_recorded_stream() -> None:
    events = sse_events(_response("06_chat_stream_text_with_usage.json")["body_text"])
    assert events[-1] == (None, "[DONE]")
    assert all(kind is None and isinstance(data, dict) for kind, data in events[:-1])
    assert "".join(d["choices"][0]["delta"].get("content") or "" for _, d in events[:-1]
                   if d["choices"])
    named = sse_events("event: message_start\ndata: {\"a\": 1}\n\n: comment\ndata: {\"b\": 2}\n")
    assert named == [("message_start", {"a": 1}), (None, {"b": 2})]


def test_sse_reply_sends_the_events_it_was_given() -> None:
    events = [("message_start", {"a": 1}), (None, {"b": 2}), (None, "[DONE]")]
    reply = sse_reply(events)
    assert reply.headers == {"content-type": "text/event-stream"}
    assert b"".join(reply.events) == (b'event: message_start\ndata: {"a": 1}\n\n'
                                      b'data: {"b": 2}\n\ndata: [DONE]\n\n')
    assert sse_events(b"".join(reply.events).decode()) == events


def test_stream_cases_break_the_first_event_of_each_shape_only() -> None:
    events = [(None, {"choices": [{"delta": {"content": "a"}}]}),
              (None, {"choices": [{"delta": {"content": "b"}}]}),  # the same shape: not broken again
              (None, {"usage": {"prompt_tokens": 1}}), (None, "[DONE]")]
    cases = stream_cases(events, missing=False)
    broken = {c.where for c, _ in cases}
    assert broken == {"choices", "choices[0]", "choices[0].delta", "choices[0].delta.content", "usage",
                      "usage.prompt_tokens"}
    assert len(cases) == 2 * len(broken)
    case, reply = cases[0]
    sent = sse_events(b"".join(reply.events).decode())
    assert sent[0] == (None, case.data) and sent[1:] == events[1:]


def test_a_broken_stream_event_is_judged_on_the_wire() -> None:
    events = sse_events(_response("06_chat_stream_text_with_usage.json")["body_text"])
    [(_, recorded)] = replay([("as recorded", sse_reply(events))], _stream, **WIRE)
    assert recorded is None
    cases = [(c, r) for c, r in stream_cases(events, missing=False) if c.where == "choices"]
    outcomes = replay(cases, _stream, **WIRE)
    assert len(outcomes) == 8  # four shapes of event (first, text, finish, usage), two wrong types each
    # A string where the choices are crashes the careless parser; an empty object iterates as nothing.
    assert all(isinstance(o, ResponseParseError) for c, o in outcomes if c.how == "str")
    assert all(o is None for c, o in outcomes if c.how == "dict")
    wrong = judge(outcomes, types={"choices": {"array"}})
    assert len(wrong) == 8
    assert sum("the catch-all" in w for w in wrong) == 4
    assert sum("read as if nothing were wrong" in w for w in wrong) == 4
