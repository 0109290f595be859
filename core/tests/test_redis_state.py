"""Rate limits and cool-downs shared through a real Redis server (``redis-server``, started here).

Skipped, with the reason, only when the ``redis-server`` binary is not installed (CI installs it).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

import modelplex
from modelplex import ChatResponse, Client, ProviderInfo, RateLimits, TextPart
from modelplex._ratelimit import Bucket
from modelplex.errors import ConfigurationError
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing import fake
from modelplex_testing.services import RedisServer

pytestmark = pytest.mark.skipif(not RedisServer.available(),
                                reason="redis-server is not installed (apt-get install redis-server)")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with RedisServer() as server:
        yield server.url


def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def stores(url: str, pre: str) -> tuple[Any, Any]:
    from modelplex._redis import RedisCoolDownStore, RedisLimitStore, connect

    connection = connect(url)
    return RedisLimitStore(connection, pre), RedisCoolDownStore(connection, pre)


def test_concurrent_reservations_from_several_connections_never_exceed_the_limit(redis_url: str) -> None:
    pre = prefix()
    bucket = (Bucket("provider:x", RateLimits(rpm=50, window=30)),)

    async def go() -> list[float | None]:
        pairs = [stores(redis_url, pre) for _ in range(4)]  # four connections, as four processes
        results: list[float | None] = []

        async def one(limits: Any) -> None:
            results.append(await limits.reserve(bucket, uuid.uuid4().hex, 1, 60.0))
        async with anyio.create_task_group() as tg:
            for i in range(300):
                tg.start_soon(one, pairs[i % 4][0])
        for _, cooldowns in pairs:
            await cooldowns.aclose()
        return results
    results = anyio.run(go)
    assert sum(r is None for r in results) == 50
    assert all(r is not None and r > 0 for r in results if r is not None)


def test_a_settled_call_frees_its_concurrency_slot_and_stays_a_window_in_the_count(redis_url: str) -> None:
    pre = prefix()
    both = (Bucket("provider:y", RateLimits(rpm=2, concurrency=1, window=0.5)),)

    async def go() -> None:
        limits, cooldowns = stores(redis_url, pre)
        assert await limits.reserve(both, "one", 5, 60.0) is None
        assert await limits.reserve(both, "two", 5, 60.0) is not None  # one in flight at most
        await limits.settle(both, "one", 3)
        assert await limits.reserve(both, "two", 5, 60.0) is None
        await limits.settle(both, "two", 3)
        hint = await limits.reserve(both, "three", 5, 60.0)
        assert hint is not None and 0 < hint <= 0.5  # two requests in the window: wait for the first
        await anyio.sleep(hint + 0.05)
        assert await limits.reserve(both, "three", 5, 60.0) is None
        await cooldowns.aclose()
    anyio.run(go)


def test_tokens_are_reserved_then_settled_with_the_real_count(redis_url: str) -> None:
    pre = prefix()
    bucket = (Bucket("model:z/m", RateLimits(tpm=100, window=30)),)

    async def go() -> None:
        limits, cooldowns = stores(redis_url, pre)
        assert await limits.reserve(bucket, "a", 80, 60.0) is None
        assert await limits.reserve(bucket, "b", 80, 60.0) is not None
        await limits.settle(bucket, "a", 10)  # it used 10, not 80
        assert await limits.reserve(bucket, "b", 80, 60.0) is None
        assert await limits.reserve(bucket, "c", 20, 60.0) is not None  # 90 counted: 20 more is too many
        await cooldowns.aclose()
    anyio.run(go)


class Counting:
    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            await anyio.sleep(0.02)
            with self.lock:
                self.now -= 1
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text="ok")])
        return run()


def test_two_clients_on_two_event_loops_share_one_concurrency_limit(redis_url: str) -> None:
    counting = Counting()
    pre = prefix()

    def run_client() -> None:
        with Client(plugins={"cnt": counting}, autoload=False, config_file=False, env={},
                    limits={"cnt": {"concurrency": 2}}, redis=redis_url) as c:
            _use_prefix(c, pre)

            async def many() -> None:
                async with anyio.create_task_group() as tg:
                    for _ in range(15):
                        tg.start_soon(c.async_client.chat, "cnt/m", "hi")
            c._run(many)  # on the sync client's own event loop

    threads = [threading.Thread(target=run_client) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert counting.most == 2


def _use_prefix(c: Client, pre: str) -> None:
    """Keys of this test only, in the server the module's tests share."""
    import attrs

    c.async_client.routing = attrs.evolve(c.async_client.routing, prefix=pre)


def test_cool_downs_recorded_by_one_client_are_seen_by_another(redis_url: str, tmp_path: Any) -> None:
    config = tmp_path / "config.toml"
    pre = prefix()
    config.write_text(f'redis = "{redis_url}"\nredis_prefix = "{pre}"\n'
                      '[routing]\nretries = 0\ncooldown_after = 1\ncooldown = 30\n'
                      '[providers.a]\nplugin = "fake"\n'
                      'script = [{error = {status = 503, message = "down"}}]\n'
                      '[providers.b]\nplugin = "fake"\n'
                      '[chains.c]\nmodels = ["a/echo", "b/echo"]\n')
    with Client(plugins={"fake": fake}, autoload=False, env={}, config_file=config) as first:
        assert first.chat("chain/c", "1").provider == "b"
    with Client(plugins={"fake": fake}, autoload=False, env={}, config_file=config) as second:
        response = second.chat("chain/c", "2")
        assert second.async_client.context("a").state.get("turn", 0) == 0, "a/echo was left out"
        states = {h.target: h for h in second.health()}
    assert response.provider == "b"
    assert [s.model for s in response.trace.skipped] == ["a/echo"]  # type: ignore[union-attr]
    assert states["a/echo"].state == "cooling_down" and 28 < states["a/echo"].cooling_down_for <= 30
    assert states["a/echo"].last_error == "ServerError: a/echo: down (HTTP 503)"


def test_an_unreachable_redis_is_a_typed_error() -> None:
    with Client(plugins={"fake": fake}, autoload=False, env={}, config_file=False,
                redis="redis://127.0.0.1:9/0", limits={"fake": {"rpm": 10}}) as c, \
            pytest.raises(ConfigurationError, match="the Redis server that shares rate limits"):
        c.chat("fake/echo", "hi")


def test_redis_is_imported_only_when_configured() -> None:
    import subprocess
    import sys

    code = ("import sys, modelplex\nfrom modelplex_testing import fake_client\n"
            "with fake_client() as c: c.chat('fake/echo', 'x')\nprint('redis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_waiting_for_a_shared_window_respects_it(redis_url: str) -> None:
    starts: list[float] = []

    class Timed(Counting):
        @hookimpl
        def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
            starts.append(time.monotonic())
            return super().modelplex_chat(ctx, request)

    with Client(plugins={"cnt": Timed()}, autoload=False, config_file=False, env={},
                limits={"cnt": {"rpm": 3, "window": 0.5}}, redis=redis_url) as c:
        _use_prefix(c, prefix())
        for _ in range(7):
            c.chat("cnt/m", "hi")
    assert len(starts) == 7
    assert starts[6] - starts[0] >= 1.0 - 0.05  # 7 requests at 3 per 0.5 s: two full windows
    for i in range(len(starts) - 3):
        assert starts[i + 3] - starts[i] >= 0.5 - 0.05
