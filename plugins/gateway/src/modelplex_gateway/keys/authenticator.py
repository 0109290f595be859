"""The authenticator with virtual keys: which key a request carries, whether it may be used, and its
request limits.

A key is read from ``Authorization: Bearer <key>`` (OpenAI's SDK) or ``x-api-key`` (Anthropic's). The
admin key (the environment variable ``[gateway] admin_key_env`` names, by default
``MODELPLEX_GATEWAY_ADMIN_KEY``) is the administrator; any other key is looked up by its SHA-256.

Until a key was ever made and with no admin key set, the gateway stays one user's on their machine
(:func:`~modelplex_gateway.auth.authenticate_local`); from the first key on, every request needs one.

Revocation on every instance within a second: what a lookup found (a key, or no key) is kept
:data:`TTL` seconds in each process, then read again from the shared database; a revoked key is
therefore refused everywhere at most ``TTL`` plus one lookup after its revocation is committed. Lookups
of one key are made once at a time per process (the others wait for it), so a burst costs one query.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request

from modelplex_gateway.auth import Principal, authenticate_local
from modelplex_gateway.errors import GatewayError
from modelplex_gateway.keys.material import key_hash, same_hash

if TYPE_CHECKING:
    from modelplex_gateway.keys.limits import KeyLimits
    from modelplex_gateway.keys.record import KeyRecord
    from modelplex_gateway.keys.store import KeyStore

#: Seconds a lookup is trusted before the database is read again (the revocation delay's bound).
TTL = 0.5
#: Lookups kept per process; past it the cache starts afresh (random keys must not fill memory).
CACHE_MAX = 10_000
#: The principal of the admin key.
ADMIN = Principal(caller="admin", admin=True)
#: Where a request's settle callbacks wait for its end (see :mod:`modelplex_gateway.keys.middleware`).
SETTLE_KEY = "modelplex_gateway.keys.settle"
PRINCIPAL_KEY = "modelplex_gateway.keys.principal"


def presented_key(request: Request) -> str | None:
    """The key a request carries: ``Authorization: Bearer`` or ``x-api-key``."""
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    header = request.headers.get("x-api-key")
    return header.strip() if header and header.strip() else None


def _refused(message: str, code: str) -> GatewayError:
    return GatewayError(401, "authentication_error", message, code=code)


class KeyAuthenticator:
    """Authenticates requests by virtual key (see the module docstring)."""

    def __init__(self, store: KeyStore, limits: KeyLimits, *, admin_hash: str | None = None,
                 ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.limits = limits
        self.admin_hash = admin_hash
        self.ttl = ttl
        self.clock = clock
        self._found: dict[str, tuple[float, KeyRecord | None]] = {}
        self._by_id: dict[str, KeyRecord] = {}
        self._pending: dict[str, asyncio.Future[KeyRecord | None]] = {}
        self._configured: tuple[float, bool] = (float("-inf"), False)
        self._configured_pending: asyncio.Future[bool] | None = None
        #: What else closes with it (the budget plugin's ledger).
        self.closing: list[Callable[[], Awaitable[None]]] = []

    async def aclose(self) -> None:
        """Close the key store's connection, the limit store and what :attr:`closing` holds."""
        import anyio

        for close in (self.limits.aclose, *self.closing):
            with contextlib.suppress(Exception):  # closing a broken connection is not worth an error
                await close()
        await anyio.to_thread.run_sync(self.store.close)

    def known(self, key_id: str) -> KeyRecord | None:
        """The record of a key this process authenticated (the budget plugin reads it)."""
        return self._by_id.get(key_id)

    def forget(self, key_id: str) -> None:
        """Drop what this process knows of key ``key_id`` (it was revoked here: refuse it at once, not
        after the cache's ``ttl``; other processes take up to ``ttl``)."""
        self._by_id.pop(key_id, None)
        for hashed, (_, record) in list(self._found.items()):
            if record is not None and record.id == key_id:
                del self._found[hashed]

    async def __call__(self, request: Request) -> Principal:
        scope = request.scope
        admitted = scope.get(PRINCIPAL_KEY)
        if isinstance(admitted, Principal):  # a route asking twice reserves once
            return admitted
        principal = await self._principal(request)
        scope[PRINCIPAL_KEY] = principal
        return principal

    async def _principal(self, request: Request) -> Principal:
        presented = presented_key(request)
        hashed = None if presented is None else key_hash(presented)
        del presented  # only its hash goes further
        if hashed is not None and self.admin_hash is not None and same_hash(hashed, self.admin_hash):
            return ADMIN
        if not await self._keys_configured():
            return await authenticate_local(request)
        if hashed is None:
            raise _refused("this gateway needs a key: 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
                           "missing_api_key")
        record = await self._lookup(hashed)
        if record is None:
            raise _refused("this key is not known to the gateway", "invalid_api_key")
        reason = record.refusal(time.time())
        if reason is not None:
            raise _refused(f"{reason} (key {record.id})", "invalid_api_key")
        settle = await self.limits.reserve(record)
        if settle is not None:
            settles = request.scope.get(SETTLE_KEY)
            if isinstance(settles, list):
                settles.append(settle)
            else:  # no middleware to settle it at the end: settle now rather than leak it
                await settle()
        return record.principal()

    async def _keys_configured(self) -> bool:
        """Whether a key was ever made (read again every ``ttl`` until one was; true for good then).

        One check at a time per process, the others waiting for it: at each expiry every request in
        flight otherwise sent its own query to a worker thread."""
        at, configured = self._configured
        if configured or self.admin_hash is not None:
            return True
        now = self.clock()
        if now - at < self.ttl:
            return False
        pending = self._configured_pending
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if pending.cancelled():  # the request checking went away: check here
                    return await self._keys_configured()
                raise
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._configured_pending = future
        try:
            import anyio

            configured = await anyio.to_thread.run_sync(self.store.any_key)
        except Exception:
            future.set_exception(_unavailable())
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise _unavailable() from None
        except BaseException:
            future.cancel()
            raise
        finally:
            self._configured_pending = None
        self._configured = (self.clock(), configured)
        future.set_result(configured)
        return configured

    async def _lookup(self, hashed: str) -> KeyRecord | None:
        now = self.clock()
        found = self._found.get(hashed)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        pending = self._pending.get(hashed)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if pending.cancelled():  # the request looking it up went away: look it up here
                    return await self._lookup(hashed)
                raise
        future: asyncio.Future[KeyRecord | None] = asyncio.get_running_loop().create_future()
        self._pending[hashed] = future
        try:
            import anyio

            record = await anyio.to_thread.run_sync(self.store.find, hashed)
        except Exception:
            future.set_exception(_unavailable())
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise _unavailable() from None
        except BaseException:
            future.cancel()
            raise
        finally:
            self._pending.pop(hashed, None)
        if len(self._found) >= CACHE_MAX:
            self._found.clear()
        self._found[hashed] = (self.clock(), record)
        if record is not None:
            self._by_id[record.id] = record
        future.set_result(record)
        return record


def _unavailable() -> GatewayError:
    # The keys cannot be checked: refuse (never fail open), retryable, without the database's error text.
    return GatewayError(503, "overloaded_error", "the gateway cannot check keys now (its database is not "
                        "reachable); try again", code="keys_unavailable", retry_after=1.0)
