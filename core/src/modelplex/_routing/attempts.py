"""The attempt loop of a routed call: each eligible candidate in turn, retried after a back-off on a
retryable error (a 429 moves on at once), rate limits reserved before each attempt and settled after,
every attempt admitted by ``modelplex_before_attempt`` (a refused candidate is skipped) and its
reservations settled or released after it, every attempt bounded by the call timeout and the whole by
the routing deadline."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio
import attrs

from modelplex._call.deadline import bounded
from modelplex._provider import DEFAULT_CALL_TIMEOUT
from modelplex._routing.candidates import Candidate, Route, candidates, eligible
from modelplex._routing.failures import exhausted, refused
from modelplex._routing.turns import held
from modelplex._trace import TraceBuilder
from modelplex.errors import (
    LocalRateLimitError,
    ModelplexError,
    RateLimitError,
    RequestTimeoutError,
)

if TYPE_CHECKING:
    from modelplex._call.admission import Admission, Held
    from modelplex._ratelimit import Reservation
    from modelplex._routing.router import Router

T = TypeVar("T")
_LEASE_MARGIN = 5.0


@attrs.define
class Outcome(Generic[T]):
    """The attempt that answered: its result, its candidate, its rate-limit reservation and trace."""

    result: T
    candidate: Candidate
    reservation: Reservation | None
    trace: TraceBuilder
    waited: float
    started: float
    deadline: float  # time.monotonic() at which the whole call must end
    held: Held = ()  # the admitters' reservations for this attempt (a stream's, settled at its end)
    admission: Admission | None = None


def call_timeout(router: Router, c: Candidate) -> float:
    try:
        return router.client.context(c.provider).settings.call_timeout
    except ModelplexError:
        return DEFAULT_CALL_TIMEOUT  # the attempt itself then raises the real error


def deadline_passed(c: Candidate, seconds: float) -> RequestTimeoutError:
    return RequestTimeoutError(f"no answer within the routing deadline ({seconds:g}s)", provider=c.provider,
                               model=c.model)


async def run(router: Router, route: Route, kind: str, options: object,
              tokens: Callable[[Candidate], int], reserve: int,
              attempt: Callable[[Candidate], Awaitable[T]],
              tokens_of: Callable[[T], int] | None, admission: Admission | None = None) -> Outcome[T]:
    """Try ``route``'s candidates until one answers; the exhausted error (with its trace) otherwise.

    ``tokens_of`` settles the reservations with the result's usage and records the success; ``None``
    leaves both to the caller (a stream, whose usage is known only at its end). ``admission`` (when a
    plugin implements ``modelplex_before_attempt``) is asked before each attempt, retries included.
    """
    async with held(router) as turns:  # its turns at models whose cool-down ended (turns.py)
        return await _run(router, route, kind, options, tokens, reserve, attempt, tokens_of, admission,
                          turns)


async def _run(router: Router, route: Route, kind: str, options: object,
               tokens: Callable[[Candidate], int], reserve: int,
               attempt: Callable[[Candidate], Awaitable[T]],
               tokens_of: Callable[[T], int] | None, admission: Admission | None,
               turns: set[str]) -> Outcome[T]:
    trace = TraceBuilder(route.address)
    policy = route.policy
    deadline = trace.started + policy.deadline

    def turn_lease(c: Candidate) -> float:
        return min(policy.deadline, call_timeout(router, c)) + _LEASE_MARGIN

    found = await candidates(router, route, trace)
    trace.candidates = [c.address for c in found]
    mark = len(trace.skipped)
    pool, soonest = await eligible(router, route, found, kind, options, tokens, trace,  # type: ignore[arg-type]
                                   turns, turn_lease)
    waited = 0.0
    while not pool and soonest is not None and policy.on_cooldown == "wait" \
            and time.monotonic() + soonest < deadline:
        # Every model cooling down: wait for the first to come back rather than fail at once every
        # call queued behind a short outage. The skips are read again, so the trace shows the last.
        slept = time.monotonic()
        await anyio.sleep(soonest + 0.001)
        waited += time.monotonic() - slept
        del trace.skipped[mark:]
        pool, soonest = await eligible(router, route, found, kind, options, tokens,  # type: ignore[arg-type]
                                       trace, turns, turn_lease)
    if not pool:
        raise exhausted(route, trace, [], soonest)
    tries: dict[str, int] = {}
    errors: list[ModelplexError] = []
    refusals: list[ModelplexError] = []
    limiter = router.limiter
    while pool:
        now = time.monotonic()
        if now >= deadline:
            errors.append(deadline_passed(pool[0], policy.deadline))
            break
        index, reservation = 0, None
        if limiter is not None:
            choices = [limiter.buckets(c.provider, c.model) for c in pool]
            lease = min(policy.deadline, max(call_timeout(router, c) for c in pool)) + _LEASE_MARGIN
            got, reservation, hint = await limiter.acquire(choices, reserve, lease, deadline,
                                                           wait=policy.on_limit == "wait")
            waited += time.monotonic() - now
            if got is None:
                c = pool[0]
                why = "now" if policy.on_limit == "fail" else "before the routing deadline"
                full = LocalRateLimitError(f"the configured rate limit leaves no room {why}; no request "
                                           "was sent", provider=c.provider, model=c.model, retry_after=hint)
                trace.attempt(c.address, 0.0, waited=waited, error=full)
                errors.append(full)
                break
            index = got
        c = pool[index]
        held: Held = ()
        if admission is not None:
            try:
                held = await admission.admit(c)
            except ModelplexError as refusal:  # this candidate may not be used: nothing is sent to it
                if reservation is not None:
                    await settle(router, reservation, 0)
                trace.skip(c.address, refusal.message)
                refusals.append(refusal)
                pool.pop(index)
                waited = 0.0
                continue
        started = time.monotonic()
        try:
            limit = call_timeout(router, c)
            whole = deadline - started < limit
            if whole:
                limit = max(0.0, deadline - started)

            def timed_out(c: Candidate = c, limit: float = limit, whole: bool = whole) -> RequestTimeoutError:
                if whole:
                    return deadline_passed(c, policy.deadline)
                return RequestTimeoutError(f"no answer within the call timeout ({limit:g}s)",
                                           provider=c.provider, model=c.model)

            result = await bounded(attempt(c), limit, timed_out)
        except BaseException as exc:
            duration = time.monotonic() - started
            if reservation is not None:
                await settle(router, reservation, 0)
            if held:
                assert admission is not None
                await admission.failed(held, c, exc, started)
            if not isinstance(exc, ModelplexError):
                raise  # cancelled, or interrupted: not a failure of the model
            trace.attempt(c.address, duration, waited=waited, error=exc)
            waited = 0.0
            if await router.failed(c.address, exc, policy):
                turns.discard(c.address)  # the failure ended the turn (cooling down again, or not yet)
            errors.append(exc)
            retry = tries.get(c.address, 0)
            tries[c.address] = retry + 1
            moving_on = isinstance(exc, RateLimitError) and len(pool) > 1
            delay = None if moving_on else policy.retry_delay(exc, retry, router.rng)
            if delay is None or time.monotonic() + delay >= deadline:
                pool.pop(index)
                continue
            await anyio.sleep(delay)
            waited = delay
            continue
        if tokens_of is not None:
            if reservation is not None:  # a provider that counted nothing keeps the estimate
                await settle(router, reservation, tokens_of(result) or reservation.tokens)
            if held:
                assert admission is not None
                await admission.answered(held, c, result, started)
            trace.attempt(c.address, time.monotonic() - started, waited=waited)
            # The turn's answer clears the state, even one another process's failures left behind.
            await router.succeeded(c.address, always=c.address in turns)
            turns.discard(c.address)
        return Outcome(result, c, reservation, trace, waited, started, deadline, held, admission)
    if refusals and not errors:
        raise refused(route, trace, refusals)
    raise exhausted(route, trace, errors, soonest)  # a refused retry is in the trace; the failure is raised


async def settle(router: Router, reservation: Reservation, tokens: int) -> None:
    """Settle a rate-limit reservation with what was used, even while being cancelled."""
    assert router.limiter is not None
    with anyio.CancelScope(shield=True):
        await router.limiter.settle(reservation, tokens)
