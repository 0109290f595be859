"""The NDJSON decoder: any split of a stream gives the same objects; a cut last line is an error."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ollama_helpers import lines, recording

from modelplex.toolkit import BadLineError, NDJSONDecoder, TruncatedLineError
from modelplex_testing import strategies as mst

BODY = recording("ollama/21_native_api_chat_stream").body_bytes()  # holds a 4-byte emoji


def decode(chunks: list[bytes]) -> list[object]:
    decoder = NDJSONDecoder()
    out = [item for chunk in chunks for item in decoder.feed(chunk)]
    return out + decoder.close()


@given(mst.stream_splits(BODY))
def test_any_split_gives_the_same_objects(chunks: list[bytes]) -> None:
    assert decode(chunks) == lines("ollama/21_native_api_chat_stream")


def test_one_byte_at_a_time_and_blank_lines() -> None:
    data = b'\n{"a": 1}\r\n\n  \n{"b": "\xc3\xa9"}\n'
    assert decode([data[i:i + 1] for i in range(len(data))]) == [{"a": 1}, {"b": "é"}]


def test_a_last_line_without_its_newline_counts_only_when_whole() -> None:
    assert decode([b'{"a": 1}\n{"b": 2}']) == [{"a": 1}, {"b": 2}]
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a": 1}\n{"b": ') == [{"a": 1}]
    assert decoder.pending
    with pytest.raises(TruncatedLineError):
        decoder.close()


def test_a_line_that_is_not_json() -> None:
    with pytest.raises(BadLineError, match="<html>"):
        NDJSONDecoder().feed(b"<html>\n")


@given(st.lists(mst.json_objects(), max_size=5), st.data())
def test_objects_round_trip_through_any_split(objects: list[dict[str, object]], data: st.DataObject) -> None:
    body = b"".join(json.dumps(o).encode() + b"\n" for o in objects)
    assert decode(data.draw(mst.stream_splits(body))) == objects
