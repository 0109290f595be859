"""A call as rows: what the ``modelplex_after_call`` hook heard, turned into the ``calls`` row of the call,
the rows of its attempts (when it made more than one) and, if asked, its ``call_contents`` row.

Rows are plain tuples in :data:`~modelplex_store.schema.CALLS` column order (what the drivers take, and
what the spool writes as JSON). Only what the call itself says goes in: no price table, no model facts.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from modelplex._secret import scrub
from modelplex_store.budgets.audit import columns
from modelplex_store.schema import CALLS

Row = tuple[Any, ...]
_INDEX = {name: i for i, name in enumerate(CALLS.names)}
_WIDTH = len(CALLS.names)

#: Tags given a column of their own (``user`` and ``user_id`` both fill ``user_id``...).
TAG_COLUMNS = {"user": "user_id", "user_id": "user_id", "agent": "agent",
               "conversation": "conversation_id", "conversation_id": "conversation_id",
               "message": "message_id", "message_id": "message_id"}
#: The tag that keeps one call out of the store: ``tags={"store": "off"}``.
OFF_TAG = "store"


@attrs.frozen(kw_only=True)
class Record:
    """The rows of one call: ``calls`` (the call's first, then its attempts') and ``content`` (``call_id,
    request, response``) when bodies are kept."""

    calls: tuple[Row, ...]
    content: tuple[str, str | None, str | None] | None = None

    @property
    def id(self) -> str:
        """The call's id."""
        return str(self.calls[0][0])

    def to_json(self) -> str:
        """The record as one JSON text (the spool's format)."""
        return json.dumps({"calls": self.calls, "content": self.content}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Record:
        """The record :meth:`to_json` wrote."""
        data = json.loads(text)
        content = data.get("content")
        # A row spooled by an older version lacks the columns added since: they are NULL.
        return cls(calls=tuple(tuple(r) + (None,) * (_WIDTH - len(r)) for r in data["calls"]),
                   content=None if content is None else (content[0], content[1], content[2]))


#: The ids' random bits: a generator seeded from ``os.urandom`` (again in a forked child, which must not
#: repeat its parent's ids). Not ``os.urandom`` per id: it gives the GIL up around its system call,
#: and each take-back is a thread switch with the event loop; an id needs to be unique, not secret.
_random = random.Random()
os.register_at_fork(after_in_child=_random.seed)


def uuid7(unix_micros: int) -> str:
    """A UUID version 7 (RFC 9562) for a moment given in microseconds: ids sort by time."""
    millis = unix_micros // 1000 & 0xFFFF_FFFF_FFFF
    bits = _random.getrandbits(74)  # rand_a (12 bits) and rand_b (62)
    # One format, the version (7) and the variant (0b10) written in: it runs for every call, and
    # building the 128-bit integer and slicing its hex took twice as long.
    return "%08x-%04x-7%03x-%04x-%012x" % (millis >> 16, millis & 0xFFFF, bits >> 62,  # noqa: UP031
                                            0x8000 | bits >> 48 & 0x3FFF, bits & 0xFFFF_FFFF_FFFF)


def _micros(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1_000_000)


def _nanos(dollars: Decimal | None) -> int | None:
    return None if dollars is None else int((dollars * 1_000_000_000).to_integral_value(ROUND_HALF_EVEN))


def _split(address: str) -> tuple[str | None, str | None]:
    provider, _, model = address.partition("/")
    return (provider, model) if model else (None, address or None)


def route_text(trace: Any) -> str:
    """The routing trace in one line: skips as ``-model(reason)``, attempts in order as ``model ok`` or
    ``model ErrorClass/status``, joined by ``" > "``. No error message: those may quote a request."""
    parts = [f"-{s.model}({s.reason})" for s in trace.skipped]
    for a in trace.attempts:
        if a.error is None:
            parts.append(f"{a.model} ok")
        else:
            parts.append(f"{a.model} {a.error_type or 'error'}"
                         + (f"/{a.status_code}" if a.status_code is not None else ""))
    return scrub(" > ".join(parts))


def _routed(call: Any, trace: Any) -> bool:
    return trace is not None and (call.provider == "chain" or len(trace.attempts) > 1 or bool(trace.skipped))


def _tags(tags: Mapping[str, str], row: list[Any]) -> None:
    rest = {}
    for key, value in tags.items():
        column = TAG_COLUMNS.get(key)
        if column is not None:
            row[_INDEX[column]] = scrub(str(value))
        elif key != OFF_TAG:
            rest[key] = value
    if rest:
        row[_INDEX["tags"]] = scrub(json.dumps(rest, sort_keys=True, separators=(",", ":")))


def _who(call: Any, outcome: Any) -> tuple[str | None, str | None]:
    """The model that answered, as the routing trace names it (the core's outcome names a whole
    call's by its trace, a stream's by the model its events reported: the trace keeps the streamed and
    whole rows of one exchange the same); for a call that failed, the last one tried (so that a
    model's errors count against it), or the address's own."""
    trace = outcome.trace
    if trace is not None and trace.answered_by:
        return _split(trace.answered_by)
    if outcome.provider is not None or outcome.model is not None:
        return outcome.provider, outcome.model
    if trace is not None and trace.attempts:
        return _split(trace.attempts[-1].model)
    if call.kind == "list_models":
        return call.provider, None
    if call.provider == "chain":
        return None, None
    return call.provider, call.model


def _cost(row: list[Any], outcome: Any, usage: Any) -> None:
    # The outcome's cost; a response's own where an outcome has none (a plugin built it so).
    cost = outcome.cost if outcome.cost is not None else getattr(outcome.response, "cost", None)
    if cost is not None:
        row[_INDEX["cost_nanos"]] = _nanos(cost.total)
        row[_INDEX["cost_status"]] = cost.status
        row[_INDEX["price_version"]] = cost.price_version
        reported = cost.reported
    else:
        # No tokens counted (a model listing, a failure before any answer): nothing to pay, known.
        # Tokens without a cost: a price the engine did not know, so unknown, never 0.
        nothing = usage is None or (usage.total == 0 and not outcome.partial)
        row[_INDEX["cost_nanos"]] = 0 if nothing else None
        row[_INDEX["cost_status"]] = "exact" if nothing else "unknown"
        reported = None
    if reported is None and usage is not None:
        reported = usage.reported_cost
    row[_INDEX["reported_cost_nanos"]] = _nanos(reported)


# The columns call_row fills, as positions: it runs for every call in the writer thread, which shares the
# event loop's core, and a name looked up per column was a fifth of its time (test_rows.py compares it
# with a row built by column names).
(_ID, _KIND, _STARTED_AT, _ENDED_AT, _PROVIDER, _REQUESTED, _MODEL, _CHAIN, _ROUTE, _CALLER, _STATUS,
 _ERROR_CLASS, _STATUS_CODE, _FINISH_REASON, _STREAM, _PARTIAL, _USAGE_ESTIMATED, _DURATION_US, _TTFT_US,
 _ADMISSION, _DENIED_BY) = (_INDEX[name] for name in (
    "id", "kind", "started_at", "ended_at", "provider", "requested", "model", "chain", "route", "caller",
    "status", "error_class", "status_code", "finish_reason", "stream", "partial", "usage_estimated",
    "duration_us", "ttft_us", "admission", "denied_by"))
_BUCKETS = tuple((_INDEX[b], b) for b in ("input", "cache_read", "cache_write", "cache_write_1h", "output",
                                          "reasoning"))


def call_row(call: Any, outcome: Any, call_id: str, started: int) -> list[Any]:
    """The ``calls`` row of the call itself."""
    row: list[Any] = [None] * _WIDTH
    duration = _micros(outcome.duration) or 0
    provider, model = _who(call, outcome)
    usage = outcome.usage
    error = outcome.error
    finish = getattr(outcome.response, "finish_reason", None)
    trace = outcome.trace
    row[_ID] = call_id
    row[_KIND] = kind = call.kind
    row[_STARTED_AT] = started
    row[_ENDED_AT] = started + duration
    row[_PROVIDER] = provider
    row[_REQUESTED] = call.address
    row[_MODEL] = model
    row[_CHAIN] = call.model if call.provider == "chain" else None
    row[_ROUTE] = route_text(trace) if _routed(call, trace) else None
    row[_CALLER] = call.caller
    if call.tags:
        _tags(call.tags, row)
    row[_STATUS] = outcome.status
    if error is not None:
        row[_ERROR_CLASS] = type(error).__name__
        code = getattr(error, "status_code", None)
        row[_STATUS_CODE] = code if isinstance(code, int) else None
    row[_FINISH_REASON] = None if finish is None else str(getattr(finish, "value", finish))
    row[_STREAM] = int(kind == "stream")
    row[_PARTIAL] = int(outcome.partial)
    if usage is None:
        for index, _ in _BUCKETS:
            row[index] = 0
    else:
        for index, bucket in _BUCKETS:
            row[index] = getattr(usage, bucket)
    row[_USAGE_ESTIMATED] = int(usage is not None and usage.estimated)
    _cost(row, outcome, usage)
    row[_DURATION_US] = duration
    row[_TTFT_US] = _micros(outcome.time_to_first_token)
    # The admitters' decisions (policy, budgets): see modelplex_store.budgets.audit.
    row[_ADMISSION], row[_DENIED_BY] = columns(call, outcome.status == "ok")
    return row


def attempt_rows(trace: Any, call_id: str, started: int) -> list[Row]:
    """One row per attempt of a call that made more than one: who was tried, when, for how long, and how
    it ended. Usage and cost stay on the call's row."""
    if trace is None or len(trace.attempts) < 2:
        return []
    rows: list[Row] = []
    at = started
    for attempt in trace.attempts:
        waited = _micros(attempt.waited) or 0
        duration = _micros(attempt.duration) or 0
        at += waited
        row: list[Any] = [None] * _WIDTH
        provider, model = _split(attempt.model)
        row[_INDEX["id"]] = uuid7(at)
        row[_INDEX["parent_id"]] = call_id
        row[_INDEX["kind"]] = "attempt"
        row[_INDEX["started_at"]] = at
        row[_INDEX["ended_at"]] = at + duration
        row[_INDEX["provider"]] = provider
        row[_INDEX["requested"]] = attempt.model
        row[_INDEX["model"]] = model
        row[_INDEX["status"]] = "ok" if attempt.error is None else "error"
        row[_INDEX["error_class"]] = attempt.error_type
        row[_INDEX["status_code"]] = attempt.status_code
        for bucket in ("stream", "partial", "input", "cache_read", "cache_write", "cache_write_1h", "output",
                       "reasoning", "usage_estimated"):
            row[_INDEX[bucket]] = 0
        row[_INDEX["duration_us"]] = duration
        row[_INDEX["waited_us"]] = waited
        rows.append(tuple(row))
        at += duration
    return rows


def _json(value: Any) -> str | None:
    if value is None:
        return None
    from modelplex._serde import unstructure

    data = unstructure(value)
    if isinstance(data, dict):
        data.pop("raw", None)  # the provider's own reply: kept in the response, not twice here
        data.pop("trace", None)  # in calls.route
    return scrub(json.dumps(data, default=str, separators=(",", ":")))


def record(call: Any, outcome: Any, *, content: bool = False, now: float | None = None) -> Record:
    """The rows of one call. ``now`` (``time.time()``) stands in for the start of a call that does not
    say when it started."""
    duration = _micros(outcome.duration) or 0
    if call.started:
        started = round(call.started * 1_000_000)
    else:
        started = round((time.time() if now is None else now) * 1_000_000) - duration
    call_id = uuid7(started)
    rows = (tuple(call_row(call, outcome, call_id, started)), *attempt_rows(outcome.trace, call_id, started))
    body = (call_id, _json(call.request), _json(outcome.response)) if content else None
    return Record(calls=rows, content=body)
