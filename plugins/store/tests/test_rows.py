"""A call's rows, read on the calling process (``rows.facts``) and built in the writer (``rows.build``), by
position (the shortcut in ``docs/hot-paths.md``): for every kind of call they are the rows that reading
the call and its outcome by name, column by column, makes."""

from __future__ import annotations

import contextvars
import json
import marshal
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelplex_store.pipe import MARSHAL_VERSION
from modelplex_store.rows import (
    _cost_facts,
    _micros,
    _nanos,
    _split,
    build,
    facts,
    record,
    route_text,
    uuid7,
)
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
from modelplex._catalog.cost import MONEY, ZERO, Cost
from modelplex._catalog.pricing import Rates
from modelplex._catalog.records import Prices
from modelplex._trace import RouteAttempt, RouteSkip, RoutingTrace
from modelplex.errors import RequestTimeoutError, ServerError

NAMES = list(CALLS.names)
BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")


def _who(call: Any, outcome: Any) -> tuple[str | None, str | None]:
    trace = outcome.trace
    if trace is not None and trace.answered_by:
        return _split(trace.answered_by)
    if outcome.provider is not None or outcome.model is not None:
        return outcome.provider, outcome.model
    if trace is not None and trace.attempts:
        return _split(trace.attempts[-1].model)
    if call.kind == "list_models":
        return call.provider, None
    return (None, None) if call.provider == "chain" else (call.provider, call.model)


def by_name(call: Any, outcome: Any, call_id: str, started: int) -> list[Any]:
    """The call's row, each column set by its name from the objects the hook gets (how the row was
    built before the facts and positions)."""
    row: dict[str, Any] = dict.fromkeys(NAMES)
    duration = _micros(outcome.duration) or 0
    provider, model = _who(call, outcome)
    usage, error, trace = outcome.usage, outcome.error, outcome.trace
    finish = getattr(outcome.response, "finish_reason", None)
    routed = trace is not None and (call.provider == "chain" or len(trace.attempts) > 1
                                    or bool(trace.skipped))
    row.update(id=call_id, kind=call.kind, started_at=started, ended_at=started + duration, provider=provider,
               requested=call.address, model=model, chain=call.model if call.provider == "chain" else None,
               route=route_text(trace) if routed else None, caller=call.caller,
               status=outcome.status, error_class=None if error is None else type(error).__name__,
               finish_reason=None if finish is None else str(getattr(finish, "value", finish)),
               stream=int(call.kind == "stream"), partial=int(outcome.partial),
               usage_estimated=int(usage is not None and usage.estimated), duration_us=duration,
               ttft_us=_micros(outcome.time_to_first_token))
    code = getattr(error, "status_code", None)
    row["status_code"] = code if isinstance(code, int) else None
    for bucket in BUCKETS:
        row[bucket] = 0 if usage is None else getattr(usage, bucket)
    columns = {"user": "user_id", "user_id": "user_id", "agent": "agent", "conversation": "conversation_id",
               "conversation_id": "conversation_id", "message": "message_id", "message_id": "message_id"}
    rest = {}
    for key, value in call.tags.items():
        if key in columns:
            row[columns[key]] = value
        elif key != "store":
            rest[key] = value
    row["tags"] = json.dumps(rest, sort_keys=True, separators=(",", ":")) if rest else None
    cost = outcome.cost or getattr(outcome.response, "cost", None)
    if cost is not None:
        row.update(cost_nanos=_nanos(cost.total), cost_status=cost.status, price_version=cost.price_version)
        reported = cost.reported
    else:
        nothing = usage is None or (usage.total == 0 and not outcome.partial)
        row.update(cost_nanos=0 if nothing else None, cost_status="exact" if nothing else "unknown")
        reported = None
    if reported is None and usage is not None:
        reported = usage.reported_cost
    row["reported_cost_nanos"] = _nanos(reported)
    decisions = vars(call).get("decisions")
    if decisions:
        fields = ("by", "decision", "model", "name", "where", "reason", "amount")
        row["admission"] = json.dumps([{k: f"{v:f}" if isinstance(v, Decimal) else v
                                        for k in fields if (v := getattr(d, k, None)) is not None}
                                       for d in decisions], separators=(",", ":"))
        denied = [str(d.name or d.by) for d in decisions if d.decision == "denied"]
        row["denied_by"] = None if outcome.status == "ok" or not denied else ",".join(dict.fromkeys(denied))
    return [row[name] for name in NAMES]


REQUEST = ChatRequest(model="m", messages=(Message.user("hi"),))
USAGE = Usage(input=120, cache_read=7, output=30, reasoning=4)
RESPONSE = ChatResponse(provider="groq", model="m", parts=(TextPart(text="Paris."),),
                        finish_reason=FinishReason.STOP, usage=USAGE)
COST = Cost(input=Decimal("0.0001"), output=Decimal("0.0002"), status="exact", price_version="catalog:x")
TRACE = RoutingTrace(address="chain/fast", candidates=("a/m", "b/m"),
                     attempts=(RouteAttempt(model="a/m", duration=0.1, error="busy", error_type="ServerError",
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
    "skipped": (call(address="chain/fast"),
                CallOutcome(status="error",
                            error=ServerError("busy", provider="b", model="m", status_code=502),
                            trace=RoutingTrace(address="chain/fast",
                                               skipped=(RouteSkip(model="a/m", reason="cooldown"),),
                                               attempts=(RouteAttempt(model="b/m", duration=0.1, error="busy",
                                                                      error_type="ServerError",
                                                                      status_code=502),)))),
    "unpriced": (call(tags={"team": "x"}),
                 CallOutcome(status="ok", usage=Usage(output=3, reported_cost="0.25"), partial=True,
                             duration=0.02)),
    "unknown bucket": (call(), CallOutcome(status="ok", usage=USAGE, duration=0.01,
                                           cost=Cost(input=Decimal("0.1"), status="partial",
                                                     reported=Decimal("0.3")))),
    "denied": (decided(), CallOutcome(status="error", error=ServerError("no", provider="groq", model="m",
                                                                   status_code=500))),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_row_built_from_the_facts_is_the_row_filled_by_name(case: str) -> None:
    info, outcome = CASES[case]
    row = list(record(info, outcome).calls[0])
    call_id, started = row[NAMES.index("id")], row[NAMES.index("started_at")]
    assert started == 1700000000250000
    assert row == by_name(info, outcome, call_id, started)
    assert row[NAMES.index("status")] == outcome.status  # not a row of Nones on both sides


@pytest.mark.parametrize("case", list(CASES))
def test_the_facts_go_through_marshal_and_build_the_same_rows_each_time(case: str) -> None:
    """The journal and the pipe carry the facts as marshal writes them, and a call delivered twice (its
    journal read again after a writer process died) must be the same rows, ids included, to be kept once."""
    info, outcome = CASES[case]
    read = facts(info, outcome)
    again = marshal.loads(marshal.dumps(read))
    assert again == read
    assert build(again) == build(read)
    assert build(read) != record(info, outcome)  # another reading: another id


AMOUNTS = st.none() | st.decimals(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False)


def test_the_pricing_gives_every_bucket_of_no_tokens_as_the_one_zero_the_facts_know() -> None:
    """The facts write the pricing's ``ZERO`` without formatting it, known by identity: the pricing must
    hand out that object for a bucket of no tokens, or the short way is never taken."""
    rates = Rates(Prices(input=Decimal("2.5"), output=Decimal("10"), cache_read=Decimal("1.25")), "v1")
    cost = rates.cost(Usage(input=1000, output=20))
    assert cost.cache_read is ZERO and cost.reasoning is ZERO and cost.input is not ZERO
    got = _cost_facts(cost)[:6]
    assert [Decimal(x) for x in got] == [Decimal("0.0025"), 0, 0, 0, Decimal("0.0002"), 0]
    assert got[1:4] == ("0", "0", "0") and got[5] == "0"


@given(st.tuples(*[AMOUNTS | st.just(ZERO) | st.sampled_from([Decimal("0.00"), Decimal("-0"),
                                                              Decimal("0E+3")])] * 7))
def test_the_zero_known_by_identity_is_written_as_formatting_writes_it(
        amounts: tuple[Decimal | None, ...]) -> None:
    """Whatever the amounts (the one ``ZERO``, zeros of other exponents or signs, anything else), the
    facts hold each as ``to_eng_string`` writes it in the cost engine's context."""
    a, b, c, d, e, f, reported = amounts
    cost = Cost(input=a, cache_read=b, cache_write=c, cache_write_1h=d, output=e, reasoning=f,
                status="exact", price_version="v", reported=reported)
    expected = tuple(None if x is None else x.to_eng_string(MONEY) for x in amounts)
    got = _cost_facts(cost)
    assert got[:6] + got[8:] == expected
    assert got[6:8] == ("exact", "v")


@pytest.mark.parametrize("finish", [*FinishReason, "stop", None])
def test_a_finish_reason_is_written_as_its_value(finish: FinishReason | str | None) -> None:
    """An enum's ``_value_`` is read, not its ``value`` (a property in Python); anything else as it is."""
    info, outcome = CASES["ok"]
    response = attrs.evolve(outcome.response, finish_reason=finish)
    got = facts(info, outcome._replace(response=response))[17]
    assert got == (None if finish is None else getattr(finish, "value", finish))
    assert got is None or type(got) is str


def test_the_journal_and_the_pipe_write_marshal_without_references() -> None:
    """Version 2: marshal's later versions note every object written in a table made for each call."""
    info, outcome = CASES["ok"]
    read = facts(info, outcome)
    assert MARSHAL_VERSION == 2
    assert marshal.dumps(read, MARSHAL_VERSION) != marshal.dumps(read)  # the default writes references
    assert marshal.loads(marshal.dumps(read, MARSHAL_VERSION)) == read


@given(st.tuples(*[AMOUNTS] * 7), st.sampled_from([Decimal("1E+3"), Decimal("1.5E-7"), Decimal("0E-12")]))
def test_amounts_in_the_facts_are_the_same_numbers_whatever_their_notation(
        amounts: tuple[Decimal | None, ...], odd: Decimal) -> None:
    """The facts write amounts in engineering notation (no current context needed): the row holds the
    same nanos as the amounts themselves make, exponents and trailing zeros included."""
    *buckets, reported = amounts
    cost = Cost(**dict(zip(BUCKETS, buckets, strict=True)), status="exact", reported=reported)
    odd_cost = Cost(input=odd, output=odd, status="exact", reported=odd)
    for priced in (cost, odd_cost):
        outcome = CallOutcome(status="ok", usage=USAGE, duration=0.01, cost=priced)
        row = list(record(call(), outcome).calls[0])
        assert row[NAMES.index("cost_nanos")] == _nanos(priced.total)
        assert row[NAMES.index("reported_cost_nanos")] == _nanos(priced.reported)


def test_reading_a_priced_call_in_a_task_of_its_own_gives_that_task_no_decimal_context() -> None:
    """``str(Decimal)`` in a task with no decimal context makes it one (a Context and two dicts, kept as
    long as the task); the facts' amounts are written with a context given, and make none."""
    info, outcome = CASES["unknown bucket"]
    control = contextvars.Context()
    control.run(str, Decimal("0.1"))
    assert [var.name for var in control] == ["decimal_context"]
    task = contextvars.Context()
    read = task.run(facts, info, outcome)
    assert list(task) == []
    assert read[19][0] == "0.1" and read[19][8] == "0.3"  # the cost's input and reported, as text


def test_a_call_that_does_not_say_when_it_started_started_its_duration_before_now() -> None:
    info = CallInfo(kind="chat", address="groq/m", provider="groq", model="m")
    row = record(info, CallOutcome(status="ok", duration=0.5), now=1_700_000_001.0).calls[0]
    assert row[NAMES.index("started_at")] == 1_700_000_000_500_000
    assert row[NAMES.index("ended_at")] == 1_700_000_001_000_000


def test_a_routed_call_has_a_row_per_attempt_each_with_its_own_lasting_id() -> None:
    info, outcome = CASES["chain"]
    read = facts(info, outcome)
    rows = build(read).calls
    assert len(rows) == 3
    ids = [r[NAMES.index("id")] for r in rows]
    assert len(set(ids)) == 3 and build(read).calls == rows
    assert [r[NAMES.index("parent_id")] for r in rows] == [None, ids[0], ids[0]]
    assert [(r[NAMES.index("model")], r[NAMES.index("status")], r[NAMES.index("status_code")],
             r[NAMES.index("duration_us")]) for r in rows[1:]] == [("m", "error", 503, 100_000),
                                                                   ("m", "ok", None, 200_000)]
    assert rows[2][NAMES.index("started_at")] == rows[1][NAMES.index("ended_at")]


def test_a_tag_holding_a_known_secret_is_masked_by_the_process_that_knows_it() -> None:
    """The writer process does not know the caller's secrets: the facts carry the tags scrubbed."""
    from modelplex._secret import Secret

    key = Secret("zz-tag-secret-0123456789")
    info = call(tags={"note": f"key {key.reveal()}", "user": key.reveal()})
    read = facts(info, CASES["ok"][1])
    assert key.reveal() not in repr(read)
    row = build(read).calls[0]
    assert key.reveal() not in repr(row) and row[NAMES.index("user_id")] == "***"


def test_a_row_of_a_call_nobody_decided_about_makes_no_list_of_decisions() -> None:
    """The audit columns read the decisions where they are kept: a row does not make ``call.decisions``
    (a list, built under a lock on Python 3.11) for the many calls that have none (``docs/hot-paths.md``)."""
    info, outcome = call(), CASES["ok"][1]
    assert record(info, outcome).calls[0][NAMES.index("admission")] is None
    assert "decisions" not in vars(info)
    info.decisions.append(Decision(by="policy", decision="allowed", model="groq/m"))
    admission = record(info, outcome).calls[0][NAMES.index("admission")]
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
    assert uuid7(moments[0], 12345) == uuid7(moments[0], 12345) != uuid7(moments[0], 12346)
