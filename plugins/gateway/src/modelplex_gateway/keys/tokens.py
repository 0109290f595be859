"""Each key's tokens a minute (``tpm``), by the core's rate limiter store: in memory in one process, in
Redis across every gateway instance, the same counters as the key's ``rpm``.

Tokens are known only after a call, so each attempt reserves its estimate before it is sent (the core's
figure for token limits: the prompt by characters plus the call's ``max_tokens``, or the core's default
reply when it gives none) and settles with the upstream's own count when it ends: the count then stands
for one window after the end (see :mod:`modelplex._ratelimit`), so no window of the upstream's clock
sees more than the limit as long as no reply outgrows its reservation, which a ``max_tokens`` bounds.
The reservation is made in the client's ``modelplex_before_attempt`` hook, so every route and every
attempt (a retry, each model of a chain) is counted, and a refused attempt sends nothing.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from modelplex.errors import ConfigurationError
from modelplex.hookspecs import hookimpl
from modelplex_gateway.errors import KeyLimitsUnavailable, KeyTokensExceeded

if TYPE_CHECKING:
    from modelplex import CallOutcome
    from modelplex._ratelimit import Bucket
    from modelplex_gateway.keys.limits import KeyLimits
    from modelplex_gateway.keys.record import KeyRecord


class TokenReservation:
    """One attempt's tokens held in its key's bucket until it ends."""

    __slots__ = ("bucket", "limits", "token", "tokens")

    def __init__(self, limits: KeyLimits, bucket: Bucket, token: str, tokens: int) -> None:
        self.limits, self.bucket, self.token, self.tokens = limits, bucket, token, tokens

    async def settle(self, outcome: CallOutcome) -> None:
        """The attempt answered (or was cut): count what the upstream counted, the reservation when it
        counted nothing."""
        usage = outcome.usage
        used = usage.total if usage is not None else 0
        await self._end(used or self.tokens)

    async def release(self, outcome: CallOutcome) -> None:
        """The attempt failed: count what it used before failing, if the upstream said."""
        usage = outcome.usage
        await self._end(usage.total if usage is not None else 0)

    async def _end(self, tokens: int) -> None:
        # The shared counters down: the reservation counts until its lease ends.
        with contextlib.suppress(ConfigurationError):
            await self.limits.store.settle((self.bucket,), self.token, tokens)


class KeyTokens:
    """The plugin that admits each attempt of a key's call against the key's ``tpm``.

    ``known`` gives the record of a key id the gateway authenticated (its cache).
    """

    def __init__(self, known: Callable[[str], KeyRecord | None], limits: KeyLimits) -> None:
        self._known = known
        self._limits = limits

    @hookimpl
    def modelplex_before_attempt(self, call: Any, attempt: Any) -> Any:
        """Reserve the attempt's estimated tokens on its key (an awaitable), or ``None``."""
        caller = call.caller
        record = self._known(caller) if isinstance(caller, str) else None
        if record is None or record.tpm is None:
            return None
        return self.reserve(record, int(call.estimated_tokens), attempt.provider, attempt.model)

    async def reserve(self, record: KeyRecord, tokens: int, provider: str, model: str) -> TokenReservation:
        """Hold ``tokens`` of ``record``'s ``tpm``; :class:`KeyTokensExceeded` when there is no room."""
        from modelplex._ratelimit import Bucket, RateLimits

        assert record.tpm is not None
        if tokens > record.tpm:
            raise KeyTokensExceeded(
                f"this request's estimated {tokens} tokens are more than key {record.id}'s limit of "
                f"{record.tpm} tokens a minute: lower max_tokens or shorten the input", provider=provider,
                model=model, retry_after=None, fits=False)
        limits = self._limits
        bucket = Bucket(f"key:{record.id}:tokens", RateLimits(tpm=record.tpm, window=limits.window))
        token = uuid.uuid4().hex
        try:
            wait = await limits.store.reserve((bucket,), token, tokens, limits.lease)
        except ConfigurationError:
            # A limit unchecked is a limit not held: refuse, as for the key's requests.
            raise KeyLimitsUnavailable(f"the gateway cannot check key {record.id}'s token limit now; "
                                       "try again") from None
        if wait is not None:
            raise KeyTokensExceeded(
                f"key {record.id} is over its limit ({record.tpm} tokens a minute); retry after "
                f"{wait:.2f} s", provider=provider, model=model, retry_after=wait)
        return TokenReservation(limits, bucket, token, tokens)
