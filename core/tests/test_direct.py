"""The direct path (a ``provider/model`` call with no routing configured): the owner's hook called
without pluggy's dispatch, the shared deadline timer, the trace set on the plugin's fresh response.

Plugins here are small classes defined below, so what is under test is the core's alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import anyio
import pytest

from modelplex import (
    AsyncClient,
    ChatRequest,
    ChatResponse,
    ProviderContext,
    ProviderInfo,
    SecretHeaders,
    TextPart,
)
from modelplex._call.deadline import Deadlines
from modelplex.errors import ConfigurationError, RequestBuildError, RequestTimeoutError
from modelplex.hookspecs import SPEC_VERSION, hookimpl


def reply(text: str) -> ChatResponse:
    return ChatResponse(provider="p", model="m", parts=(TextPart(text=text),))


class Plugin:
    """Answers with the last user text after ``delays[text]`` seconds (none if not listed)."""

    def __init__(self, delays: dict[str, float] | None = None) -> None:
        self.delays = delays or {}
        self.calls = 0

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        self.calls += 1
        return self.answer(request)

    async def answer(self, request: ChatRequest) -> ChatResponse:
        text = request.messages[-1].text
        await anyio.sleep(self.delays.get(text, 0))
        return reply(text)


def make(plugin: object, call_timeout: float = 5.0) -> AsyncClient:
    return AsyncClient(plugins={"p": plugin}, autoload=False, config_file=False, env={},
                       providers={"p": {"call_timeout": call_timeout}})


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())  # type: ignore[arg-type]


# -- calls and traces -----------------------------------------------------------------------------------
def test_a_direct_call_answers_with_a_one_attempt_trace() -> None:
    async def main() -> None:
        async with make(Plugin()) as c:
            out = await c.chat("p/m", "hello")
        assert out.text == "hello"
        assert out.trace is not None
        assert (out.trace.address, out.trace.candidates, out.trace.answered_by) == ("p/m", ("p/m",), "p/m")
        assert [a.model for a in out.trace.attempts] == ["p/m"] and out.trace.attempts[0].error is None
        assert out.trace.duration >= out.trace.attempts[0].duration >= 0
    run(main)


class SameReply(Plugin):
    """Hands out the very same response object every time (a plugin caching its replies)."""

    shared = reply("cached")

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        async def answer() -> ChatResponse:
            return self.shared
        return answer()


def test_a_response_handed_out_twice_keeps_the_trace_of_the_first_call() -> None:
    async def main() -> None:
        async with make(SameReply()) as c:
            first = await c.chat("p/m", "a")
            trace = first.trace
            second = await c.chat("p/m", "b")
        assert first.trace is trace  # the second call did not change what the first caller holds
        assert second is not first and second == first
        assert second.trace is not None and second.trace is not trace
    run(main)


class RequestOnly(Plugin):
    """Takes only some of the hook's arguments, as pluggy allows."""

    @hookimpl
    def modelplex_chat(self, request: ChatRequest) -> Awaitable[ChatResponse]:  # type: ignore[override]
        return self.answer(request)


def test_an_implementation_taking_fewer_arguments_gets_only_those() -> None:
    async def main() -> None:
        async with make(RequestOnly()) as c:
            assert (await c.chat("p/m", "just the request")).text == "just the request"
    run(main)


class Wrapped(Plugin):
    @hookimpl(wrapper=True)
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Generator[
            None, Any, Any]:
        return (yield)


def test_registry_calls_directly_only_a_lone_plain_implementation() -> None:
    async def main() -> None:
        async with make(Plugin()) as c:
            impl = c.registry.implementation("p", "modelplex_chat")
            assert impl is not None and impl.argnames == ("ctx", "request")
            assert c.registry.implementation("p", "modelplex_embed") is None  # not implemented
            assert c.registry.implementation("p", "modelplex_chat_stream") is None
        async with make(Wrapped()) as c:
            assert c.registry.implementation("p", "modelplex_chat_stream") is None  # a wrapper
    run(main)


class Broken(Plugin):
    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        raise KeyError("choices")


def test_a_plugin_that_raises_before_its_awaitable_is_translated() -> None:
    async def main() -> None:
        async with make(Broken()) as c:
            with pytest.raises(RequestBuildError,
                               match=r"plugin 'p' failed while building the request .*KeyError") as info:
                await c.chat("p/m", "x")
        assert info.value.provider == "p" and info.value.model == "m"
    run(main)


def test_a_closed_client_refuses_direct_calls() -> None:
    async def main() -> None:
        c = make(Plugin())
        assert (await c.chat("p/m", "before")).text == "before"
        await c.aclose()
        with pytest.raises(ConfigurationError, match="closed"):
            await c.chat("p/m", "after")
    run(main)


# -- deadlines --------------------------------------------------------------------------------------------
def test_slow_calls_time_out_and_fast_ones_in_flight_beside_them_do_not() -> None:
    plugin = Plugin({"slow": 2.0, "quick": 0.05})

    async def main() -> None:
        async with make(plugin, call_timeout=0.3) as c:
            results = await asyncio.gather(
                *(c.chat("p/m", "slow" if i % 2 else "quick") for i in range(20)), return_exceptions=True)
            direct = c.router.direct("p/m")
            assert direct._deadlines is not None and len(direct._deadlines) == 0  # nothing left behind
            # A call started after all those ended still gets its deadline (the timer re-arms).
            with pytest.raises(RequestTimeoutError, match=r"call timeout \(0\.3s\)"):
                await c.chat("p/m", "slow")
        timeouts = [r for r in results if isinstance(r, RequestTimeoutError)]
        answers = [r for r in results if isinstance(r, ChatResponse)]
        assert len(timeouts) == 10 and {r.text for r in answers} == {"quick"} and len(answers) == 10
        assert all(e.trace is not None and e.trace.attempts[0].error_type == "RequestTimeoutError"
                   for e in timeouts)
    run(main)


def test_a_cancellation_from_outside_is_not_turned_into_a_timeout() -> None:
    async def main() -> None:
        async with make(Plugin({"slow": 5.0}), call_timeout=2.0) as c:
            task = asyncio.ensure_future(c.chat("p/m", "slow"))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert (await c.chat("p/m", "after")).text == "after"  # no stray cancellation left
    run(main)


def test_an_outer_timeout_stays_the_outer_one() -> None:
    async def main() -> None:
        async with make(Plugin({"slow": 5.0}), call_timeout=3.0) as c:
            with pytest.raises(TimeoutError):  # asyncio's own, not the provider's call timeout
                async with asyncio.timeout(0.1):
                    await c.chat("p/m", "slow")
    run(main)


def test_the_deadline_timer_cancels_only_what_is_due_and_rearms() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines(loop, 0.2)
        cancelled: list[str] = []

        async def call(name: str, seconds: float) -> None:
            task = asyncio.current_task()
            assert task is not None
            entry = deadlines.start(task)
            try:
                await asyncio.sleep(seconds)
            except asyncio.CancelledError:
                assert entry.fired
                task.uncancel()
                cancelled.append(name)
            finally:
                deadlines.end(entry)

        first = asyncio.ensure_future(call("first", 0.05))
        await asyncio.sleep(0.1)
        second = asyncio.ensure_future(call("second", 1.0))  # due at 0.3 s: after the first timer
        await asyncio.gather(first, second)
        assert cancelled == ["second"] and len(deadlines) == 0
    run(main)


def test_a_direct_call_under_trio_has_its_deadline_too() -> None:
    trio = pytest.importorskip("trio", reason="trio is in the core's test group; run: uv sync --group test")

    async def main() -> None:
        async with make(Plugin({"slow": 2.0}), call_timeout=0.2) as c:
            assert (await c.chat("p/m", "fast")).text == "fast"
            with pytest.raises(RequestTimeoutError):
                await c.chat("p/m", "slow")

    trio.run(main)


# -- what plugins keep --------------------------------------------------------------------------------
def test_memo_builds_once_and_secret_headers_show_no_value() -> None:
    from modelplex import ProviderSettings, Secret

    ctx = ProviderContext(ProviderSettings(name="p", plugin="p", api_key=Secret("sk-memo-secret-123456")))
    built: list[int] = []

    def build() -> SecretHeaders:
        built.append(1)
        return SecretHeaders({"Authorization": f"Bearer {ctx.api_key()}"})

    headers = ctx.memo("h", build)
    assert ctx.memo("h", build) is headers and built == [1]
    assert headers["Authorization"] == "Bearer sk-memo-secret-123456"  # the wire gets the value
    for shown in (repr(headers), str(headers), repr(ctx.state), f"{headers}"):
        assert "sk-memo" not in shown and "Authorization" in shown
