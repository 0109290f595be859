"""The journal's frames written in C (``_frames.c``) are the bytes the Python path writes: a call's facts
read and framed at once are ``marshal.dumps(rows.facts(call, outcome), 2)``, any value framed is
``marshal.dumps(value, 2)``, the check is ``zlib.crc32``, and a journal written either way reads back
the same. The C part is optional at install time (no compiler: the Python path); CI builds it."""

from __future__ import annotations

import marshal
import os
import struct
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelplex_store import journal as journals
from modelplex_store import rows
from modelplex_store.pipe import MARSHAL_VERSION
from test_rows import CASES, COST, RESPONSE, USAGE, call

from modelplex import CallInfo, CallOutcome, Usage
from modelplex._catalog.cost import ZERO, Cost

if rows.FRAMES is None:
    if os.environ.get("MODELPLEX_FRAMES_REQUIRED"):  # CI (.ci/run): a skip there would hide a failed build
        pytest.fail("modelplex_store._frames was not built (setup.py): .ci/run installs a compiler",
                    pytrace=False)
    pytest.skip("modelplex_store._frames was not built here (no C compiler at install): the Python path "
                "alone frames calls", allow_module_level=True)
frames: Any = rows.FRAMES
HEAD = struct.Struct(">II")


def python_payload(info: Any, outcome: Any, content: bool, seed: int) -> bytes:
    rows._random.seed(seed)
    return marshal.dumps(rows.facts(info, outcome, content=content), MARSHAL_VERSION)


def c_payload(info: Any, outcome: Any, content: bool, seed: int) -> Any:
    rows._random.seed(seed)
    return frames.frame_call(bytearray(1 << 16), 0, info, outcome, content, lambda: None)


@pytest.mark.parametrize("content", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_a_call_read_and_framed_in_c_is_its_facts_marshalled(case: str, content: bool) -> None:
    info, outcome = CASES[case]
    got = c_payload(info, outcome, content, seed=14)
    assert got is not NotImplemented, case  # every kind of call takes the C path (bodies fit)
    assert got == python_payload(info, outcome, content, seed=14)
    assert marshal.loads(got)[0] == rows.FACTS_VERSION


AMOUNT = st.none() | st.just(ZERO) | st.decimals(min_value=0, max_value=10**6, allow_nan=False,
                                                 allow_infinity=False, places=9)
TEXT = st.none() | st.text(max_size=12)


@settings(max_examples=150)
@given(amounts=st.tuples(*[AMOUNT] * 7), usage=st.tuples(*[st.integers(0, 2**40)] * 6),
       reported=AMOUNT, status=st.sampled_from(["ok", "error", "cancelled"]), partial=st.booleans(),
       duration=st.floats(0, 1e4), first=st.none() | st.floats(0, 10), caller=TEXT,
       model=st.none() | st.text(min_size=1, max_size=8), finish=TEXT, version=TEXT)
def test_any_usage_and_cost_framed_in_c_are_the_facts_marshalled(
        amounts: tuple[Any, ...], usage: tuple[int, ...], reported: Decimal | None, status: str,
        partial: bool, duration: float, first: float | None, caller: str | None, model: str | None,
        finish: str | None, version: str | None) -> None:
    cost = Cost(input=amounts[0], cache_read=amounts[1], cache_write=amounts[2], cache_write_1h=amounts[3],
                output=amounts[4], reasoning=amounts[5], reported=amounts[6], status="exact",
                price_version=version)
    used = Usage(input=usage[0], cache_read=usage[1], cache_write=usage[2], cache_write_1h=usage[3],
                 output=usage[4], reasoning=usage[5],
                 reported_cost=None if reported is None else str(reported))
    response = RESPONSE if finish is None else _with_finish(finish)
    info = call(caller=caller)
    outcome = CallOutcome(status=status, provider="groq", model=model, usage=used, partial=partial,
                          duration=duration, time_to_first_token=first, response=response, cost=cost)
    got = c_payload(info, outcome, False, seed=3)
    assert got is not NotImplemented
    assert got == python_payload(info, outcome, False, seed=3)


def _with_finish(finish: str) -> Any:
    class Response:  # a plugin's own response: its finish reason a plain string, its cost its own
        finish_reason = finish
        cost = COST

    return Response()


def test_a_call_without_its_start_is_left_to_the_python_path() -> None:
    unstarted = CallInfo(kind="chat", address="groq/m", provider="groq", model="m", started=0.0)
    outcome = CallOutcome(status="ok", usage=USAGE, duration=0.5, response=RESPONSE, cost=COST)
    assert frames.frame_call(bytearray(4096), 0, unstarted, outcome, False, lambda: None) is NotImplemented
    assert rows.facts(unstarted, outcome)[2] > 0  # which reads it from the clock


@pytest.mark.parametrize("content", [False, True])
def test_a_call_past_the_stack_buffer_is_framed_in_c_all_the_same(content: bool) -> None:
    """Past FRAME_MAX bytes (a long tag, bodies kept) the payload grows on the heap: the call is read
    once, not read in C and then again in Python."""
    info = call(tags={"team": "x" * (3 * frames.FRAME_MAX)})
    outcome = CallOutcome(status="ok", usage=USAGE, duration=0.5, response=RESPONSE, cost=COST)
    got = c_payload(info, outcome, content, seed=8)
    assert got is not NotImplemented and len(got) > 3 * frames.FRAME_MAX
    assert got == python_payload(info, outcome, content, seed=8)


def test_a_frame_longer_than_the_next_segment_is_left_to_the_python_path() -> None:
    info = call(tags={"team": "x" * 300})
    outcome = CallOutcome(status="ok", usage=USAGE, duration=0.5, response=RESPONSE, cost=COST)
    segments = [bytearray(200)]
    got = frames.frame_call(bytearray(100), 0, info, outcome, False, lambda: segments[0])
    assert got is NotImplemented and not any(segments[0])
    assert frames.frame_call(bytearray(100), 0, info, outcome, False, lambda: None) is None


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**127), 2**128 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.tuples(inner) | st.tuples(inner, inner) | st.lists(inner, max_size=4).map(tuple),
    max_leaves=12)


@given(VALUES | st.text(min_size=4000, max_size=9000).map(lambda t: (t, t)), st.integers(0, 64))
def test_any_value_framed_in_c_is_marshal_version_2_with_its_head_after(value: Any, at: int) -> None:
    buffer = bytearray(at + 8 + 4 * 9000 + 64)
    got = frames.frame(buffer, at, value)
    if got is NotImplemented:
        assert not c_writes(value)
        return
    assert got == marshal.dumps(value, MARSHAL_VERSION)
    assert HEAD.unpack_from(buffer, at) == (len(got), zlib.crc32(got))
    assert bytes(buffer[at + 8:at + 8 + len(got)]) == got
    assert not any(buffer[:at]) and not any(buffer[at + 8 + len(got):])


def c_writes(value: Any, depth: int = 0) -> bool:
    """What the C frame writes: no negative int past 64 bits, no nesting past 8."""
    if isinstance(value, tuple):
        return depth < 8 and all(c_writes(v, depth + 1) for v in value)
    return not isinstance(value, int) or value >= -(2**63)


NESTED = (((((((((1,),),),),),),),),)


@pytest.mark.parametrize("value", [[1], {"a": 1}, b"x", 1.5j, -(2**64), 2**128, "\ud800", NESTED])
def test_what_the_c_frame_does_not_write_is_left_to_marshal(value: Any) -> None:
    assert frames.frame(bytearray(64), 0, value) is NotImplemented


def test_a_frame_that_does_not_fit_writes_nothing() -> None:
    buffer = bytearray(40)
    assert frames.frame(buffer, 10, "x" * 30) is None
    assert frames.frame(buffer, 10, "x" * 17) is not None  # 8 + 5 + 17 = 30: the end exactly
    assert frames.frame(bytearray(40), 10, "x" * 18) is None and not any(buffer[:10])


@given(st.binary(max_size=600))
def test_the_check_is_zlibs_crc32(data: bytes) -> None:
    assert frames.crc32(data) == zlib.crc32(data)


def test_a_journal_framed_in_c_reads_back_as_the_one_framed_in_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written = {}
    for path in ("c", "python"):
        if path == "python":
            monkeypatch.setattr(journals, "_frame", None)
            monkeypatch.setattr(journals, "_frame_call", None)
        journal = journals.Journal(tmp_path / path)
        rows._random.seed(5)
        payloads = [journal.add_call(seq, *CASES[case], False)
                    for seq, case in enumerate(list(CASES) * 500, 1)]  # past a segment: a rotation
        journal.close(delivered=False)
        segments = journals.segments(journal.folder, journal.owner)
        assert len(segments) >= 2
        read = [p for segment in segments for p in journals.read_segment(segment)]
        assert read == payloads
        written[path] = [segment.read_bytes() for segment in segments]
    assert written["c"] == written["python"]
