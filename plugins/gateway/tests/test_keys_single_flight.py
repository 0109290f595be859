"""The check "was a key ever made?" is made once at a time per process (issue 17, F2 finding 2).

With no key configured every request asks it; its answer is kept ``ttl`` seconds. At each expiry, every
request in flight used to send its own query to a worker thread (5.4% of the gateway's CPU at 100 in
flight). Counted here at the database: SQLite's trace callback sees each statement it runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
from modelplex_gateway.app import create_app
from modelplex_gateway.keys.authenticator import KeyAuthenticator
from modelplex_gateway.keys.limits import KeyLimits
from modelplex_gateway.keys.store import KeyStore

import modelplex
from modelplex._ratelimit import MemoryLimitStore

IN_FLIGHT = 100
CHECK = "SELECT 1 FROM gateway_keys"


def test_a_burst_after_expiry_checks_the_database_once(tmp_path: Path) -> None:
    store = KeyStore(str(tmp_path / "store.db"))
    assert not store.any_key()  # opens and migrates the database before it is watched
    statements: list[str] = []
    store._db.conn.set_trace_callback(statements.append)
    now = [0.0]
    made = KeyAuthenticator(store, KeyLimits(MemoryLimitStore()), clock=lambda: now[0])

    async def main() -> tuple[list[int], int, list[int], int, list[int], int]:
        client = modelplex.AsyncClient(config_file=False, env={})
        app = create_app(client, authenticate=made)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:

                async def burst() -> list[int]:
                    replies = await asyncio.gather(*(http.get("/metrics") for _ in range(IN_FLIGHT)))
                    return [r.status_code for r in replies]

                def checks() -> int:
                    count = sum(CHECK in s for s in statements)
                    statements.clear()
                    return count

                first = await burst()
                first_checks = checks()
                cached = await burst()  # within the ttl: no query at all
                cached_checks = checks()
                now[0] += made.ttl * 2  # expired
                expired = await burst()
                return first, first_checks, cached, cached_checks, expired, checks()
        finally:
            await made.aclose()
            await client.aclose()

    first, first_checks, cached, cached_checks, expired, expired_checks = asyncio.run(main())
    assert first == cached == expired == [200] * IN_FLIGHT
    assert (first_checks, cached_checks, expired_checks) == (1, 0, 1)


def test_a_failed_check_refuses_every_waiter(tmp_path: Path) -> None:
    # The waiters share the one check's failure: each is refused (503), none served as "no keys".
    path = tmp_path / "store.db"
    store = KeyStore(str(path))
    assert not store.any_key()
    with sqlite3.connect(path) as other:  # the check now fails in the database: never fail open
        other.execute("DROP TABLE gateway_keys")
    made = KeyAuthenticator(store, KeyLimits(MemoryLimitStore()))

    async def main() -> list[httpx.Response]:
        client = modelplex.AsyncClient(config_file=False, env={})
        app = create_app(client, authenticate=made)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
                return list(await asyncio.gather(*(http.get("/metrics") for _ in range(IN_FLIGHT))))
        finally:
            await made.aclose()
            await client.aclose()

    replies = asyncio.run(main())
    assert [r.status_code for r in replies] == [503] * IN_FLIGHT
    assert {r.json()["error"]["code"] for r in replies} == {"keys_unavailable"}
