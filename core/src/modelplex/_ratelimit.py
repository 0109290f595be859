"""Client-side rate limits per provider and per model: requests and tokens per window, and concurrency.

A call reserves before it is sent, atomically across every limit that applies to it, and settles after
it ends. The counters live in a :class:`LimitStore`: in memory by default, in Redis when one is
configured (``modelplex._redis``), so several processes share them.

The rule that makes the limit hold at the provider, not only in the client: a request counts in the
window from its reservation until its end, and then for one more window after its end. A request that
waited (for a connection, on a slow network) between its reservation and its arrival is therefore never
out of the count while it might still arrive; any window of the provider's own clock sees at most the
limit. A reservation not settled (its process died) stops counting after its lease.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import attrs

if TYPE_CHECKING:
    import anyio

# How often a waiting call looks again when what blocks it has no known end (a call still in flight).
POLL = 0.02


def _positive_int(_: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"RateLimits.{attribute.name} must be a whole number >= 1, got {value!r}")


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"RateLimits.{attribute.name} must be > 0, got {value!r}")


@attrs.frozen(kw_only=True)
class RateLimits:
    """Limits for one provider or one model, applied before each call.

    ``rpm`` requests and ``tpm`` tokens (estimated at the call, settled with the provider's count) per
    ``window`` seconds (60: a minute; shorter only to test), and ``concurrency`` calls in flight.
    """

    rpm: int | None = attrs.field(default=None, validator=_positive_int)
    tpm: int | None = attrs.field(default=None, validator=_positive_int)
    concurrency: int | None = attrs.field(default=None, validator=_positive_int)
    window: float = attrs.field(default=60.0, validator=_positive)

    @property
    def empty(self) -> bool:
        return self.rpm is None and self.tpm is None and self.concurrency is None


@attrs.frozen
class Bucket:
    """One set of counters: ``key`` is ``provider:NAME`` or ``model:NAME/MODEL``."""

    key: str
    limits: RateLimits


@attrs.frozen
class Reservation:
    buckets: tuple[Bucket, ...]
    token: str
    tokens: int


class LimitStore(Protocol):
    """Where the counters live. Both methods act on all ``buckets`` at once, atomically."""

    async def reserve(self, buckets: Sequence[Bucket], token: str, tokens: int,
                      lease: float) -> float | None:
        """Count one request of ``tokens`` tokens under ``token`` in every bucket, if all have room.

        :returns: ``None`` when reserved; otherwise the seconds after which room may be found.
        """

    async def settle(self, buckets: Sequence[Bucket], token: str, tokens: int) -> None:
        """The request ended, having used ``tokens``: it leaves the concurrency count now and the
        window counts one window from now."""

    async def aclose(self) -> None: ...


class _Counters:
    __slots__ = ("done", "done_tokens", "pending")

    def __init__(self) -> None:
        self.pending: dict[str, tuple[float, int]] = {}  # token -> (lease end, tokens)
        self.done: deque[tuple[float, int]] = deque()  # (leaves the window at, tokens), in order
        self.done_tokens = 0

    def prune(self, now: float) -> None:
        done = self.done
        while done and done[0][0] <= now:
            self.done_tokens -= done.popleft()[1]
        if self.pending and min(end for end, _ in self.pending.values()) <= now:
            self.pending = {t: v for t, v in self.pending.items() if v[0] > now}

    def wait(self, limits: RateLimits, tokens: int, now: float) -> float:
        """0 when there is room for one more request of ``tokens``; else a wait hint."""
        wait = 0.0
        count = len(self.pending) + len(self.done)
        if limits.rpm is not None and count >= limits.rpm:
            must_leave = count - limits.rpm + 1
            wait = max(wait, self.done[must_leave - 1][0] - now if must_leave <= len(self.done) else POLL)
        if limits.tpm is not None:
            used = self.done_tokens + sum(t for _, t in self.pending.values())
            if used and used + tokens > limits.tpm:
                excess, hint = used + tokens - limits.tpm, POLL
                for leaves_at, spent in self.done:
                    excess -= spent
                    if excess <= 0:
                        hint = leaves_at - now
                        break
                wait = max(wait, hint)
        if limits.concurrency is not None and len(self.pending) >= limits.concurrency:
            wait = max(wait, POLL)
        return wait


class MemoryLimitStore:
    """The counters of one process, in memory: the default."""

    def __init__(self, clock: object = time.time) -> None:
        self._clock = clock
        self._counters: dict[str, _Counters] = {}

    def _now(self) -> float:
        now: float = self._clock()  # type: ignore[operator]
        return now

    async def reserve(self, buckets: Sequence[Bucket], token: str, tokens: int,
                      lease: float) -> float | None:
        now = self._now()
        wait = 0.0
        counters = [self._counters.setdefault(b.key, _Counters()) for b in buckets]
        for bucket, c in zip(buckets, counters, strict=True):
            c.prune(now)
            wait = max(wait, c.wait(bucket.limits, tokens, now))
        if wait > 0:
            return max(wait, 0.001)
        for c in counters:
            c.pending[token] = (now + lease, tokens)
        return None

    async def settle(self, buckets: Sequence[Bucket], token: str, tokens: int) -> None:
        now = self._now()
        for bucket in buckets:
            c = self._counters.get(bucket.key)
            if c is None or c.pending.pop(token, None) is None:
                continue  # its lease ran out: it no longer counts
            c.done.append((now + bucket.limits.window, tokens))
            c.done_tokens += tokens

    async def aclose(self) -> None:
        self._counters.clear()


class RateLimiter:
    """The limits by provider (``"openai"``) and by model (``"openai/gpt-4o"``) over one store.

    Calls of this process waiting for the same limits queue in order behind one gate, so only the
    first of them asks the store again; the others wait their turn.
    """

    def __init__(self, store: LimitStore, limits: Mapping[str, RateLimits]) -> None:
        self.store = store
        self.limits = {k: v for k, v in limits.items() if not v.empty}
        self._gates: dict[frozenset[str], anyio.Lock] = {}
        self._changed: anyio.Event | None = None

    def buckets(self, provider: str, model: str) -> tuple[Bucket, ...]:
        out = []
        by_provider = self.limits.get(provider)
        if by_provider is not None:
            out.append(Bucket(f"provider:{provider}", by_provider))
        address = f"{provider}/{model}"
        by_model = self.limits.get(address)
        if by_model is not None:
            out.append(Bucket(f"model:{address}", by_model))
        return tuple(out)

    async def acquire(self, choices: Sequence[tuple[Bucket, ...]], tokens: int, lease: float,
                      deadline: float | None, wait: bool) -> tuple[int | None, Reservation | None, float]:
        """Reserve for the first of ``choices`` (each a model's buckets) that has room, waiting for one
        if ``wait``, but not past ``deadline`` (a ``time.monotonic()`` value).

        :returns: the index chosen and its reservation (``None`` for a model without limits); or
            ``None`` and the wait hint in seconds when no choice has room in time.
        """
        if not choices[0]:
            return 0, None, 0.0
        import anyio

        keys = frozenset(b.key for buckets in choices for b in buckets)
        gate = self._gates.get(keys)
        if gate is None:
            gate = self._gates[keys] = anyio.Lock()
        async with gate:
            while True:
                hints = []
                for index, buckets in enumerate(choices):
                    if not buckets:
                        return index, None, 0.0
                    token = uuid.uuid4().hex
                    hint = await self.store.reserve(buckets, token, tokens, lease)
                    if hint is None:
                        return index, Reservation(tuple(buckets), token, tokens), 0.0
                    hints.append(hint)
                hint = min(hints)
                now = time.monotonic()
                if not wait or (deadline is not None and now >= deadline):
                    return None, None, hint
                pause = hint if deadline is None else min(hint, deadline - now)
                await self._changes(pause)

    async def _changes(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if a call of this process settles meanwhile."""
        import anyio

        if self._changed is None:
            self._changed = anyio.Event()
        with anyio.move_on_after(seconds):
            await self._changed.wait()

    async def settle(self, reservation: Reservation, tokens: int) -> None:
        await self.store.settle(reservation.buckets, reservation.token, tokens)
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()
