"""``rows.call_row`` fills the columns by position (the shortcut in ``docs/hot-paths.md``): for every kind of
call it builds the row that filling the same columns by name builds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelplex_store.budgets.audit import columns
from modelplex_store.rows import _cost, _micros, _routed, _tags, _who, call_row, route_text, uuid7
from modelplex_store.schema import CALLS

from modelplex import (
    CallInfo,
    CallOutcome,
    ChatRequest,
    ChatResponse,
    Decision,
    FinishReason,
    Message,
    TextPart,
    Usage,
)
from modelplex._catalog.cost import Cost
from modelplex._trace import RouteAttempt, RoutingTrace
from modelplex.errors import RequestTimeoutError, ServerError

NAMES = list(CALLS.names)


def by_name(call: Any, outcome: Any, call_id: str, started: int) -> list[Any]:
    """The row, each column set by its name (what ``call_row`` did before it used positions)."""
    row: dict[str, Any] = dict.fromkeys(NAMES)
    duration = _micros(outcome.duration) or 0
    provider, model = _who(call, outcome)
    usage, error, trace = outcome.usage, outcome.error, outcome.trace
    finish = getattr(outcome.response, "finish_reason", None)
    row.update(id=call_id, kind=call.kind, started_at=started, ended_at=started + duration, provider=provider,
               requested=call.address, model=model, chain=call.model if call.provider == "chain" else None,
               route=route_text(trace) if _routed(call, trace) else None, caller=call.caller,
               status=outcome.status, error_class=None if error is None else type(error).__name__,
               finish_reason=None if finish is None else str(getattr(finish, "value", finish)),
               stream=int(call.kind == "stream"), partial=int(outcome.partial),
               usage_estimated=int(usage is not None and usage.estimated), duration_us=duration,
               ttft_us=_micros(outcome.time_to_first_token))
    code = getattr(error, "status_code", None)
    row["status_code"] = code if isinstance(code, int) else None
    for bucket in ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning"):
        row[bucket] = 0 if usage is None else getattr(usage, bucket)
    as_list = [row[name] for name in NAMES]
    _tags(call.tags, as_list)  # these helpers write by position themselves
    _cost(as_list, outcome, usage)
    admission, denied_by = columns(call, outcome.status == "ok")
    as_list[NAMES.index("admission")], as_list[NAMES.index("denied_by")] = admission, denied_by
    return as_list


REQUEST = ChatRequest(model="m", messages=(Message.user("hi"),))
USAGE = Usage(input=120, cache_read=7, output=30, reasoning=4)
RESPONSE = ChatResponse(provider="groq", model="m", parts=(TextPart(text="Paris."),),
                        finish_reason=FinishReason.STOP, usage=USAGE)
COST = Cost(input=Decimal("0.0001"), output=Decimal("0.0002"), status="exact", price_version="catalog:x")
TRACE = RoutingTrace(address="chain/fast", candidates=("a/m", "b/m"),
                     attempts=(RouteAttempt(model="a/m", duration=0.1, error_type="ServerError",
                                            status_code=503),
                               RouteAttempt(model="b/m", duration=0.2)), answered_by="b/m", duration=0.3)


def call(kind: str = "chat", address: str = "groq/m", **fields: Any) -> CallInfo:
    provider, _, model = address.partition("/")
    return CallInfo(kind=kind, address=address, provider=provider, model=model or None,  # type: ignore[arg-type]
                    request=REQUEST, started=1700000000.25, **fields)


def decided() -> CallInfo:
    info = call(caller="svc")
    info.decisions.append(Decision(by="budget", decision="denied", model="groq/m", name="team",
                                   amount=Decimal("1.5")))
    return info


CASES = {
    "ok": (call(), CallOutcome(status="ok", provider="groq", model="m", usage=USAGE, duration=0.0123,
                               response=RESPONSE, cost=COST)),
    "tags": (call(tags={"user": "u1", "conversation": "c1", "team": "x", "store": "on"}, caller="svc"),
             CallOutcome(status="ok", usage=USAGE, duration=0.001)),
    "error": (call(), CallOutcome(status="error", error=ServerError("busy", provider="groq", model="m",
                                                                     status_code=503), duration=0.5)),
    "timeout": (call(), CallOutcome(status="error", error=RequestTimeoutError("slow", provider="groq",
                                                                             model="m"), duration=3.0)),
    "stream": (call("stream"), CallOutcome(status="ok", usage=USAGE, duration=0.2, time_to_first_token=0.05,
                                           response=RESPONSE, cost=COST)),
    "cancelled": (call(), CallOutcome(status="cancelled", usage=Usage(input=9, estimated=True),
                                      partial=True, duration=0.01)),
    "chain": (call(address="chain/fast"), CallOutcome(status="ok", provider="b", model="m", usage=USAGE,
                                                      duration=0.3, trace=TRACE, response=RESPONSE)),
    "listing": (call("list_models", "groq"), CallOutcome(status="ok", duration=0.01)),
    "denied": (decided(), CallOutcome(status="error", error=ServerError("no", provider="groq", model="m",
                                                                   status_code=500))),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_row_filled_by_position_is_the_row_filled_by_name(case: str) -> None:
    info, outcome = CASES[case]
    fast = call_row(info, outcome, "id-1", 1700000000250000)
    assert fast == by_name(info, outcome, "id-1", 1700000000250000)
    assert len(fast) == len(NAMES) and fast[NAMES.index("id")] == "id-1"
    assert fast[NAMES.index("status")] == outcome.status  # not a row of Nones on both sides


def test_a_row_of_a_call_nobody_decided_about_makes_no_list_of_decisions() -> None:
    """The audit columns read the decisions where they are kept: a row does not make ``call.decisions``
    (a list, built under a lock on Python 3.11) for the many calls that have none (``docs/hot-paths.md``)."""
    info, outcome = call(), CASES["ok"][1]
    assert call_row(info, outcome, "id-1", 1)[NAMES.index("admission")] is None
    assert "decisions" not in vars(info)
    info.decisions.append(Decision(by="policy", decision="allowed", model="groq/m"))
    admission = call_row(info, outcome, "id-1", 1)[NAMES.index("admission")]
    assert admission == '[{"by":"policy","decision":"allowed","model":"groq/m"}]'


@given(micros=st.integers(min_value=0, max_value=(1 << 48) * 1000 - 1))
def test_an_id_is_a_uuid_version_7_of_its_millisecond(micros: int) -> None:
    import uuid

    text = uuid7(micros)
    parsed = uuid.UUID(text)
    assert str(parsed) == text
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == micros // 1000


def test_ids_sort_by_their_moment_and_differ_within_one() -> None:
    moments = [1_700_000_000_000_000 + step * 1000 for step in range(50)]
    ids = [uuid7(m) for m in moments]
    assert sorted(ids) == ids
    same = {uuid7(moments[0]) for _ in range(1000)}
    assert len(same) == 1000
