"""Awaiting a lifecycle hook's answer through a cancellation (``modelplex._call.shield``): shielded by
anyio where an anyio cancel scope could cancel the task, awaited as it is where none could (the
shortcut in ``docs/hot-paths.md``), with the same result either way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import anyio
import anyio.lowlevel
import pytest

from modelplex import (
    AsyncClient,
    CallInfo,
    CallOutcome,
    ChatRequest,
    ChatResponse,
    ProviderContext,
    ProviderInfo,
    TextPart,
)
from modelplex._call.shield import exposed, shielded
from modelplex.hookspecs import SPEC_VERSION, hookimpl


def test_only_tasks_an_anyio_scope_holds_are_exposed() -> None:
    seen: dict[str, bool] = {}

    async def main() -> None:
        seen["plain asyncio task"] = exposed()
        with anyio.CancelScope():
            seen["inside a cancel scope"] = exposed()
            await anyio.lowlevel.checkpoint()
        seen["after the scope"] = exposed()

        async def child() -> None:
            seen["a task group's task"] = exposed()

        async with anyio.create_task_group() as group:
            group.start_soon(child)

    asyncio.run(main())

    async def on_trio() -> None:
        seen["trio"] = exposed()

    anyio.run(on_trio, backend="trio")

    async def by_anyio() -> None:
        seen["anyio.run on asyncio"] = exposed()  # anyio knows the task, but no scope holds it

    anyio.run(by_anyio, backend="asyncio")
    assert seen == {"plain asyncio task": False, "inside a cancel scope": True, "after the scope": False,
                    "a task group's task": True, "trio": True, "anyio.run on asyncio": False}


def test_anyios_shield_does_not_hold_a_native_cancellation_so_skipping_it_changes_nothing() -> None:
    """What the shortcut rests on: on asyncio, ``task.cancel()`` goes through anyio's shield. If anyio
    ever holds it off, this fails, and the shortcut must go."""
    heard: list[str] = []

    async def wait(shield: bool) -> None:
        try:
            if shield:
                with anyio.CancelScope(shield=True):
                    await asyncio.sleep(1)
            else:
                await shielded(asyncio.sleep(1))
        except asyncio.CancelledError:
            heard.append(f"cancelled, shield={shield}")
            raise

    async def main() -> None:
        for shield in (True, False):
            task = asyncio.ensure_future(wait(shield))
            await asyncio.sleep(0.02)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    assert heard == ["cancelled, shield=True", "cancelled, shield=False"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_anyio_scope_cancelled_around_a_call_still_hears_the_observer_out(backend: str) -> None:
    """The usage log's case: the call is cancelled by an anyio scope while its observer's awaitable is
    pending; the observer still runs to its end (shielded, as the task is exposed)."""
    heard: list[str] = []

    class Provider:
        @hookimpl
        def modelplex_provider_info(self) -> ProviderInfo:
            return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

        @hookimpl
        def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
            async def answer() -> ChatResponse:
                return ChatResponse(provider="a", model=request.model, parts=(TextPart(text="hi"),))
            return answer()

    class SlowObserver:
        @hookimpl
        def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> Awaitable[None]:
            async def write() -> None:
                heard.append(f"start {outcome.status}")
                await anyio.sleep(0.1)  # the scope below is cancelled meanwhile
                heard.append("written")
            return write()

    async def main() -> None:
        plugins = {"a": Provider(), "log": SlowObserver()}
        async with AsyncClient(plugins=plugins, autoload=False, config_file=False, env={}) as client:
            with anyio.move_on_after(0.03):
                await client.chat("a/m", "x")
                heard.append("returned")

    anyio.run(main, backend=backend)
    # Unshielded, the scope's cancellation would have cut the observer short ("written" missing).
    assert heard[:2] == ["start ok", "written"]
