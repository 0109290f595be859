"""corrupt.py: every one-field break of a JSON value, each leaving the rest of the value as it was."""

from __future__ import annotations

import copy

from modelplex_testing.corrupt import corruptions, path_text

BODY = {"id": "x", "choices": [{"delta": {"content": "Hi"}, "n": 1, "ok": True, "stop": None}]}


def test_path_text_names_paths_as_parsers_do() -> None:
    assert path_text(("choices", 0, "message")) == "choices[0].message"
    assert path_text((0, "a")) == "[0].a"
    assert path_text(()) == "$"


def test_each_value_gets_each_wrong_type_and_each_key_goes_missing() -> None:
    original = copy.deepcopy(BODY)
    cases = list(corruptions(BODY))
    by_path: dict[str, list[str]] = {}
    for case in cases:
        by_path.setdefault(case.where, []).append(case.how)
    assert by_path == {
        "id": ["int", "dict", "missing"],
        "choices": ["str", "dict", "missing"],
        "choices[0]": ["str", "list"],  # an array item is never "missing": that would shift the rest
        "choices[0].delta": ["str", "list", "missing"],
        "choices[0].delta.content": ["int", "dict", "missing"],
        "choices[0].n": ["str", "dict", "missing"],
        "choices[0].ok": ["str", "dict", "missing"],
        "choices[0].stop": ["str", "dict", "list", "missing"],  # null: every type is wrong there
    }
    assert original == BODY  # the copies are deep: the value handed in is never changed


def test_a_corruption_changes_only_its_path() -> None:
    for case in corruptions(BODY):
        if case.where == "choices[0].delta.content" and case.how == "int":
            assert case.data == {"id": "x", "choices": [{"delta": {"content": 5}, "n": 1, "ok": True,
                                                         "stop": None}]}
        if case.where == "choices[0].n" and case.how == "missing":
            assert case.data["choices"][0] == {"delta": {"content": "Hi"}, "ok": True, "stop": None}
        if case.where == "choices[0].ok" and case.how == "str":
            assert case.data["choices"][0]["ok"] == "true"  # a bool's wrong value is not the int 1


def test_without_missing_no_key_is_removed() -> None:
    hows = {case.how for case in corruptions(BODY, missing=False)}
    assert "missing" not in hows
    assert hows == {"int", "str", "dict", "list"}


def test_a_scalar_has_no_parts_to_break() -> None:
    assert list(corruptions("text")) == []
    assert list(corruptions([])) == []
