"""A call as rows: what the ``modelplex_after_call`` hook heard, turned into the ``calls`` row of the call,
the rows of its attempts (when it made more than one) and, if asked, its ``call_contents`` row.

In two steps, as they run in two processes: :func:`facts` reads, on the calling process's event loop,
what the rows need from the call and its outcome into one flat tuple of ``str``, ``int``, ``float``,
``bool`` and ``None`` (what the journal and the pipe carry: :mod:`marshal` writes it); :func:`build`
makes the rows from it, in the writer process. A call pays for the reading alone: moving the building
out took about a third off what recording cost the event loop (``docs/hot-paths.md``). What only the calling
process can do happens there: scrubbing the secrets it knows from tags and the routing trace, reading
the bodies when they are kept. The facts carry the random bits of the call's id, so that a call
delivered twice (a journal read again after a writer process died) has the same id, and is kept once.

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

from modelplex._catalog.cost import MONEY, ZERO
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


def uuid7(unix_micros: int, bits: int | None = None) -> str:
    """A UUID version 7 (RFC 9562) for a moment given in microseconds: ids sort by time. ``bits`` are
    its 74 random bits (rand_a, 12, and rand_b, 62), drawn here when not given."""
    millis = unix_micros // 1000 & 0xFFFF_FFFF_FFFF
    if bits is None:
        bits = _random.getrandbits(74)
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


def _json(value: Any) -> str | None:
    if value is None:
        return None
    from modelplex._serde import unstructure

    data = unstructure(value)
    if isinstance(data, dict):
        data.pop("raw", None)  # the provider's own reply: kept in the response, not twice here
        data.pop("trace", None)  # in calls.route
    return scrub(json.dumps(data, default=str, separators=(",", ":")))


# -- the calling process: facts --------------------------------------------------------------------------
#: What :func:`facts` returns: a flat tuple of ``str``, ``int``, ``float``, ``bool``, ``None`` and tuples of
#: them, in the order :func:`build` unpacks (the journal's payload: change both, and the version below).
Facts = tuple[Any, ...]
_NOTHING: dict[str, Any] = {}
#: The facts' first field; a journal holding another (rows, as before 2026-12-04) is read as rows.
FACTS_VERSION = "f1"


def _tag_facts(tags: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The call's tags, scrubbed here (the secrets are this process's), the ``store`` switch left out."""
    return tuple((scrub(str(key)), scrub(str(value))) for key, value in tags.items() if key != OFF_TAG)


def _trace_facts(provider: str, trace: Any) -> tuple[Any, ...]:
    """``(answered_by, the last model tried, the route in one line or None, the attempts or None)``: the
    route for a routed call (a chain, a retry elsewhere, a skip), the attempts when there were two or
    more (each ``(model, waited, duration, ok, error_type, status_code)``)."""
    attempts = trace.attempts
    route = (route_text(trace) if provider == "chain" or len(attempts) > 1 or trace.skipped else None)
    tried = (tuple((a.model, a.waited, a.duration, a.error is None, a.error_type, a.status_code)
                   for a in attempts) if len(attempts) > 1 else None)
    return trace.answered_by, attempts[-1].model if attempts else None, route, tried


#: The context the facts' amounts are written in, given (the cost engine's): ``str(Decimal)`` looks the
#: current one up, and in a task that has none yet (each of ``asyncio.gather``'s, each request a server
#: handles) makes one, a ``decimal.Context`` and two dicts that live as long as the task and that every
#: collection of the garbage collector walks meanwhile. ``to_eng_string`` with a context makes none; the
#: text it writes is the same number (``1.5E-7`` may read ``150E-9``), which is all :func:`build` reads.
_AMOUNTS = MONEY


def _cost_facts(cost: Any) -> tuple[Any, ...]:
    """A :class:`~modelplex.Cost`'s buckets as text (``None`` unknown), its status, price version and the
    provider's reported amount, in one frame rather than a helper's per amount: it runs on the event loop
    for every call. A bucket of no tokens is the pricing's one :data:`~modelplex._catalog.cost.ZERO`,
    known by identity: most of a call's buckets (the caches', the reasoning's), and ``to_eng_string``
    parses its arguments by keyword (``vgetargskeywords``), some 500 instructions a bucket."""
    a, b, c, d, e, f, reported = (cost.input, cost.cache_read, cost.cache_write, cost.cache_write_1h,
                                  cost.output, cost.reasoning, cost.reported)
    x, z = _AMOUNTS, ZERO
    return (None if a is None else "0" if a is z else a.to_eng_string(x),
            None if b is None else "0" if b is z else b.to_eng_string(x),
            None if c is None else "0" if c is z else c.to_eng_string(x),
            None if d is None else "0" if d is z else d.to_eng_string(x),
            None if e is None else "0" if e is z else e.to_eng_string(x),
            None if f is None else "0" if f is z else f.to_eng_string(x),
            cost.status, cost.price_version, None if reported is None else reported.to_eng_string(x))


def facts(call: Any, outcome: Any, *, content: bool = False, now: float | None = None) -> Facts:
    """What the rows of one call need, read from the hook's :class:`~modelplex.CallInfo` and
    :class:`~modelplex.CallOutcome` (tuples: unpacked, not read by name). ``now`` (``time.time()``)
    stands in for the start of a call that does not say when it started."""
    kind, address, provider, model, request, tags, caller, started = call
    (status, error, answered_provider, answered_model, usage, partial, duration, first_token, trace,
     response, cost) = outcome
    if not started:
        started = (time.time() if now is None else now) - duration
    if cost is None:  # a response's own, where an outcome has none (a plugin built it so)
        cost = getattr(response, "cost", None)
    # An enum's value read as its ``_value_``: ``value`` is a property written in Python (enum.py), two
    # frames a call; anything else standing in for a finish reason is taken as it is.
    finish = None if response is None else getattr(response, "finish_reason", None)
    if error is None:
        error_class = code = None
    else:
        error_class, code = type(error).__name__, getattr(error, "status_code", None)
        code = code if isinstance(code, int) else None
    reported = None if usage is None else usage.reported_cost
    # The admitters' decisions (policy, budgets), read where they are kept: see budgets/audit.py.
    decided = getattr(call, "__dict__", _NOTHING).get("decisions")
    return (FACTS_VERSION, _random.getrandbits(74), started, kind, address, provider, model, caller,
            _tag_facts(tags) if tags else None, status, partial, duration, first_token,
            answered_provider, answered_model, error_class, code,
            None if finish is None else str(getattr(finish, "_value_", finish)),
            None if usage is None else (usage.input, usage.cache_read, usage.cache_write,
                                        usage.cache_write_1h, usage.output, usage.reasoning,
                                        usage.estimated,
                                        None if reported is None else reported.to_eng_string(_AMOUNTS)),
            None if cost is None else _cost_facts(cost),
            None if trace is None else _trace_facts(provider, trace),
            columns(call, status == "ok") if decided else None,
            (_json(request), _json(response)) if content else None)


def _frames_module() -> Any:
    """``_frames`` (C: the journal's frames, and :func:`facts` read and framed at once for the calls it
    reads most), told the helpers it leaves the rest to; ``None`` where it was not built."""
    try:
        from modelplex_store import _frames
    except ImportError:
        return None
    _frames.configure(FACTS_VERSION, _random.getrandbits, _tag_facts, _trace_facts, columns, _json,
                      _AMOUNTS, ZERO)
    return _frames


#: See :func:`_frames_module`; journal.py frames calls with it.
FRAMES = _frames_module()

# -- the writer: rows ------------------------------------------------------------------------------------
# The columns build fills, as positions: a name looked up per column was a fifth of a row's time
# (test_rows.py compares the rows with rows built by column names).
(_ID, _PARENT_ID, _KIND, _STARTED_AT, _ENDED_AT, _PROVIDER, _REQUESTED, _MODEL, _CHAIN, _ROUTE, _CALLER,
 _STATUS, _ERROR_CLASS, _STATUS_CODE, _FINISH_REASON, _STREAM, _PARTIAL, _USAGE_ESTIMATED, _REPORTED,
 _COST_NANOS, _COST_STATUS, _PRICE_VERSION, _DURATION_US, _WAITED_US, _TTFT_US, _TAGS, _ADMISSION,
 _DENIED_BY) = (_INDEX[name] for name in (
    "id", "parent_id", "kind", "started_at", "ended_at", "provider", "requested", "model", "chain", "route",
    "caller", "status", "error_class", "status_code", "finish_reason", "stream", "partial",
    "usage_estimated", "reported_cost_nanos", "cost_nanos", "cost_status", "price_version", "duration_us",
    "waited_us", "ttft_us", "tags", "admission", "denied_by"))
_BUCKETS = tuple(_INDEX[b] for b in ("input", "cache_read", "cache_write", "cache_write_1h", "output",
                                     "reasoning"))
#: An attempt's id is its call's random bits plus its number times this (odd: every attempt of a call
#: has its own id, the same each time the call is built, as random as the call's own against others').
_ATTEMPT_STEP = 0x2545_F491_4F6C_DD1D_9
_BITS = (1 << 74) - 1


def _who(kind: str, provider: str, model: str | None, answered: tuple[str | None, str | None],
         trace: tuple[Any, ...] | None) -> tuple[str | None, str | None]:
    """The model that answered, as the routing trace names it (the core's outcome names a whole
    call's by its trace, a stream's by the model its events reported: the trace keeps the streamed and
    whole rows of one exchange the same); for a call that failed, the last one tried (so that a
    model's errors count against it), or the address's own."""
    if trace is not None and trace[0]:
        return _split(trace[0])
    if answered[0] is not None or answered[1] is not None:
        return answered
    if trace is not None and trace[1] is not None:
        return _split(trace[1])
    if kind == "list_models":
        return provider, None
    if provider == "chain":
        return None, None
    return provider, model


def _tags(tags: tuple[tuple[str, str], ...], row: list[Any]) -> None:
    rest = {}
    for key, value in tags:
        column = TAG_COLUMNS.get(key)
        if column is not None:
            row[_INDEX[column]] = value
        else:
            rest[key] = value
    if rest:
        row[_TAGS] = json.dumps(rest, sort_keys=True, separators=(",", ":"))


def _amount(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _cost(row: list[Any], usage: tuple[Any, ...] | None, cost: tuple[Any, ...] | None, partial: bool) -> None:
    if cost is not None:
        buckets = cost[:6]
        total = None if None in buckets else sum(map(Decimal, buckets), Decimal(0))
        row[_COST_NANOS] = _nanos(total)
        row[_COST_STATUS] = cost[6]
        row[_PRICE_VERSION] = cost[7]
        reported = cost[8]
    else:
        # No tokens counted (a model listing, a failure before any answer): nothing to pay, known.
        # Tokens without a cost: a price the engine did not know, so unknown, never 0.
        nothing = usage is None or (sum(usage[:6]) == 0 and not partial)
        row[_COST_NANOS] = 0 if nothing else None
        row[_COST_STATUS] = "exact" if nothing else "unknown"
        reported = None
    if reported is None and usage is not None:
        reported = usage[7]
    row[_REPORTED] = _nanos(_amount(reported))


def _attempt_rows(tried: tuple[tuple[Any, ...], ...], bits: int, call_id: str,
                  started: int) -> list[Row]:
    """One row per attempt of a call that made more than one: who was tried, when, for how long, and how
    it ended. Usage and cost stay on the call's row."""
    rows: list[Row] = []
    at = started
    for number, (name, waited_s, duration_s, ok, error_type, status_code) in enumerate(tried, 1):
        waited = _micros(waited_s) or 0
        duration = _micros(duration_s) or 0
        at += waited
        row: list[Any] = [None] * _WIDTH
        provider, model = _split(name)
        row[_ID] = uuid7(at, (bits + number * _ATTEMPT_STEP) & _BITS)
        row[_PARENT_ID] = call_id
        row[_KIND] = "attempt"
        row[_STARTED_AT] = at
        row[_ENDED_AT] = at + duration
        row[_PROVIDER] = provider
        row[_REQUESTED] = name
        row[_MODEL] = model
        row[_STATUS] = "ok" if ok else "error"
        row[_ERROR_CLASS] = error_type
        row[_STATUS_CODE] = status_code
        row[_STREAM] = row[_PARTIAL] = row[_USAGE_ESTIMATED] = 0
        for index in _BUCKETS:
            row[index] = 0
        row[_DURATION_US] = duration
        row[_WAITED_US] = waited
        rows.append(tuple(row))
        at += duration
    return rows


def build(facts: Facts) -> Record:
    """The rows of one call, from its :func:`facts` (in the writer process)."""
    (_, bits, started_s, kind, address, provider, model, caller, tags, status, partial, duration_s,
     first_token, answered_provider, answered_model, error_class, status_code, finish, usage, cost, trace,
     admission, content) = facts
    duration = _micros(duration_s) or 0
    started = round(started_s * 1_000_000)
    call_id = uuid7(started, bits)
    row: list[Any] = [None] * _WIDTH
    row[_ID] = call_id
    row[_KIND] = kind
    row[_STARTED_AT] = started
    row[_ENDED_AT] = started + duration
    row[_PROVIDER], row[_MODEL] = _who(kind, provider, model, (answered_provider, answered_model), trace)
    row[_REQUESTED] = address
    row[_CHAIN] = model if provider == "chain" else None
    row[_ROUTE] = None if trace is None else trace[2]
    row[_CALLER] = caller
    if tags:
        _tags(tags, row)
    row[_STATUS] = status
    row[_ERROR_CLASS] = error_class
    row[_STATUS_CODE] = status_code
    row[_FINISH_REASON] = finish
    row[_STREAM] = int(kind == "stream")
    row[_PARTIAL] = int(partial)
    if usage is None:
        for index in _BUCKETS:
            row[index] = 0
    else:
        for index, count in zip(_BUCKETS, usage, strict=False):
            row[index] = count
    row[_USAGE_ESTIMATED] = int(usage is not None and usage[6])
    _cost(row, usage, cost, partial)
    row[_DURATION_US] = duration
    row[_TTFT_US] = _micros(first_token)
    if admission is not None:
        row[_ADMISSION], row[_DENIED_BY] = admission
    tried = None if trace is None else trace[3]
    rows = (tuple(row), *_attempt_rows(tried, bits, call_id, started)) if tried else (tuple(row),)
    body = None if content is None else (call_id, content[0], content[1])
    return Record(calls=rows, content=body)


def record(call: Any, outcome: Any, *, content: bool = False, now: float | None = None) -> Record:
    """The rows of one call, read and built at once (a writer thread's way). ``now`` (``time.time()``)
    stands in for the start of a call that does not say when it started."""
    return build(facts(call, outcome, content=content, now=now))
