"""The toolkit's SSE and NDJSON decoders: the fields, line ends, any split gives the same result, and a
cost linear in the bytes received however they are cut."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelplex.toolkit import BadLineError, NDJSONDecoder, SSEDecoder, SSEEvent, TruncatedLineError
from modelplex_testing import strategies as mst


def decode(chunks: list[bytes]) -> tuple[list[SSEEvent], bool]:
    decoder = SSEDecoder()
    events = [e for c in chunks for e in decoder.feed(c)]
    events += decoder.close()
    return events, decoder.pending


def ndjson(chunks: list[bytes]) -> list[object]:
    decoder = NDJSONDecoder()
    out = [item for chunk in chunks for item in decoder.feed(chunk)]
    return out + decoder.close()


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


@pytest.mark.parametrize("retry", ["\u00b2", "1" * 5000, "-5", "1.5"])
def test_a_retry_that_is_not_a_plain_number_is_ignored(retry: str) -> None:
    body = f"retry: 30\n\nretry: {retry}\ndata: x\n\n".encode()
    events, _ = decode([body])
    assert events == [SSEEvent(data="x", retry=30)]


@pytest.mark.parametrize("tail", [b"data: {\"half\": ", b"data: complete line\n", b"\r",
                                  "é".encode()[:1]])
def test_an_unfinished_event_is_pending(tail: bytes) -> None:
    events, pending = decode([b"data: one\n\n" + tail])
    assert events == [SSEEvent(data="one")]
    assert pending == (tail != b"\r")  # a final lone CR still ends its (empty) line


def test_a_final_cr_ends_the_last_line() -> None:
    assert decode([b"data: last\r\r"]) == ([SSEEvent(data="last")], False)
    assert decode([b"data: last\r", b"\r"]) == ([SSEEvent(data="last")], False)
    assert decode([b"data: a\r", b"data: b\r\n", b"\n"]) == ([SSEEvent(data="a\nb")], False)


def test_multibyte_characters_split_across_chunks() -> None:
    body = "data: naïve ✓ 😀\n\n".encode()
    assert decode([body[i:i + 1] for i in range(len(body))])[0] == [SSEEvent(data="naïve ✓ 😀")]


_LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
_FIELDS = st.one_of(
    st.builds(lambda v: f"data: {json.dumps(v)}", mst.json_values()),
    st.builds(lambda t: f"event:{t}", st.sampled_from(["message", "delta", "error"])),
    st.builds(lambda t: f"id: {t}", st.text("abc123", max_size=4)),
    st.just(": keep-alive"), st.just("retry: 15"), st.just(""))


@st.composite
def _sse_bodies(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(_FIELDS, _LINE_ENDS), min_size=1, max_size=12))
    return "".join(text + end for text, end in lines).encode() + b"\n\n"


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_chunking_gives_the_same_events(data: st.DataObject) -> None:
    body = data.draw(_sse_bodies())
    reference = decode([body])
    assert decode(data.draw(mst.stream_splits(body))) == reference


@given(st.lists(mst.json_objects(), max_size=5), st.data())
def test_ndjson_round_trips_through_any_split(objects: list[dict[str, object]], data: st.DataObject
                                              ) -> None:
    body = b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\r\n\n" for o in objects)
    assert ndjson(data.draw(mst.stream_splits(body))) == objects


def test_ndjson_blank_lines_a_cut_last_line_and_a_bad_line() -> None:
    data = b'\n{"a": 1}\r\n\n  \n{"b": "\xc3\xa9"}\n'
    assert ndjson([data[i:i + 1] for i in range(len(data))]) == [{"a": 1}, {"b": "é"}]
    assert ndjson([b'{"a": 1}\n{"b": 2}']) == [{"a": 1}, {"b": 2}]
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a": 1}\n{"b": ') == [{"a": 1}] and decoder.pending
    with pytest.raises(TruncatedLineError):
        decoder.close()
    with pytest.raises(BadLineError, match="<html>"):
        NDJSONDecoder().feed(b"<html>\n")


def test_ndjson_lines_nested_past_the_recursion_limit_are_bad_lines() -> None:
    deep = b"[" * 100_000
    with pytest.raises(BadLineError, match=r"\[\[\["):
        NDJSONDecoder().feed(deep + b"\n")
    with pytest.raises(BadLineError, match=r"\[\[\["):
        NDJSONDecoder().feed(deep + b"\xff\n")  # not UTF-8: the line-by-line path
    decoder = NDJSONDecoder()
    assert decoder.feed(deep) == []
    with pytest.raises(TruncatedLineError):
        decoder.close()


def _cpu_seconds(feed_all: object, size: int) -> float:
    chunk = b"x" * 65536
    start = time.process_time()
    feed_all(chunk, size // len(chunk))  # type: ignore[operator]
    return time.process_time() - start


def _sse_line(chunk: bytes, count: int) -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: ")
    for _ in range(count):
        decoder.feed(chunk)
    assert decoder.feed(b"\n\n")[0].data.startswith("xxx")


def _ndjson_line(chunk: bytes, count: int) -> None:
    decoder = NDJSONDecoder()
    decoder.feed(b'"')
    for _ in range(count):
        decoder.feed(chunk)
    assert len(decoder.feed(b'"\n')[0]) == count * len(chunk)


@pytest.mark.parametrize("feed_all", [_sse_line, _ndjson_line], ids=["sse", "ndjson"])
def test_a_long_line_costs_time_linear_in_its_bytes(feed_all: object) -> None:
    """One line of 8 and then 32 MiB, in 64 KiB chunks: four times the bytes may cost about four
    times the CPU (8x allowed for noise), where copying the line again with each chunk cost 16x.

    The floor of 20 ms under the small figure keeps page faults and cache misses of the one large
    final copy (a few tens of ms, seen in CI) from reading as quadratic: the quadratic decoders took
    2.35 s and 9.15 s for 16 and 32 MiB, far above either bound."""
    mib = 1 << 20
    small = min(_cpu_seconds(feed_all, 8 * mib) for _ in range(3))
    large = min(_cpu_seconds(feed_all, 32 * mib) for _ in range(2))
    assert large < 8 * max(small, 0.02), (small, large)
