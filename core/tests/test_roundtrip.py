"""Every public type survives ``unstructure`` -> JSON -> ``structure`` unchanged."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import attrs
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import modelplex
from modelplex import Part, StreamEvent, structure, unstructure
from modelplex_testing import strategies as mst
from modelplex_testing.strategies import PUBLIC_TYPES

CASES = sorted(PUBLIC_TYPES.items(), key=lambda item: item[0].__name__)
IDS = [cls.__name__ for cls, _ in CASES]


def _public_attrs_classes() -> set[type[Any]]:
    # attrs classes, and the dataclasses that discovery builds without loading attrs (ProviderInfo...)
    objs = (getattr(modelplex, name) for name in modelplex.__all__)
    return {obj for obj in objs
            if isinstance(obj, type) and (attrs.has(obj) or dataclasses.is_dataclass(obj))}


def test_public_types_cover_every_public_attrs_class() -> None:
    # A new public type without a strategy fails here: add it to modelplex_testing.strategies.
    # The lifecycle hooks' arguments are handed to plugins, never serialized: an outcome holds the live
    # error and response.
    expected = _public_attrs_classes() - {modelplex.Secret, modelplex.CallInfo, modelplex.CallOutcome,
                                          modelplex.AttemptInfo}
    assert set(PUBLIC_TYPES) == expected


@pytest.mark.parametrize(("cls", "strategy"), CASES, ids=IDS)
@given(data=st.data())
def test_roundtrip(cls: type[Any], strategy: st.SearchStrategy[Any], data: st.DataObject) -> None:
    value = data.draw(strategy)
    assert type(value) is cls
    assert structure(unstructure(value), cls) == value


@pytest.mark.parametrize(("cls", "strategy"), CASES, ids=IDS)
@given(data=st.data())
def test_unstructured_is_json(cls: type[Any], strategy: st.SearchStrategy[Any],
                              data: st.DataObject) -> None:
    value = data.draw(strategy)
    text = json.dumps(unstructure(value), allow_nan=False)
    assert structure(json.loads(text), cls) == value


@given(mst.chat_requests())
def test_chat_request_is_json_ready(request: modelplex.ChatRequest) -> None:
    data = unstructure(request)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert structure(json.loads(json.dumps(data)), modelplex.ChatRequest) == request


@given(mst.chat_responses())
def test_chat_response_is_json_ready(response: modelplex.ChatResponse) -> None:
    data = unstructure(response)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    back = structure(json.loads(json.dumps(data)), modelplex.ChatResponse)
    assert back == response
    assert back.raw == response.raw  # not part of ==, but still carried


@given(mst.embed_requests())
def test_embed_request_is_json_ready(request: modelplex.EmbedRequest) -> None:
    data = unstructure(request)
    assert json.loads(json.dumps(data, allow_nan=False)) == data


@given(mst.embed_responses())
def test_embed_response_is_json_ready(response: modelplex.EmbedResponse) -> None:
    data = unstructure(response)
    assert json.loads(json.dumps(data, allow_nan=False)) == data


@given(mst.parts())
def test_part_union_roundtrips(part: Part) -> None:
    data = unstructure(part)
    assert data["type"] == part.type
    back = structure(data, Part)
    assert type(back) is type(part)
    assert back == part


@given(mst.stream_events())
def test_stream_event_union_roundtrips(event: StreamEvent) -> None:
    data = unstructure(event)
    assert data["type"] == event.type
    back = structure(data, StreamEvent)
    assert type(back) is type(event)
    assert back == event


@pytest.mark.parametrize("union", [Part, StreamEvent], ids=["Part", "StreamEvent"])
@pytest.mark.parametrize("data", [{"type": "nonsense"}, {"text": "no tag"}, "text"])
def test_union_rejects_unknown_tag(union: Any, data: Any) -> None:
    with pytest.raises(ValueError, match="unknown type"):
        structure(data, union)


def test_image_bytes_travel_as_base64() -> None:
    part = modelplex.ImagePart(data=b"\x89PNG\r\n", media_type="image/png")
    data = unstructure(part)
    assert data["data"] == "iVBORw0K"
    assert structure(data, modelplex.ImagePart) == part


# The strategies themselves.


@given(st.binary(max_size=64).flatmap(lambda b: st.tuples(st.just(b), mst.stream_splits(b))))
def test_stream_splits_join_to_the_data(case: tuple[bytes, list[bytes]]) -> None:
    data, chunks = case
    assert b"".join(chunks) == data
    assert all(chunks)


@pytest.mark.parametrize("data", [b"a", b"ab", b"hello, world"])
def test_stream_splits_reach_both_extremes(data: bytes) -> None:
    quick = settings(max_examples=1000, database=None)
    assert find(mst.stream_splits(data), lambda c: len(c) == 1, settings=quick) == [data]
    bytewise = [bytes([b]) for b in data]
    assert find(mst.stream_splits(data), lambda c: c == bytewise, settings=quick) == bytewise


ROLE_PARTS: dict[str, tuple[type[Any], ...]] = {
    "system": (modelplex.TextPart,),
    "user": (modelplex.TextPart, modelplex.ImagePart),
    "assistant": (modelplex.TextPart, modelplex.ToolCallPart, modelplex.ReasoningPart),
    "tool": (modelplex.ToolResultPart,),
}


@given(mst.messages())
def test_messages_have_parts_that_suit_their_role(message: modelplex.Message) -> None:
    assert message.parts
    assert all(isinstance(p, ROLE_PARTS[message.role]) for p in message.parts)


@given(mst.tool_calls())
def test_tool_call_ids_and_arguments(call: modelplex.ToolCallPart) -> None:
    assert 1 <= len(call.id) <= 40
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in call.id)
    assert isinstance(call.arguments, dict)
    assert all(isinstance(k, str) for k in call.arguments)


@given(mst.chat_options())
def test_chat_options_tool_choice_names_a_given_tool(options: modelplex.ChatOptions) -> None:
    choice = options.tool_choice
    if choice is not None and choice.mode == "tool":
        assert choice.name in {t.name for t in options.tools}


def test_a_key_never_leaves_through_unstructure() -> None:
    key = "sk-roundtrip-never-serialised-0001"
    settings = modelplex.ProviderSettings(name="p", plugin="p", api_key=modelplex.Secret(key))
    data = modelplex.unstructure(settings)
    assert key not in json.dumps(data)
    assert data["api_key"] == "***"
    with pytest.raises(ValueError, match=r"api_key.*never serialised|never serialised.*api_key"):
        modelplex.structure(data, modelplex.ProviderSettings)


def test_bad_data_names_the_field_path() -> None:
    with pytest.raises(ValueError, match=r"ChatResponse.*\$\.usage\.input"):
        structure({"provider": "p", "model": "m", "usage": {"input": "many"}}, modelplex.ChatResponse)
