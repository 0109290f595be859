"""A call cancelled before any of its attempts called its plugin used nothing (issue 15: "a cancelled
call settles what it used"): its usage row has no usage and no cost and is not partial, as the budget
ledger, which never counted it, says. One cancelled once an attempt is under way keeps its input,
estimated (``test_admission`` and ``test_lifecycle`` prove that half).

Real HTTP on loopback: the ``openai-like`` plugin against FaultServer, whose requests are counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import AttemptInfo, CallInfo, CallOutcome
from modelplex.hookspecs import hookimpl
from modelplex_testing.faults import FaultServer

PROMPT = "x" * 400
PRICES = 'prices = { input = "2", output = "8", effective = 2025-01-01 }'


def write_config(tmp_path: Path, server: FaultServer, extra: str = "") -> Path:
    text = ""
    for name in server.names:
        text += (f'[providers.{name}]\nplugin = "openai-like"\nbase_url = "{server.url(name)}"\n'
                 f'call_timeout = 5\n[models."{name}/m1"]\n{PRICES}\nmax_output = 1000\n')
    text += '[chains.pair]\nmodels = ["a/m1", "b/m1"]\n[routing]\nretries = 0\n' + extra
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


class Heard:
    """Every call's outcome, as the usage store hears it."""

    def __init__(self) -> None:
        self.outcomes: list[CallOutcome] = []
        self.one = asyncio.Event()

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.outcomes.append(outcome)
        self.one.set()


class Stall:
    """An admitter per attempt that keeps an attempt waiting (as a budget's reservation waits for its
    ledger) once ``when(seen, attempt)`` says so; ``waiting`` is set then."""

    def __init__(self, when: Any) -> None:
        self.when = when
        self.waiting = asyncio.Event()
        self.seen = 0

    @hookimpl
    def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> Awaitable[None]:
        return self._maybe(attempt)

    async def _maybe(self, attempt: AttemptInfo) -> None:
        self.seen += 1
        if self.when(self.seen, attempt):
            self.waiting.set()
            await asyncio.Event().wait()  # until cancelled


def cancelled_while_stalled(config: Path, stall: Stall, first: str | None, address: str) -> list[CallOutcome]:
    """``first`` called (if given), then a call to ``address`` in the same task, cancelled while it is
    stalled; the outcomes heard."""
    heard = Heard()

    async def main() -> None:
        async with modelplex.AsyncClient(config_file=config, env={}) as client:
            client.registry.register("stall", stall)
            client.registry.register("heard", heard)

            async def calls() -> None:
                if first is not None:
                    await client.chat(first, PROMPT)  # sent: the task's context holds its marker
                await client.chat(address, PROMPT)

            task = asyncio.create_task(calls())
            await asyncio.wait_for(stall.waiting.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    return heard.outcomes


def assert_used_nothing(outcome: CallOutcome) -> None:
    assert outcome.status == "cancelled"
    assert (outcome.usage, outcome.cost, outcome.partial) == (None, None, False)


def test_a_call_cancelled_waiting_for_its_rate_limit_after_a_call_that_was_sent_used_nothing(
        tmp_path: Path) -> None:
    # No admitter per attempt: only an observer. The second call waits for room under a limit of one
    # request a minute, in the task whose context still holds the first call's (sent) marker.
    heard = Heard()

    async def main() -> None:
        config = write_config(tmp_path, server, '[chains.solo]\nmodels = ["a/m1"]\n[limits.a]\nrpm = 1\n')
        async with modelplex.AsyncClient(config_file=config, env={}) as client:
            client.registry.register("heard", heard)

            async def calls() -> None:
                await client.chat("chain/solo", PROMPT)
                await client.chat("chain/solo", PROMPT)

            task = asyncio.create_task(calls())
            await asyncio.wait_for(heard.one.wait(), 5)
            await asyncio.sleep(0.2)  # the second call is waiting for the limiter
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    with FaultServer(["a", "b"]) as server:
        asyncio.run(main())
        sent = len(server.requests("a"))
    first, second = heard.outcomes
    assert sent == 1 and first.status == "ok"
    assert_used_nothing(second)


def test_a_call_cancelled_while_its_attempt_is_admitted_used_nothing(tmp_path: Path) -> None:
    stall = Stall(lambda seen, _: seen == 2)
    with FaultServer(["a", "b"]) as server:
        outcomes = cancelled_while_stalled(write_config(tmp_path, server), stall, "a/m1", "a/m1")
        sent = len(server.requests("a"))
    assert sent == 1
    assert_used_nothing(outcomes[1])


def test_a_chain_cancelled_while_admitting_its_next_model_after_one_failed_used_nothing(
        tmp_path: Path) -> None:
    # a/m1 was sent and failed (an error is released, not billed); b/m1 is being admitted when the call
    # is cancelled: a/m1's marker must not make it look as if b/m1's prompt had gone out.
    stall = Stall(lambda _, attempt: attempt.address == "b/m1")
    with FaultServer(["a", "b"], script={"a": ["500"]}) as server:
        [outcome] = cancelled_while_stalled(write_config(tmp_path, server), stall, None, "chain/pair")
        sent = (len(server.requests("a")), len(server.requests("b")))
    assert sent == (1, 0)
    assert_used_nothing(outcome)
