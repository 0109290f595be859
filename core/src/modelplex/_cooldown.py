"""Cool-downs: a model (or provider) that keeps failing, or answers 429 with ``Retry-After``, is taken out of
a chain's rotation for a while, then tried again. The state is kept in a :class:`CoolDownStore` (memory,
or Redis to share it) and shown by ``client.health()`` and ``modelplex health``.

Keys are ``provider/model`` for calls and ``provider`` for health probes. Only failures that say
something about the model's availability count: retryable errors (rate limits, server and transport
errors) and unreadable answers. A success clears the state.

When a model's cool-down ends, one call tries it first (its *turn*, :meth:`CoolDownStore.probe`): the
calls that waited for it (``on_cooldown = "wait"``), or that arrive meanwhile, do not all reach a model
that may still be down, or still limiting, at the same instant. They move on to the chain's next model,
or wait (polling every :data:`PROBE_POLL` seconds) until that call's answer clears the state or cools
the model down again. A turn ends with its call (a failure that does not count, a cancellation) and
lapses after its lease, so a call that died with it holds nobody up for long.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

import attrs

from modelplex._secret import scrub
from modelplex.errors import (
    LocalRateLimitError,
    ModelplexError,
    RateLimitError,
    ResponseParseError,
)

_MAX_ERROR = 500
#: How often a call waiting for another's turn at a model looks again, seconds (and the retry-after it
#: is told when it does not wait).
PROBE_POLL = 0.25


@attrs.frozen(kw_only=True)
class CoolDownState:
    """What is known of one key. Times are Unix times (``time.time()``)."""

    failures: int = 0
    until: float = 0.0
    last_error: str | None = None
    last_error_at: float | None = None
    last_ok_at: float | None = None
    #: A call's turn at the key after its cool-down ended lasts until then (0: nobody's).
    probing_until: float = 0.0


def half_open(state: CoolDownState, now: float) -> bool:
    """Whether ``state``'s cool-down has ended without an answer since: the next call takes a turn."""
    return 0.0 < state.until <= now


class CoolDownStore(Protocol):
    async def failure(self, key: str, error: str, *, threshold: int, period: float,
                      retry_after: float | None) -> None:
        """Count a failure; cool the key down for ``period`` once ``threshold`` failures in a row are
        reached, and for ``retry_after`` (if given) at once."""

    async def success(self, key: str) -> None:
        """The key answered: its failures and any cool-down are cleared."""

    async def get(self, keys: Iterable[str]) -> dict[str, CoolDownState]:
        """The state of those of ``keys`` that have any."""

    async def probe(self, key: str, lease: float) -> float | None:
        """Take the turn at ``key`` for ``lease`` seconds: ``0.0`` when taken; ``None`` when no turn is
        needed (never cooled down, or answered since); else the seconds until another's turn (or the
        cool-down) ends."""

    async def release(self, key: str) -> None:
        """End a turn taken with :meth:`probe` whose call neither answered nor failed in a way that
        counts (the state is left as it was)."""

    async def all(self) -> dict[str, CoolDownState]: ...

    async def aclose(self) -> None: ...


class MemoryCoolDownStore:
    """Cool-downs of one process."""

    def __init__(self) -> None:
        self.states: dict[str, CoolDownState] = {}

    async def failure(self, key: str, error: str, *, threshold: int, period: float,
                      retry_after: float | None) -> None:
        now = time.time()
        old = self.states.get(key, CoolDownState())
        failures = old.failures + 1
        until = old.until
        if retry_after is not None:
            until = max(until, now + retry_after)
        if failures >= threshold:
            until = max(until, now + period)
        self.states[key] = CoolDownState(failures=failures, until=until, last_error=error,
                                         last_error_at=now, last_ok_at=old.last_ok_at)

    async def success(self, key: str) -> None:
        old = self.states.get(key)
        self.states[key] = CoolDownState(last_error=old.last_error if old else None,
                                         last_error_at=old.last_error_at if old else None,
                                         last_ok_at=time.time())

    async def get(self, keys: Iterable[str]) -> dict[str, CoolDownState]:
        return {k: self.states[k] for k in keys if k in self.states}

    async def probe(self, key: str, lease: float) -> float | None:
        state = self.states.get(key)
        if state is None or state.until <= 0.0:
            return None
        now = time.time()
        if state.until > now:
            return state.until - now
        if state.probing_until > now:
            return state.probing_until - now
        self.states[key] = attrs.evolve(state, probing_until=now + lease)
        return 0.0

    async def release(self, key: str) -> None:
        state = self.states.get(key)
        if state is not None and state.probing_until:
            self.states[key] = attrs.evolve(state, probing_until=0.0)

    async def all(self) -> dict[str, CoolDownState]:
        return dict(self.states)

    async def aclose(self) -> None:
        pass


def counts(error: BaseException) -> bool:
    """Whether ``error`` says the model may be unavailable (and so counts towards a cool-down)."""
    if isinstance(error, LocalRateLimitError):
        return False  # our own limit: the provider was never asked
    return bool(getattr(error, "is_retryable", False)) or isinstance(error, ResponseParseError)


def describe(error: BaseException) -> str:
    """The last error as stored and shown: its type and message, scrubbed of secrets, bounded."""
    message = error.message if isinstance(error, ModelplexError) else str(error)
    return scrub(f"{type(error).__name__}: {message}")[:_MAX_ERROR]


def retry_after(error: BaseException, limit: float) -> float | None:
    """The cool-down a 429 asks for, bounded by ``limit``."""
    if isinstance(error, RateLimitError) and not isinstance(error, LocalRateLimitError) \
            and error.retry_after is not None:
        return min(error.retry_after, limit)
    return None
