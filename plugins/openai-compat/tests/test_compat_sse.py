"""The SSE decoder: line endings, fields, chunk-boundary invariance over every recorded stream."""

from __future__ import annotations

import pytest
from compat_helpers import all_recordings, recording
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_openai_compat import SSEDecoder, SSEEvent

from modelplex_testing import strategies as mst

STREAMS = [n for n in all_recordings() if recording(n).is_stream]


def decode(chunks: list[bytes]) -> tuple[list[SSEEvent], bool]:
    decoder = SSEDecoder()
    events = [e for c in chunks for e in decoder.feed(c)]
    events += decoder.close()
    return events, decoder.pending


def test_there_are_recorded_streams_to_check() -> None:
    assert len(STREAMS) >= 14


def test_fields_and_line_endings() -> None:
    body = (b": a comment\r\nevent: error\r\ndata: {\"a\":\r\ndata:1}\r\nid: 7\r\nretry: 30\r\n\r\n"
            b"data:no space\n\n"
            b"data: cr only\r\r"
            b"event: empty\n\n")
    events, pending = decode([body])
    assert events == [SSEEvent(data='{"a":\n1}', event="error", id="7", retry=30),
                      SSEEvent(data="no space", id="7", retry=30),
                      SSEEvent(data="cr only", id="7", retry=30)]
    assert not pending


@pytest.mark.parametrize("tail", [b"data: {\"half\": ", b"data: complete line\n", b"\r",
                                  "é".encode()[:1]])
def test_an_unfinished_event_is_pending(tail: bytes) -> None:
    events, pending = decode([b"data: one\n\n" + tail])
    assert events == [SSEEvent(data="one")]
    assert pending == (tail != b"\r")  # a final lone CR still ends its (empty) line


def test_a_final_cr_ends_the_last_line() -> None:
    events, pending = decode([b"data: last\r\r"])
    assert events == [SSEEvent(data="last")] and not pending


def test_multibyte_characters_split_across_chunks() -> None:
    body = "data: naïve ✓ 😀\n\n".encode()
    assert decode([body[i:i + 1] for i in range(len(body))])[0] == [SSEEvent(data="naïve ✓ 😀")]


@pytest.mark.parametrize("name", STREAMS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_chunking_of_a_recorded_stream_gives_the_same_events(name: str, data: st.DataObject
                                                                  ) -> None:
    body = recording(name).body_bytes()
    reference, pending = decode([body])
    assert reference and not pending
    chunks = data.draw(mst.stream_splits(body))
    assert decode(chunks) == (reference, False)
