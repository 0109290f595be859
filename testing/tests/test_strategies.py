"""strategies.py: each strategy builds values of its type that pass the type's own validation, and the
helpers keep their promises (a chosen tool among the names given, splits that join back)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import modelplex
from modelplex_testing import strategies as mst
from modelplex_testing.strategies import PUBLIC_TYPES

CASES = sorted(PUBLIC_TYPES.items(), key=lambda item: item[0].__name__)
# A few values each: the core's round-trip tests draw many; here each strategy's code runs and its
# values are checked against the type, which is what a plugin author relies on.
FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("cls", "strategy"), CASES, ids=[cls.__name__ for cls, _ in CASES])
@FEW
@given(data=st.data())
def test_each_public_type_s_values_are_valid(cls: type[Any], strategy: st.SearchStrategy[Any],
                                             data: st.DataObject) -> None:
    value = data.draw(strategy)
    assert type(value) is cls
    if attrs.has(cls):
        attrs.validate(value)
    else:  # a dataclass (discovery's records): built again, its __post_init__ checks run
        assert dataclasses.replace(value) == value
    json.dumps(modelplex.unstructure(value), allow_nan=False)  # finite, JSON-ready


@FEW
@given(value=mst.json_values())
def test_json_values_are_json(value: Any) -> None:
    assert json.loads(json.dumps(value, allow_nan=False)) == value


@FEW
@given(schema=mst.json_schemas())
def test_json_schemas_describe_objects(schema: dict[str, Any]) -> None:
    assert schema["type"] == "object" and isinstance(schema.get("properties", {}), dict)


@FEW
@given(choice=mst.tool_choices(["look", "search"]))
def test_a_chosen_tool_is_one_of_the_names(choice: modelplex.ToolChoice) -> None:
    assert choice.mode != "tool" or choice.name in ("look", "search")


@FEW
@given(choice=mst.tool_choices([]))
def test_with_no_names_no_tool_is_chosen(choice: modelplex.ToolChoice) -> None:
    assert choice.mode in ("auto", "none", "required")


@FEW
@given(data=st.data(), payload=st.binary(max_size=40))
def test_stream_splits_join_back(data: st.DataObject, payload: bytes) -> None:
    chunks = data.draw(mst.stream_splits(payload))
    assert b"".join(chunks) == payload
    assert all(chunks)


@FEW
@given(event=mst.stream_events())
def test_stream_events_are_events(event: modelplex.StreamEvent) -> None:
    attrs.validate(event)


@FEW
@given(part=mst.parts(), message=mst.messages())
def test_parts_and_messages(part: modelplex.Part, message: modelplex.Message) -> None:
    assert isinstance(part, modelplex.TextPart | modelplex.ImagePart | modelplex.ToolCallPart
                      | modelplex.ToolResultPart | modelplex.ReasoningPart)
    assert message.parts
