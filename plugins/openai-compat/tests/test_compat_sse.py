"""The SSE decoder (the toolkit's, whose own tests are in core/tests/test_toolkit_sse.py) on every
recorded stream: the same events however the bytes are cut."""

from __future__ import annotations

import pytest
from compat_helpers import all_recordings, recording
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_openai_compat import SSEDecoder, SSEEvent

from modelplex import toolkit
from modelplex_testing import strategies as mst

STREAMS = [n for n in all_recordings() if recording(n).is_stream]


def decode(chunks: list[bytes]) -> tuple[list[SSEEvent], bool]:
    decoder = SSEDecoder()
    events = [e for c in chunks for e in decoder.feed(c)]
    events += decoder.close()
    return events, decoder.pending


def test_there_are_recorded_streams_to_check() -> None:
    assert len(STREAMS) >= 14


def test_the_decoder_is_the_toolkits() -> None:
    assert SSEDecoder is toolkit.SSEDecoder and SSEEvent is toolkit.SSEEvent


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
