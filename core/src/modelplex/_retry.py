"""The routing policy: retries with back-off, the whole call's deadline, limits' behaviour and cool-downs."""

from __future__ import annotations

import random
from typing import Literal

import attrs

from modelplex.errors import ModelplexError, RateLimitError


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float | None) -> None:
    if value is not None and not value >= 0:
        raise ValueError(f"RoutingPolicy.{attribute.name} must be >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class RoutingPolicy:
    """How calls are retried and for how long, what a rate limit does, and when a model cools down.

    :param retries: further attempts on the same model after a retryable error (``err.is_retryable``:
        rate limits, server errors, transport errors). Authentication and bad-request errors are never
        retried. After a rate limit (429) a chain moves on to its next model at once.
    :param backoff: the ceiling of the first back-off, in seconds; it doubles with each retry up to
        ``max_backoff``, and the wait is drawn uniformly below it ("full jitter").
    :param max_retry_after: a ``Retry-After`` up to this many seconds is waited for; a longer one ends the
        attempts on that model (it cools down for that long instead).
    :param deadline: seconds for the whole call: every attempt, back-off and wait for a rate limit.
    :param on_limit: ``"wait"`` until a configured rate limit has room, or ``"fail"`` at once with
        :class:`~modelplex.errors.LocalRateLimitError`.
    :param cooldown_after: consecutive failures that take a model out of a chain's rotation.
    :param cooldown: seconds a model stays out of rotation; then it is tried again.
    :param on_cooldown: when every model of a chain is cooling down, ``"fail"`` at once with a
        :class:`~modelplex.errors.RoutingError` whose ``retry_after`` says when the first comes back, or
        ``"wait"`` for it (within the deadline) and try it. When a cool-down ends, one call tries the
        model first; the others wait for its answer (or fail at once) likewise.
    """

    retries: int = attrs.field(default=2)
    backoff: float = attrs.field(default=0.5, validator=_non_negative)
    max_backoff: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    deadline: float = attrs.field(default=600.0, validator=_non_negative)
    on_limit: Literal["wait", "fail"] = "wait"
    cooldown_after: int = 3
    cooldown: float = attrs.field(default=30.0, validator=_non_negative)
    on_cooldown: Literal["fail", "wait"] = "fail"

    def __attrs_post_init__(self) -> None:
        if self.retries < 0 or self.cooldown_after < 1:
            raise ValueError("RoutingPolicy: retries must be >= 0 and cooldown_after >= 1")
        if self.on_limit not in ("wait", "fail"):
            raise ValueError(f"RoutingPolicy.on_limit must be 'wait' or 'fail', got {self.on_limit!r}")
        if self.on_cooldown not in ("fail", "wait"):
            raise ValueError(f"RoutingPolicy.on_cooldown must be 'fail' or 'wait', got {self.on_cooldown!r}")

    def retry_delay(self, error: ModelplexError, retry: int, rng: random.Random) -> float | None:
        """Seconds to wait before retry number ``retry`` (0 for the first) after ``error``, or ``None``
        when the error must not be retried on the same model."""
        if not getattr(error, "is_retryable", False) or retry >= self.retries:
            return None
        ceiling = min(self.max_backoff, self.backoff * (2 ** retry))
        delay = rng.uniform(0.0, ceiling)
        after = error.retry_after if isinstance(error, RateLimitError) else None
        if after is not None:
            if after > self.max_retry_after:
                return None
            delay = max(delay, after)
        return delay
