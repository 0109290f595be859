"""The routing trace: the models a call considered, those it skipped and why, each attempt, who answered.

Every :class:`~modelplex.ChatResponse` (and every stream, at its end) carries one in ``trace``; an error that
ends a call carries it in ``err.trace``.
"""

from __future__ import annotations

import time

import attrs

from modelplex._logging import enabled as logging_enabled
from modelplex._logging import log
from modelplex._secret import scrub
from modelplex._tuples import as_tuple


@attrs.frozen(kw_only=True)
class RouteSkip:
    """A candidate left out before any call to it, with the reason (``model`` is ``provider/model``)."""

    model: str
    reason: str


@attrs.frozen(kw_only=True)
class RouteAttempt:
    """One call to one model. ``error`` is the failure's message (scrubbed of secrets), ``None`` on success.

    ``waited`` is the time spent before the call (back-off, ``Retry-After``, a rate limit); ``duration``
    the call itself, both in seconds.
    """

    model: str
    duration: float = 0.0
    waited: float = 0.0
    error: str | None = None
    error_type: str | None = None
    status_code: int | None = None


@attrs.frozen(kw_only=True)
class RoutingTrace:
    """How one call was routed.

    ``address`` is what the caller asked for (``chain/fast`` or ``provider/model``); ``candidates`` the
    models considered, in order; ``answered_by`` the model that gave the answer (``None`` if none did);
    ``duration`` the whole call in seconds.
    """

    address: str
    candidates: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    skipped: tuple[RouteSkip, ...] = attrs.field(default=(), converter=as_tuple)
    attempts: tuple[RouteAttempt, ...] = attrs.field(default=(), converter=as_tuple)
    answered_by: str | None = None
    duration: float = 0.0

    @property
    def failures(self) -> tuple[RouteAttempt, ...]:
        return tuple(a for a in self.attempts if a.error is not None)

    def lines(self) -> list[str]:
        """The trace for people, one line per skip and attempt."""
        out = [f"route {self.address}: {len(self.candidates)} candidate(s), {len(self.attempts)} "
               f"attempt(s) in {self.duration:.2f}s"]
        out += [f"  skipped {s.model}: {s.reason}" for s in self.skipped]
        for a in self.attempts:
            waited = f" after waiting {a.waited:.2f}s" if a.waited >= 0.005 else ""
            result = f"failed: {a.error}" if a.error is not None else "answered"
            out.append(f"  {a.model}{waited}: {result} ({a.duration:.2f}s)")
        if self.answered_by is None:
            out.append("  no model answered")
        return out


class TraceBuilder:
    """Collects a trace while a call is routed; :meth:`build` freezes it."""

    __slots__ = ("address", "attempts", "candidates", "skipped", "started")

    def __init__(self, address: str) -> None:
        self.address = address
        self.started = time.monotonic()
        self.candidates: list[str] = []
        self.skipped: list[RouteSkip] = []
        self.attempts: list[RouteAttempt] = []

    def skip(self, model: str, reason: str) -> None:
        self.skipped.append(RouteSkip(model=model, reason=scrub(reason)))
        if logging_enabled():
            log("info", "route_skip", address=self.address, model=model, reason=reason)

    def attempt(self, model: str, duration: float, *, waited: float = 0.0,
                error: BaseException | None = None) -> None:
        if error is None:
            self.attempts.append(RouteAttempt(model=model, duration=duration, waited=waited))
        else:
            message = getattr(error, "message", None) or str(error) or type(error).__name__
            self.attempts.append(RouteAttempt(model=model, duration=duration, waited=waited,
                                              error=scrub(message), error_type=type(error).__name__,
                                              status_code=getattr(error, "status_code", None)))
        if logging_enabled():
            self._log(self.attempts[-1])

    def _log(self, attempt: RouteAttempt) -> None:
        """``-v``'s line for an attempt: the first, a retry of the model before it, or a fallback."""
        before = self.attempts[-2].model if len(self.attempts) > 1 else None
        kind = "first" if before is None else "retry" if before == attempt.model else "fallback"
        outcome = "answered" if attempt.error is None else f"failed: {attempt.error}"
        log("info", "route_attempt", address=self.address, model=attempt.model, kind=kind,
            outcome=outcome, ms=round(attempt.duration * 1000, 1), waited_ms=round(attempt.waited * 1000, 1))

    def build(self, answered_by: str | None) -> RoutingTrace:
        return RoutingTrace(address=self.address, candidates=tuple(self.candidates),
                            skipped=tuple(self.skipped), attempts=tuple(self.attempts),
                            answered_by=answered_by, duration=time.monotonic() - self.started)


def direct_trace(address: str, duration: float, error: BaseException | None = None) -> RoutingTrace:
    """The trace of a call to one model with no routing configured: one attempt."""
    if error is None:
        return RoutingTrace(address=address, candidates=(address,),
                            attempts=(RouteAttempt(model=address, duration=duration),), answered_by=address,
                            duration=duration)
    builder = TraceBuilder(address)
    builder.candidates.append(address)
    builder.attempt(address, duration, error=error)
    return attrs.evolve(builder.build(None), duration=duration)
