"""More calls at once than Redis connections: they wait for one, within the deadline, and none fails.

redis-py's default pool raised ``MaxConnectionsError`` past 100 connections in use, which Modelplex
reported as a non-retryable ``ConfigurationError`` while Redis was healthy (300 calls: 200 failed).
Against a real ``redis-server``; skipped only when the binary is not installed (CI installs it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import anyio
import pytest

from modelplex import RateLimits
from modelplex._ratelimit import Bucket
from modelplex.errors import ConfigurationError
from modelplex_testing.services import RedisServer

pytestmark = pytest.mark.skipif(not RedisServer.available(),
                                reason="redis-server is not installed (apt-get install redis-server)")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with RedisServer() as server:
        yield server.url


def test_three_hundred_calls_at_once_all_reach_redis(redis_url: str) -> None:
    from modelplex._redis import MAX_CONNECTIONS, RedisCoolDownStore, RedisLimitStore, connect

    pre = f"t{uuid.uuid4().hex[:8]}"
    bucket = (Bucket("provider:x", RateLimits(rpm=10_000, window=30)),)
    failures: list[str] = []
    reserved: list[float | None] = []

    async def go() -> None:
        connection = connect(redis_url, wait=30.0)
        limits, cooldowns = RedisLimitStore(connection, pre), RedisCoolDownStore(connection, pre)

        async def one(i: int) -> None:
            try:
                # A Lua script is slow enough that many run at once: each holds a connection.
                reserved.append(await limits.reserve(bucket, uuid.uuid4().hex, 1, 60.0))
                await cooldowns.success(f"p{i % 7}")
                await cooldowns.get([f"p{i % 7}"])
            except ConfigurationError as exc:
                failures.append(str(exc))

        async with anyio.create_task_group() as tg:
            for i in range(3 * MAX_CONNECTIONS):
                tg.start_soon(one, i)
        await cooldowns.aclose()

    anyio.run(go)
    assert failures == [], f"{len(failures)} of 300 failed, e.g. {failures[0]}"
    assert reserved == [None] * 300


def test_a_call_that_cannot_get_a_connection_within_the_wait_fails_typed(redis_url: str) -> None:
    """The wait is bounded: with every connection held past it, the call fails, typed and without
    the URL (which may hold a password)."""
    from modelplex._redis import RedisCoolDownStore, connect

    async def go() -> str:
        connection = connect(redis_url, wait=0.2)
        cooldowns = RedisCoolDownStore(connection, "held")
        pool = connection.connection_pool
        held = [await pool.get_connection() for _ in range(pool.max_connections)]  # type: ignore[no-untyped-call]
        try:
            with pytest.raises(ConfigurationError) as caught:
                await cooldowns.success("p")
        finally:
            for conn in held:
                await pool.release(conn)
            await cooldowns.aclose()
        return str(caught.value)

    message = anyio.run(go)
    assert "connection" in message.lower() and redis_url not in message
