"""The call lifecycle (issue 11, item 6): ``modelplex_before_call`` and ``modelplex_after_call`` on every
registered plugin, for every path a call takes, exactly once; admitters that refuse, reservations
settled or released; observers that fail without breaking the call.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
import structlog

import modelplex
from modelplex import (
    AsyncClient,
    CallInfo,
    CallOutcome,
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    Finished,
    FinishReason,
    ModelInfo,
    ProviderContext,
    ProviderInfo,
    TextDelta,
    TextPart,
    Usage,
    UsageReported,
)
from modelplex._estimate import DEFAULT_OUTPUT_TOKENS
from modelplex.errors import (
    ConfigurationError,
    PluginConflictError,
    PluginIncompatibleError,
    RequestTimeoutError,
    ServerError,
    StreamInterruptedError,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing import FaultServer

USAGE = Usage(input=4, output=3)


class Provider:
    """Answers ``text``; fails with a server error for the prompt ``fail``; sleeps on ``slow``. Its
    stream sends its text in ``pieces`` pieces ``gap`` seconds apart."""

    def __init__(self, name: str, text: str = "hi there", pieces: int = 2, gap: float = 0.0) -> None:
        self.name, self.text, self.pieces, self.gap = name, text, pieces, gap

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    async def _maybe_fail(self, request: ChatRequest) -> None:
        prompt = request.messages[-1].text
        if prompt == "slow":
            await anyio.sleep(5)
        if prompt == "fail" or (prompt == "fail-a" and self.name == "a"):
            raise ServerError("overloaded", provider=self.name, model=request.model, status_code=500)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        async def answer() -> ChatResponse:
            await self._maybe_fail(request)
            return ChatResponse(provider=self.name, model=request.model, parts=(TextPart(text=self.text),),
                                usage=USAGE)
        return answer()

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Any:
        @asynccontextmanager
        async def opened() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            await self._maybe_fail(request)

            async def events() -> AsyncIterator[modelplex.StreamEvent]:
                for i in range(self.pieces):
                    yield TextDelta(text=f"{self.text}{i} ")
                    await anyio.sleep(self.gap)
                yield UsageReported(usage=USAGE)
                yield Finished(reason=FinishReason.STOP)
            yield events()
        return opened()

    @hookimpl
    def modelplex_embed(self, ctx: ProviderContext, request: EmbedRequest) -> Awaitable[EmbedResponse]:
        async def answer() -> EmbedResponse:
            return EmbedResponse(provider=self.name, model=request.model,
                                 vectors=[[0.5] for _ in request.inputs], usage=Usage(input=2))
        return answer()

    @hookimpl
    def modelplex_list_models(self, ctx: ProviderContext) -> Awaitable[list[ModelInfo]]:
        async def listed() -> list[ModelInfo]:
            return [ModelInfo(provider=self.name, id="m1")]
        return listed()


class Reservation:
    def __init__(self, log: list[tuple[str, CallOutcome]]) -> None:
        self.log = log

    def settle(self, outcome: CallOutcome) -> None:
        self.log.append(("settle", outcome))

    async def _release(self, outcome: CallOutcome) -> None:
        await anyio.lowlevel.checkpoint()
        self.log.append(("release", outcome))

    def release(self, outcome: CallOutcome) -> Awaitable[None]:
        return self._release(outcome)


class Recorder:
    """Records every call it is told of; reserves for each (asynchronously), and refuses the calls
    whose ``tags`` say ``refuse``."""

    def __init__(self) -> None:
        self.before: list[CallInfo] = []
        self.after: list[tuple[CallInfo, CallOutcome]] = []
        self.reservations: list[tuple[str, CallOutcome]] = []

    @hookimpl
    def modelplex_before_call(self, call: CallInfo) -> Awaitable[Reservation]:
        async def admit() -> Reservation:
            self.before.append(call)
            if call.tags.get("refuse"):
                raise ConfigurationError(f"budget spent for {call.caller}")
            return Reservation(self.reservations)
        return admit()

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.after.append((call, outcome))


def make(recorder: Recorder, **kwargs: Any) -> AsyncClient:
    plugins: dict[str, object] = {"a": Provider("a"), "b": Provider("b"), "rec": recorder}
    plugins.update(kwargs.pop("plugins", {}))
    return AsyncClient(plugins=plugins, autoload=False, config_file=False, env={},
                       chains={"ab": {"models": ["a/m", "b/m"], "retries": 0}}, **kwargs)


def once(recorder: Recorder) -> tuple[CallInfo, CallOutcome]:
    """The one call the recorder heard of, checked to be the same call before and after."""
    assert len(recorder.before) == 1 and len(recorder.after) == 1
    call, outcome = recorder.after[0]
    assert call is recorder.before[0]
    return call, outcome


# -- every path, each call seen once ---------------------------------------------------------------------
def test_a_direct_chat_is_seen_once_with_its_fields() -> None:
    rec = Recorder()

    async def main() -> ChatResponse:
        async with make(rec) as c:
            return await c.chat("a/m", "hello", max_tokens=10, tags={"team": "search"}, caller="svc-1")

    response = asyncio.run(main())
    call, outcome = once(rec)
    assert (call.kind, call.address, call.provider, call.model) == ("chat", "a/m", "a", "m")
    assert call.caller == "svc-1"
    assert call.tags == {"team": "search"} and isinstance(call.request, ChatRequest)
    assert call.request.options.max_tokens == 10 and call.estimated_tokens > 10  # prompt + max_tokens
    assert call.started > 0
    assert (outcome.status, outcome.provider, outcome.model, outcome.usage) == ("ok", "a", "m", USAGE)
    assert outcome.response is response and outcome.trace is response.trace and not outcome.partial
    assert outcome.duration > 0 and outcome.error is None
    assert [kind for kind, _ in rec.reservations] == ["settle"]


def test_a_chain_with_a_fallback_is_one_call_answered_by_the_second_model() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec) as c:
            await c.chat("chain/ab", "fail-a")

    asyncio.run(main())
    call, outcome = once(rec)
    assert (call.provider, call.model, call.address) == ("chain", "ab", "chain/ab")
    assert (outcome.status, outcome.provider, outcome.model) == ("ok", "b", "m")
    assert outcome.trace is not None and [a.model for a in outcome.trace.attempts] == ["a/m", "b/m"]


def test_a_stream_is_seen_once_with_its_time_to_first_token() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec, plugins={"a": Provider("a", gap=0.05)}) as c, \
                c.stream("a/m", "hello", caller="svc") as stream:
            assert (rec.before[0].kind, rec.after) == ("stream", [])  # admitted on entry
            await stream.get_response()

    asyncio.run(main())
    _, outcome = once(rec)
    assert outcome.status == "ok" and outcome.usage == USAGE and not outcome.partial
    assert outcome.time_to_first_token is not None and 0 <= outcome.time_to_first_token < outcome.duration
    assert outcome.duration >= 0.1 and outcome.response.text == "hi there0 hi there1 "


def test_an_embedding_and_a_model_listing_are_seen_once_each() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec) as c:
            await c.embed("a/e", ["one", "two"], tags={"k": "v"})
            await c.list_models("b")

    asyncio.run(main())
    assert [c.kind for c in rec.before] == ["embed", "list_models"]
    (embed, embedded), (listing, listed) = rec.after
    assert embed.estimated_tokens == 2 and embed.tags == {"k": "v"} and embedded.usage == Usage(input=2)
    assert (listing.address, listing.provider, listing.model, listing.request) == ("b", "b", None, None)
    assert listed.status == "ok" and [m.id for m in listed.response] == ["m1"]


def test_a_failed_call_is_seen_once_with_its_typed_error_and_releases_its_reservation() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec) as c:
            with pytest.raises(ServerError):
                await c.chat("a/m", "fail")

    asyncio.run(main())
    _, outcome = once(rec)
    assert outcome.status == "error" and isinstance(outcome.error, ServerError)
    assert outcome.provider is None and outcome.trace is outcome.error.trace
    assert [kind for kind, _ in rec.reservations] == ["release"]


def test_a_timeout_is_seen_once_as_a_timeout() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec, providers={"a": {"call_timeout": 0.1}}) as c:
            with pytest.raises(RequestTimeoutError):
                await c.chat("a/m", "slow")

    asyncio.run(main())
    _, outcome = once(rec)
    assert outcome.status == "error" and isinstance(outcome.error, RequestTimeoutError)


def test_a_call_cancelled_mid_call_is_seen_once_as_cancelled() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec) as c:
            task = asyncio.ensure_future(c.chat("a/m", "slow"))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    call, outcome = once(rec)
    assert outcome.status == "cancelled" and outcome.error is None and outcome.partial
    # The prompt may have reached the provider and be billed: its input is counted, estimated.
    prompt = call.estimated_tokens - DEFAULT_OUTPUT_TOKENS  # no max_tokens: the default reply size
    assert outcome.usage == Usage(input=prompt, estimated=True)
    assert [(kind, o.usage) for kind, o in rec.reservations] == [("settle", outcome.usage)]


def test_a_stream_cancelled_midway_settles_the_partial_usage_seen_so_far() -> None:
    rec = Recorder()
    got: list[str] = []

    async def read(c: AsyncClient) -> None:
        async with c.stream("a/m", "hello") as stream:
            async for text in stream.text_stream():
                got.append(text)

    async def main() -> None:
        async with make(rec, plugins={"a": Provider("a", text="abcdefgh", pieces=100, gap=0.02)}) as c:
            task = asyncio.ensure_future(read(c))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    _, outcome = once(rec)
    assert outcome.status == "cancelled" and outcome.partial and 0 < len(got) < 100
    assert outcome.usage is not None and outcome.usage.estimated  # the provider had not counted yet
    assert outcome.usage.output == -(-len("".join(got)) // 4) and outcome.usage.input > 0
    assert [(kind, o.usage) for kind, o in rec.reservations] == [("settle", outcome.usage)]


def test_a_stream_left_early_is_reported_partial() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec, plugins={"a": Provider("a", pieces=10)}) as c, c.stream("a/m", "hi") as stream:
            async for _ in stream:
                break

    asyncio.run(main())
    _, outcome = once(rec)
    assert (outcome.status, outcome.partial, outcome.provider) == ("cancelled", True, "a")


# -- admitters and observers ------------------------------------------------------------------------------
class Wire:
    """A provider that really sends its requests: OpenAI's Chat Completions, to ``base_url``."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        async def answer() -> ChatResponse:
            body = {"model": request.model,
                    "messages": [{"role": "user", "content": request.messages[-1].text}]}
            reply = (await ctx.http.post(f"{ctx.settings.base_url}/chat/completions", json=body)).json()
            return ChatResponse(provider=ctx.name, model=request.model,
                                parts=(TextPart(text=reply["choices"][0]["message"]["content"]),))
        return answer()


async def refused(c: AsyncClient, kind: str) -> None:
    if kind == "chat":
        await c.chat("w/m1", "hello", tags={"refuse": "1"}, caller="svc")
    else:
        async with c.stream("w/m1", "hello", tags={"refuse": "1"}, caller="svc"):
            pass


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_a_refusing_admitter_stops_the_call_before_any_request(kind: str) -> None:
    rec = Recorder()

    async def main(url: str) -> None:
        async with make(rec, plugins={"w": Wire()}, providers={"w": {"base_url": url}}) as c:
            assert (await c.chat("w/m1", "allowed")).text.startswith("w: ")  # the wire works
            with pytest.raises(ConfigurationError, match="budget spent for svc") as info:
                await refused(c, kind)
            assert info.value is rec.after[-1][1].error

    with FaultServer(["w"]) as server:
        asyncio.run(main(server.url("w")))
        assert [e.prompt for e in server.requests()] == ["allowed"]  # the refused call sent nothing
    assert [o.status for _, o in rec.after] == ["ok", "error"]  # the refusal is reported, once


class Failing:
    """An observer that fails in every way it can."""

    @hookimpl
    def modelplex_before_call(self, call: CallInfo) -> None:
        raise RuntimeError("the usage database is down")

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> Awaitable[None]:
        async def fail() -> None:
            raise KeyError("oops")
        return fail()


def test_a_failing_observer_does_not_break_the_call_nor_keep_others_from_hearing() -> None:
    rec = Recorder()

    async def main() -> str:
        async with make(rec, plugins={"broken": Failing()}) as c:
            return (await c.chat("a/m", "hello")).text

    assert asyncio.run(main()) == "hi there"
    _, outcome = once(rec)
    assert outcome.status == "ok"


def test_without_lifecycle_plugins_the_machinery_is_off() -> None:
    async def main() -> None:
        async with AsyncClient(plugins={"a": Provider("a")}, autoload=False, config_file=False, env={}) as c:
            assert not c.registry.lifecycle.active
            await c.chat("a/m", "x")
            c.registry.register("rec", Recorder())  # registering one turns it on
            assert c.registry.lifecycle.active and "rec" in c.registry.lifecycle_plugins
            with pytest.raises(PluginConflictError):
                c.registry.register("rec", Recorder())

    asyncio.run(main())


def test_hooks_are_called_in_pluggys_order_and_reservations_end_last_first() -> None:
    order: list[str] = []

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        @hookimpl
        def modelplex_before_call(self, call: CallInfo) -> Any:
            order.append(f"before {self.name}")
            name = self.name

            class Held:
                def settle(self, outcome: CallOutcome) -> None:
                    order.append(f"settle {name}")
            return Held()

        @hookimpl
        def modelplex_after_call(self, outcome: CallOutcome) -> None:  # fewer arguments, as pluggy allows
            order.append(f"after {self.name}")

    async def main() -> None:
        plugins = {"a": Provider("a"), "first": Named("first"), "second": Named("second")}
        async with AsyncClient(plugins=plugins, autoload=False, config_file=False, env={}) as c:
            await c.chat("a/m", "x")

    asyncio.run(main())
    # Pluggy calls the most recently registered first; reservations end in the reverse order.
    assert order == ["before second", "before first", "settle first", "settle second", "after second",
                     "after first"]


def test_an_asynchronous_observer_is_heard_before_the_synchronous_ones_after_it() -> None:
    order: list[str] = []

    class Sync:
        @hookimpl
        def modelplex_after_call(self, call: CallInfo) -> None:
            order.append("after sync")

    class Async:
        @hookimpl
        def modelplex_after_call(self, call: CallInfo) -> Awaitable[None]:
            async def heard() -> None:
                order.append("after async")
            return heard()

    async def main() -> None:
        # Pluggy calls the most recently registered first: the asynchronous one, then the synchronous.
        plugins = {"a": Provider("a"), "sync": Sync(), "async": Async()}
        async with AsyncClient(plugins=plugins, autoload=False, config_file=False, env={}) as c:
            await c.chat("a/m", "x")

    asyncio.run(main())
    assert order == ["after async", "after sync"]


def test_a_lifecycle_plugin_is_found_through_its_entry_point(tmp_path: Path) -> None:
    (tmp_path / "usage_log.py").write_text(textwrap.dedent("""
        from modelplex.hookspecs import hookimpl

        SEEN = []

        @hookimpl
        def modelplex_after_call(call, outcome):
            SEEN.append((call.address, outcome.status))
    """))
    info = tmp_path / "usage_log-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: usage-log\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[modelplex.plugins]\nusage = usage_log\n")
    script = textwrap.dedent("""
        import asyncio, json, modelplex, usage_log

        async def main():
            async with modelplex.AsyncClient(config_file=False, env={}) as c:
                await c.chat("fake/m", "hello")
                # Installed lifecycle plugins (modelplex-store in the workspace) are found beside it.
                return c.registry.lifecycle_plugins["usage"].distribution, "usage" in c.registry.records
        print(json.dumps([*asyncio.run(main()), usage_log.SEEN]))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["usage-log", False, [["fake/m", "ok"]]]


class Cut(Provider):
    """Streams two pieces of text, then the connection is lost (no usage, no Finished)."""

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Any:
        @asynccontextmanager
        async def opened() -> AsyncIterator[AsyncIterator[modelplex.StreamEvent]]:
            async def events() -> AsyncIterator[modelplex.StreamEvent]:
                yield TextDelta(text="12345678")
                yield TextDelta(text="9")
            yield events()
        return opened()


def test_a_cut_stream_is_an_error_with_the_partial_usage_settled() -> None:
    rec = Recorder()

    async def main() -> None:
        async with make(rec, plugins={"a": Cut("a")}) as c:
            with pytest.raises(StreamInterruptedError):
                await read_all(c)

    asyncio.run(main())
    _, outcome = once(rec)
    assert (outcome.status, outcome.partial, type(outcome.error)) == ("error", True, StreamInterruptedError)
    assert outcome.usage is not None and outcome.usage.estimated and outcome.usage.output == 3  # 9 chars
    assert [kind for kind, _ in rec.reservations] == ["settle"]  # tokens were used: they are counted


async def read_all(c: AsyncClient) -> None:
    async with c.stream("a/m", "hello") as stream:
        await stream.get_response()


def test_an_async_def_lifecycle_hook_is_refused() -> None:
    class Async:
        @hookimpl
        async def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
            """Would return a coroutine pluggy cannot await."""

    with pytest.raises(PluginIncompatibleError, match="async def"):
        modelplex.Registry({"x": Async()}, autoload=False)


class Leaky:
    """An observer whose failure message carries a key (its store's connection string, say)."""

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        raise RuntimeError(f"could not write to postgres://u:{KEY}@db/usage with key {KEY}")


KEY = "sk-lifecycle-SECRET-0123456789abcdef"


def test_a_failing_observer_is_logged_without_the_secret_it_carried() -> None:
    lines: list[dict[str, object]] = []

    def sink(_: object, __: str, event: dict[str, object]) -> dict[str, object]:
        lines.append(dict(event))
        raise structlog.DropEvent

    structlog.configure(processors=[sink])
    try:
        async def main() -> str:
            async with make(Recorder(), plugins={"leaky": Leaky()}) as c:
                return (await c.chat("a/m", "hello")).text

        assert asyncio.run(main()) == "hi there"
    finally:
        structlog.reset_defaults()
    failed = [line for line in lines if line.get("event") == "lifecycle_hook_failed"]
    assert [(line["plugin"], line["hook"]) for line in failed] == [("leaky", "modelplex_after_call")]
    assert "RuntimeError" in str(failed[0]["error"]) and KEY not in repr(lines)


class TagWriter:
    """An observer that writes into the tags of each call it hears of (a plugin it should not trust)."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        try:
            call.tags["seen"] = "yes"  # type: ignore[index]
        except TypeError as exc:
            self.refused.append(type(exc).__name__)


def test_a_plugin_writing_into_an_untagged_calls_tags_does_not_tag_the_next_call() -> None:
    """Every call made without tags shares one empty mapping: it is read-only, so no plugin can tag
    all later calls by writing into it. A call's own tags are its own copy."""
    recorder, writer = Recorder(), TagWriter()
    given = {"team": "a"}

    async def main() -> None:
        async with make(recorder, plugins={"writer": writer}) as client:
            await client.chat("a/m", "hello")
            await client.chat("a/m", "hello")
            await client.chat("a/m", "hello", tags=given)

    asyncio.run(main())
    assert [dict(call.tags) for call, _ in recorder.after] == [{}, {}, {"team": "a", "seen": "yes"}]
    assert writer.refused == ["TypeError", "TypeError"]
    assert given == {"team": "a"}
