"""The toolkit's JSON reading: values by path, and errors that name the JSON path of what was wrong."""

from __future__ import annotations

import sys
from types import MappingProxyType
from typing import Any

import pytest

from modelplex.errors import ResponseParseError
from modelplex.toolkit import Reader, is_object, loads, path_text, read_json

READ = Reader(provider="acme", model="m-1")
REPLY: dict[str, Any] = {"choices": [{"message": {"content": "hi", "tool_calls": [
    {"id": "a", "function": {"name": "f", "arguments": "{}"}},
    {"id": "b", "function": "oops"}]}, "index": 0, "logprobs": None}],
    "usage": {"prompt_tokens": 3, "ratio": 0.5, "cached": True}}


def failure(call: Any) -> ResponseParseError:
    with pytest.raises(ResponseParseError) as info:
        call()
    return info.value


def test_values_by_path() -> None:
    assert READ.obj(REPLY, "choices", 0, "message")["content"] == "hi"
    assert READ.string(REPLY, "choices", 0, "message", "tool_calls", 0, "function", "name") == "f"
    assert READ.array(REPLY, "choices") is REPLY["choices"]
    assert READ.integer(REPLY, "usage", "prompt_tokens") == 3
    assert READ.number(REPLY, "usage", "ratio") == 0.5 and READ.number(REPLY, "usage", "prompt_tokens") == 3
    assert READ.boolean(REPLY, "usage", "cached") is True
    assert READ.obj(MappingProxyType({"a": {}}), "a") == {}  # any Mapping is an object


def test_the_example_of_the_issue() -> None:
    call = REPLY["choices"][0]["message"]["tool_calls"][1]
    err = failure(lambda: READ.obj(call, "function", at=("choices", 0, "message", "tool_calls", 1)))
    assert str(err) == "acme/m-1: choices[0].message.tool_calls[1].function: expected object, got str"
    assert err.field == "choices[0].message.tool_calls[1].function"
    assert (err.provider, err.model) == ("acme", "m-1")
    assert str(failure(lambda: READ.obj(REPLY, "choices", 0, "message", "tool_calls", 1, "function"))
               ) == str(err)


@pytest.mark.parametrize(("read", "path", "message"), [
    (READ.string, ("choices", 0, "message", "role"), "choices[0].message.role: missing (expected string)"),
    (READ.obj, ("choices", 3), "choices[3]: missing (expected object; the array has 1)"),
    (READ.obj, ("usage", 0), "usage: expected array, got dict"),
    (READ.string, ("usage", "prompt_tokens", "x"), "usage.prompt_tokens: expected object, got int"),
    (READ.obj, ("choices", 0, "logprobs"), "choices[0].logprobs: expected object, got null"),
    (READ.integer, ("usage", "cached"), "usage.cached: expected integer, got bool"),
    (READ.number, ("usage", "cached"), "usage.cached: expected number, got bool"),
    (READ.array, (), "$: expected array, got dict"),
    (READ.string, ("choices", 0, "logprobs", "x"), "choices[0].logprobs: expected object, got null"),
])
def test_each_failure_names_the_first_wrong_step(read: Any, path: tuple[Any, ...], message: str) -> None:
    err = failure(lambda: read(REPLY, *path))
    assert str(err) == f"acme/m-1: {message}"


def test_optional_values_are_none_where_the_path_ends_early_but_a_wrong_type_still_fails() -> None:
    assert READ.optional_string(REPLY, "choices", 0, "message", "refusal") is None
    assert READ.optional_obj(REPLY, "choices", 0, "logprobs") is None
    assert READ.optional_integer(REPLY, "choices", 0, "logprobs", "count") is None
    assert READ.optional_array(REPLY, "choices", 5, "message") is None
    assert READ.optional_number(REPLY, "usage", "ratio") == 0.5
    assert READ.optional_boolean(REPLY, "usage", "cached") is True
    assert READ.optional_obj(REPLY, "usage") is REPLY["usage"]
    err = failure(lambda: READ.optional_string(REPLY, "usage", "prompt_tokens"))
    assert str(err) == "acme/m-1: usage.prompt_tokens: expected string, got int"
    err = failure(lambda: READ.optional_obj(REPLY, "choices", "first"))
    assert str(err) == "acme/m-1: choices: expected object, got list"


def test_json_bodies() -> None:
    assert read_json(b'{"a": [1]}', provider="acme") == {"a": [1]}
    assert READ.json(' {"a": 1} ') == {"a": 1}
    assert loads('{"a":1}') == {"a": 1} and loads(b"[1]") == [1]
    err = failure(lambda: READ.json(b"<html>bad gateway</html>", "a stream event"))
    assert "a stream event is not JSON: '<html>bad gateway</html>'" in str(err)
    assert err.__cause__ is None and err.__suppress_context__


@pytest.mark.parametrize("body", [b"[" * 100_000, "[" * 100_000, b'{"a":' * 100_000])
def test_json_nested_past_the_recursion_limit_is_a_parse_error(body: bytes | str) -> None:
    err = failure(lambda: read_json(body, provider="acme"))
    assert "the reply is not JSON: '[[[" in str(err) or "the reply is not JSON: '{\"a\":" in str(err)
    assert err.__cause__ is None and err.__suppress_context__


def test_is_object_and_path_text() -> None:
    assert is_object({}) and is_object(MappingProxyType({})) and not is_object([]) and not is_object("x")
    assert path_text(()) == "$" and path_text(("a", 0, "b", 1)) == "a[0].b[1]" and path_text((2,)) == "[2]"


def test_reading_costs_little_more_than_the_lookups_themselves() -> None:
    """The reader runs for every reply and stream event: against the plain lookups and type checks it
    replaces, it may add a layer, not a call per step. Counted, not timed (a timed ratio measured the
    tracer when coverage ran, 7x, and the machine's load otherwise): the Python functions a read enters,
    and the builtins it calls per step of the path; `nox -s bench` times the calls that use it."""
    data = {"choices": [{"delta": {"content": "hi"}}]}
    steps = ("choices", 0, "delta", "content")
    entered: list[tuple[str, str]] = []

    def count(frame: Any, event: str, arg: Any) -> None:
        if event in ("call", "c_call"):
            entered.append((event, frame.f_code.co_name if event == "call" else arg.__name__))

    sys.setprofile(count)
    try:
        text = READ.string(data, *steps)
    finally:
        sys.setprofile(None)
    assert text == "hi"
    python = [name for event, name in entered if event == "call"]
    builtins = [name for event, name in entered if event == "c_call" and name != "setprofile"]
    assert len(python) <= 2, python  # the method and the walk: no function per step
    assert len(builtins) <= 2 * len(steps), builtins  # a type check and a lookup per step at most
