"""Each key's request limits (``rpm``, ``concurrency``), counted by the core's rate limiter store: in
memory in one process, in Redis (the client's ``redis`` URL) across every gateway instance.

A request reserves when it is authenticated and settles when its response has ended (a stream's last
event included): it counts from its reservation to one window after its end, so that no window of the
upstream's clock sees more than the limit (see :mod:`modelplex._ratelimit`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from modelplex.errors import ConfigurationError
from modelplex_gateway.errors import GatewayError

if TYPE_CHECKING:
    from modelplex._ratelimit import LimitStore
    from modelplex_gateway.keys.record import KeyRecord

#: A minute, as ``rpm`` says; ``[gateway] rate_window`` shortens it for tests.
WINDOW = 60.0
#: How long a reservation a killed process left keeps counting.
LEASE = 600.0


class KeyLimits:
    """Reserves one request of a key against its limits in ``store``."""

    def __init__(self, store: LimitStore, window: float = WINDOW, lease: float = LEASE) -> None:
        self.store = store
        self.window = window
        self.lease = lease

    async def reserve(self, record: KeyRecord) -> Callable[[], Awaitable[None]] | None:
        """Count one request of ``record``'s key: returns what settles it (``None`` for a key without
        limits); raises a 429 :class:`GatewayError` with ``retry-after`` when the key has no room."""
        if record.rpm is None and record.concurrency is None:
            return None
        from modelplex._ratelimit import Bucket, RateLimits

        bucket = (Bucket(f"key:{record.id}", RateLimits(rpm=record.rpm, concurrency=record.concurrency,
                                                          window=self.window)),)
        token = uuid.uuid4().hex
        try:
            wait = await self.store.reserve(bucket, token, 0, self.lease)
        except ConfigurationError:
            # The shared counters cannot be reached: refuse (a limit unchecked is a limit not held),
            # retryable, without the store's error text.
            raise GatewayError(503, "overloaded_error", "the gateway cannot check this key's limits now; "
                               "try again", code="limits_unavailable", retry_after=1.0) from None
        if wait is not None:
            # Retrying after retry-after can succeed, so the SDKs' own retry is left to them.
            raise GatewayError(429, "rate_limit_error",
                               f"key {record.id} is over its limit ({_describe(record)}); retry after "
                               f"{wait:.2f} s", code="rate_limit_exceeded", retry_after=wait)

        async def settle() -> None:
            await self.store.settle(bucket, token, 0)
        return settle

    async def aclose(self) -> None:
        """Close the store (and its Redis connection, which is this class's own)."""
        await self.store.aclose()
        connection = getattr(self.store, "_redis", None)
        if connection is not None:
            await connection.aclose()


def _describe(record: KeyRecord) -> str:
    parts = []
    if record.rpm is not None:
        parts.append(f"{record.rpm} requests a minute")
    if record.concurrency is not None:
        parts.append(f"{record.concurrency} at once")
    return ", ".join(parts)
