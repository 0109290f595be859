"""The direct branch tells the lifecycle of a call from inside its attempt's coroutine
(``Direct.call`` given the lifecycle and the ``CallInfo``, a ``docs/hot-paths.md`` shortcut); a
``modelplex_before_attempt`` admitter sends the same call through the general path
(``Calls._observed``). Both must hear the same things: the same outcome for an answer, an error, a
timeout, a cancellation mid-call and a refusal, and the same reservations settled or released."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_lifecycle import Provider, Recorder, make
from test_lifecycle_fast import admitter

from modelplex import AsyncClient, AttemptInfo, CallInfo, CallOutcome
from modelplex.errors import ConfigurationError
from modelplex.hookspecs import hookimpl


class AttemptAdmitter:
    """Admits every attempt, reserving nothing: its only effect is to send calls the general way."""

    @hookimpl
    def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> None:
        return None


def _heard(outcome: CallOutcome) -> dict[str, Any]:
    """What an observer can compare between two calls: every field, the error by type and message,
    durations and the response's identity left out."""
    fields = outcome._asdict()
    error = fields.pop("error")
    fields["error"] = None if error is None else (type(error).__name__, str(error))
    fields.pop("duration")
    fields.pop("response")
    trace = fields.pop("trace")
    fields["answered_by"] = getattr(trace, "answered_by", None)
    return fields


Heard = tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]], str]


async def _one(general: bool, scenario: str) -> Heard:
    """What the observers and the reservations heard of one call, and what the caller got."""
    recorder = Recorder()
    plugins: dict[str, object] = {"gate": AttemptAdmitter()} if general else {}
    client = make(recorder, plugins=plugins, providers={"a": {"call_timeout": 0.2}})
    async with client:
        if scenario == "cancelled":
            task = asyncio.ensure_future(client.chat("a/m", "slow"))
            await asyncio.sleep(0.05)
            task.cancel()
            ended = (await asyncio.gather(task, return_exceptions=True))[0]
        else:
            prompt = {"ok": "hello", "error": "fail", "timeout": "slow", "refused": "hello"}[scenario]
            tags = {"refuse": "yes"} if scenario == "refused" else None
            try:
                ended = await client.chat("a/m", prompt, tags=tags)
            except BaseException as exc:  # whatever ended the call is compared
                ended = exc
    heard = [_heard(outcome) for _, outcome in recorder.after]
    settled = [(what, _heard(outcome)) for what, outcome in recorder.reservations]
    return heard, settled, type(ended).__name__


@pytest.mark.parametrize("scenario", ["ok", "error", "timeout", "cancelled", "refused"])
def test_the_direct_branch_tells_the_lifecycle_what_the_general_path_tells(scenario: str) -> None:
    direct = asyncio.run(_one(False, scenario))
    general = asyncio.run(_one(True, scenario))
    assert direct == general
    heard, settled, ended = direct
    assert len(heard) == 1  # told once, whatever the end
    expected_status = {"ok": "ok", "cancelled": "cancelled"}.get(scenario, "error")
    assert heard[0]["status"] == expected_status
    assert ended == {"ok": "ChatResponse", "error": "ServerError", "timeout": "RequestTimeoutError",
                     "cancelled": "CancelledError", "refused": "ConfigurationError"}[scenario]
    if scenario == "cancelled":  # the prompt was sent: its input is counted, estimated
        assert heard[0]["usage"] is not None and heard[0]["usage"].estimated and heard[0]["partial"]
    if scenario != "refused":
        assert [what for what, _ in settled] == ["settle" if scenario in ("ok", "cancelled") else "release"]
    else:
        assert settled == []


def test_the_two_clients_take_the_two_branches() -> None:
    # The comparison above is worth something only if the two clients take different branches.
    from modelplex._call.pipeline import Calls

    general_calls: list[CallInfo] = []
    original = Calls._observed

    def observed(watch: Any, make: Any) -> Any:
        general_calls.append(watch.call)
        return original(watch, make)

    taken = []
    for general in (False, True):
        general_calls.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Calls, "_observed", staticmethod(observed))
            asyncio.run(_one(general, "ok"))
        taken.append(len(general_calls))
    assert taken == [0, 1]




@pytest.mark.parametrize("general", [False, True], ids=["direct", "general"])
def test_a_calls_duration_runs_from_when_it_is_awaited(general: bool) -> None:
    # A call's awaitable made, then awaited a moment later: the time before it was awaited is not the call's.
    # The direct branch takes its start inside the attempt's coroutine, the general one makes its Watch as
    # the call path runs, which the client's own coroutine puts at the await; a client method returning
    # the path's awaitable unawaited would not.
    recorder = Recorder()
    plugins: dict[str, object] = {"gate": AttemptAdmitter()} if general else {}

    async def main() -> None:
        async with make(recorder, plugins=plugins) as client:
            made = client.chat("a/m", "hello")
            await asyncio.sleep(0.3)
            await made

    asyncio.run(main())
    [(_, outcome)] = recorder.after
    assert outcome.status == "ok" and outcome.duration < 0.25, outcome.duration


# -- the direct branch asks admitters and tells observers itself (docs/hot-paths.md) -------------------------
def _observer(name: str, how: str, log: list[str]) -> object:
    """An observer that answers ``how``: ``none``, ``async`` (something to await), ``broken`` (a bug)."""

    class Observer:
        @hookimpl
        def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> Any:
            log.append(f"after {name} {outcome.status}")
            if how == "broken":
                raise KeyError(name)
            if how == "async":
                async def later() -> None:
                    await asyncio.sleep(0)
                    log.append(f"after {name} awaited")
                return later()
            return None

    return Observer()


ADMITTERS = [(), ("none",), ("none", "none"), ("held",), ("none", "held"), ("async",),
             ("none", "async", "held"), ("refuse",), ("none", "refuse"), ("held", "refuse"), ("broken",),
             ("none", "broken", "held")]
OBSERVERS = [(), ("none",), ("none", "none"), ("async",), ("none", "async", "none"), ("broken", "none"),
             ("none", "broken", "async")]


async def _mixed(general: bool, admitters: tuple[str, ...], observers: tuple[str, ...]
                 ) -> tuple[list[str], str]:
    log: list[str] = []
    plugins: dict[str, object] = {"a": Provider("a")}
    plugins.update({f"p{i}": admitter(f"p{i}", how, log) for i, how in enumerate(admitters)})
    plugins.update({f"o{i}": _observer(f"o{i}", how, log) for i, how in enumerate(observers)})
    if general:
        plugins["gate"] = AttemptAdmitter()
    client = AsyncClient(plugins=plugins, autoload=False, config_file=False, env={})
    async with client:
        try:
            ended = type(await client.chat("a/m", "hello")).__name__
        except ConfigurationError as refusal:
            ended = f"{type(refusal).__name__}: {refusal}"
    return log, ended


# Each id names its side: ("none", "none") admitters with one "none" observer and one admitter with two
# observers were both "none-none-none", one node id for two tests (and the matrix's count one short).
@pytest.mark.parametrize("observers", OBSERVERS, ids=lambda m: "observers=" + ("-".join(m) or "nobody"))
@pytest.mark.parametrize("admitters", ADMITTERS, ids=lambda m: "admitters=" + ("-".join(m) or "nobody"))
def test_the_direct_branch_asks_and_tells_as_the_general_path_does(admitters: tuple[str, ...],
                                                                   observers: tuple[str, ...]) -> None:
    """Whatever the admitters answer (nothing, a reservation, one to await, a refusal, a bug) and the
    observers do (nothing, something to await, a bug), in any order: the same hooks are asked in the
    same order, the same reservations settled or released, the caller gets the same."""
    direct = asyncio.run(_mixed(False, admitters, observers))
    general = asyncio.run(_mixed(True, admitters, observers))
    assert direct == general
    log, ended = direct
    refused = any(how == "refuse" for how in admitters)
    assert ended.startswith("ConfigurationError") if refused else ended == "ChatResponse"
    told = [line for line in log if line.startswith("after ") and not line.endswith("awaited")]
    assert len(told) == len(observers)  # every observer told once, a broken one included
    assert sum(line.endswith("awaited") for line in log) == observers.count("async")
