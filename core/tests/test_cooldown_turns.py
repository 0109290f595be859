"""The first turn after a cool-down (a half-open circuit breaker, ``modelplex/_cooldown.py``): when a
model's cool-down ends, one call tries it; the calls waiting for it, or arriving meanwhile, do not all
reach it at once. The stores (memory, and a real ``redis-server`` shared by several clients) and the
routing over them, with a provider that counts the requests it gets."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import modelplex
from modelplex import AsyncClient, ChatResponse, ProviderInfo, TextPart
from modelplex._cooldown import PROBE_POLL, CoolDownStore, MemoryCoolDownStore
from modelplex.errors import RoutingError, ServerError
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing.services import RedisServer

HAS_REDIS = RedisServer.available()
NEEDS_REDIS = pytest.mark.skipif(not HAS_REDIS, reason="redis-server is not installed "
                                                       "(apt-get install redis-server)")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if not HAS_REDIS:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer() as server:
        yield server.url


@pytest.fixture(params=["memory", pytest.param("redis", marks=NEEDS_REDIS)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[CoolDownStore]:
    if request.param == "memory":
        yield MemoryCoolDownStore()
        return
    from modelplex._redis import RedisCoolDownStore, connect

    shared = RedisCoolDownStore(connect(request.getfixturevalue("redis_url")), f"t{uuid.uuid4().hex[:8]}")
    yield shared
    await shared.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def cooled(store: CoolDownStore, key: str, period: float) -> None:
    await store.failure(key, "ServerError: down", threshold=1, period=period, retry_after=None)


@pytest.mark.anyio
async def test_one_turn_at_a_time_once_the_cool_down_ends(store: CoolDownStore) -> None:
    assert await store.probe("a/m", 5.0) is None  # never cooled down: no turn needed
    await cooled(store, "a/m", 0.2)
    cooling = await store.probe("a/m", 5.0)
    assert cooling is not None and 0 < cooling <= 0.2  # still cooling: not a turn
    await anyio.sleep(0.25)
    assert await store.probe("a/m", 5.0) == 0.0  # taken
    other = await store.probe("a/m", 5.0)
    assert other is not None and 4.0 < other <= 5.0  # another call's turn, for its lease
    assert (await store.get(["a/m"]))["a/m"].probing_until > time.time() + 4
    await store.release("a/m")  # ended without a verdict
    assert await store.probe("a/m", 5.0) == 0.0


@pytest.mark.anyio
async def test_a_turn_lapses_after_its_lease(store: CoolDownStore) -> None:
    await cooled(store, "a/m", 0.05)
    await anyio.sleep(0.1)
    assert await store.probe("a/m", 0.2) == 0.0
    assert await store.probe("a/m", 0.2)  # busy
    await anyio.sleep(0.25)
    assert await store.probe("a/m", 0.2) == 0.0  # the first holder never came back


@pytest.mark.anyio
async def test_an_answer_clears_the_turn_and_a_failure_cools_down_again(store: CoolDownStore) -> None:
    await cooled(store, "a/m", 0.05)
    await anyio.sleep(0.1)
    assert await store.probe("a/m", 5.0) == 0.0
    await store.success("a/m")
    assert await store.probe("a/m", 5.0) is None
    state = (await store.get(["a/m"]))["a/m"]
    assert (state.failures, state.until, state.probing_until) == (0, 0.0, 0.0)

    await cooled(store, "a/m", 0.05)
    await anyio.sleep(0.1)
    assert await store.probe("a/m", 5.0) == 0.0
    await cooled(store, "a/m", 30.0)  # the turn's call failed: cooling down again, the turn over
    again = await store.probe("a/m", 5.0)
    assert again is not None and 29 < again <= 30
    assert (await store.get(["a/m"]))["a/m"].probing_until == 0.0


class Flaky:
    """A provider whose answers follow ``script`` (``"fail"``: a 503, ``"ok"``: an answer; the last
    repeats), each after ``delay`` seconds; it keeps when each request started and ended."""

    def __init__(self, script: list[str], delay: float = 0.2) -> None:
        self.script = script
        self.delay = delay
        self.requests = 0
        self.spans: list[tuple[float, float]] = []

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            turn = self.script[min(self.requests, len(self.script) - 1)]
            self.requests += 1
            started = time.monotonic()
            try:
                await anyio.sleep(self.delay)
            finally:
                self.spans.append((started, time.monotonic()))
            if turn == "fail":
                raise ServerError("down", provider=ctx.name, model=request.model, status_code=503)
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text="back")])
        return run()


def flaky_client(plugin: Flaky, on_cooldown: str, **kwargs: Any) -> AsyncClient:
    routing = {"retries": 0, "cooldown_after": 1, "cooldown": 0.3, "deadline": 10,
               "on_cooldown": on_cooldown}
    return AsyncClient(plugins={"flaky": plugin}, autoload=False, env={}, chains={"c": ["flaky/m"]},
                       routing=routing, config_file=kwargs.pop("config_file", False), **kwargs)


async def herd(c: AsyncClient, calls: int) -> list[BaseException | ChatResponse]:
    got: list[BaseException | ChatResponse] = []

    async def one() -> None:
        try:
            got.append(await c.chat("chain/c", "hi"))
        except RoutingError as exc:
            got.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(calls):
            tg.start_soon(one)
    return got


@pytest.mark.anyio
async def test_the_calls_waiting_for_a_model_send_one_request_then_all_go() -> None:
    plugin = Flaky(["fail", "ok"])
    async with flaky_client(plugin, "wait") as c:
        with pytest.raises(RoutingError):
            await c.chat("chain/c", "first")  # 503: cooling down for 0.3 s
        got = await herd(c, 20)
    assert all(isinstance(r, ChatResponse) and r.text == "back" for r in got)
    assert plugin.requests == 1 + 20
    # One turn: the first request after the cool-down went alone, the other nineteen after its answer.
    spans = sorted(plugin.spans)
    turn = spans[1]
    assert all(start >= turn[1] for start, _ in spans[2:])


@pytest.mark.anyio
async def test_a_model_still_down_gets_one_request_per_cool_down_not_one_per_caller() -> None:
    plugin = Flaky(["fail", "fail", "fail", "ok"], delay=0.05)
    async with flaky_client(plugin, "wait") as c:
        with pytest.raises(RoutingError):
            await c.chat("chain/c", "first")
        got = await herd(c, 20)
    # The cool-down ended three times, and each time one call took the turn: two found the model still
    # down (and failed: no retries), the third an answer, after which the other seventeen went.
    assert sum(isinstance(r, RoutingError) for r in got) == 2
    assert sum(isinstance(r, ChatResponse) for r in got) == 18
    assert plugin.requests == 1 + 3 + 17
    spans = sorted(plugin.spans)
    for before, after in itertools.pairwise(spans[1:4]):  # the three turns, one after another
        assert after[0] >= before[1]
    assert all(start >= spans[3][1] for start, _ in spans[4:])


@pytest.mark.anyio
async def test_with_fail_the_others_fail_at_once_while_one_call_tries_the_model() -> None:
    plugin = Flaky(["fail", "ok"], delay=0.3)
    async with flaky_client(plugin, "fail") as c:
        with pytest.raises(RoutingError):
            await c.chat("chain/c", "first")
        await anyio.sleep(0.35)
        started = time.monotonic()
        got = await herd(c, 10)
        took = time.monotonic() - started
    answered = [r for r in got if isinstance(r, ChatResponse)]
    refused = [r for r in got if isinstance(r, RoutingError)]
    assert len(answered) == 1 and len(refused) == 9 and plugin.requests == 2
    for error in refused:
        assert error.retry_after == PROBE_POLL
        assert "another call is trying it first" in error.message
    assert took < 1.0


@pytest.mark.anyio
async def test_a_cancelled_turn_is_given_back_at_once() -> None:
    plugin = Flaky(["fail", "ok"], delay=5.0)
    async with flaky_client(plugin, "fail") as c:
        with pytest.raises(RoutingError):
            await c.chat("chain/c", "first")
        await anyio.sleep(0.35)
        with anyio.move_on_after(0.2):
            await c.chat("chain/c", "the turn, cancelled")
        plugin.delay = 0.0
        response = await c.chat("chain/c", "next")  # not refused for the cancelled call's lease
    assert response.text == "back" and plugin.requests == 3


@NEEDS_REDIS
@pytest.mark.anyio
async def test_clients_sharing_redis_share_the_turn(redis_url: str, tmp_path: Path) -> None:
    """Two clients (as two processes of a fleet would) over one Redis: one request after the
    cool-down in all, the other client's calls wait for its answer."""
    config = tmp_path / "config.toml"
    config.write_text(f'redis = "{redis_url}"\nredis_prefix = "t{uuid.uuid4().hex[:8]}"\n')
    first, second = Flaky(["fail", "ok"]), Flaky(["ok"])
    async with flaky_client(first, "wait", config_file=config) as one, \
            flaky_client(second, "wait", config_file=config) as two:
        with pytest.raises(RoutingError):
            await one.chat("chain/c", "first")
        await anyio.sleep(0.35)
        async with anyio.create_task_group() as tg:
            tg.start_soon(one.chat, "chain/c", "the turn")
            await anyio.sleep(0.05)  # one has taken the turn
            got = await herd(two, 5)
    assert all(isinstance(r, ChatResponse) for r in got)
    assert first.requests == 2 and second.requests == 5
    turn_answered = max(end for _, end in first.spans)
    assert all(start >= turn_answered for start, _ in second.spans)  # after the turn's answer
