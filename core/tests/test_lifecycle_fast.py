"""The lifecycle's shortcuts (``docs/hot-paths.md``) give what the general path gives: the fast
constructors of ``CallInfo`` and ``CallOutcome`` build the objects the classes' own ``__init__`` builds,
and admitting without a coroutine (``Lifecycle.admit_now``) takes the same reservations, refuses and
releases the same way, as ``Lifecycle.admit``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import anyio.lowlevel
import attrs
import pytest

from modelplex import AsyncClient, CallInfo, CallOutcome, ChatRequest, Message, Usage
from modelplex._call.fast import new_call, new_outcome
from modelplex._call.lifecycle import Lifecycle
from modelplex._catalog.cost import Cost
from modelplex._trace import RoutingTrace
from modelplex.errors import ConfigurationError, ServerError
from modelplex.hookspecs import hookimpl


def test_the_fast_constructors_name_every_field_in_order() -> None:
    """A field added to either class must be added to its fast constructor too."""
    for build, cls in ((new_call, CallInfo), (new_outcome, CallOutcome)):
        assert list(inspect.signature(build).parameters) == [f.name for f in attrs.fields(cls)]


def test_the_fast_constructors_build_what_the_classes_build() -> None:
    request = ChatRequest(model="m", messages=(Message.user("hello there"),))
    fields: dict[str, Any] = {"kind": "chat", "address": "a/m", "provider": "a", "model": "m",
                              "request": request, "tags": {"user": "u1"}, "caller": "svc", "started": 1234.5}
    fast, slow = new_call(**fields), CallInfo(**fields)
    assert type(fast) is CallInfo and fast == slow and repr(fast) == repr(slow)
    assert attrs.asdict(fast) == attrs.asdict(slow)
    assert fast.estimated_tokens == slow.estimated_tokens > 0
    assert fast.decisions == [] and fast.decisions is fast.decisions  # made once, kept
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.kind = "stream"  # type: ignore[misc]
    assert attrs.evolve(fast, caller="other") == CallInfo(**{**fields, "caller": "other"})

    usage = Usage(input=4, output=3)
    outcome: dict[str, Any] = {
        "status": "error", "error": ServerError("x", provider="a", model="m", status_code=500),
        "provider": "a", "model": "m", "usage": usage, "partial": True, "duration": 0.25,
        "time_to_first_token": 0.125,
        "trace": RoutingTrace(address="a/m", candidates=("a/m",)), "response": object(),
        "cost": Cost(input=Decimal("0.1"), status="exact")}
    fast_outcome, slow_outcome = new_outcome(**outcome), CallOutcome(**outcome)
    assert type(fast_outcome) is CallOutcome and fast_outcome == slow_outcome
    assert repr(fast_outcome) == repr(slow_outcome)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast_outcome.status = "ok"  # type: ignore[misc]
    # The defaults, given one by one, are the class's defaults.
    defaults: dict[str, Any] = {f.name: f.default for f in attrs.fields(CallOutcome)}
    assert new_outcome(**{**defaults, "status": "ok"}) == CallOutcome(status="ok")


def test_fast_and_class_built_objects_mix_freely() -> None:
    # The fast constructors fill each object's __dict__ on the keys the class's instances share; objects
    # the class's own __init__ builds, and cached properties added later, must not disturb one another.
    request = ChatRequest(model="m", messages=(Message.user("hi"),))
    made = []
    for i in range(50):
        fields: dict[str, Any] = {"kind": "chat", "address": f"a/m{i}", "provider": "a", "model": f"m{i}",
                                  "request": request, "tags": {}, "caller": None, "started": float(i)}
        fast, slow = new_call(**fields), CallInfo(**fields)
        if i % 3 == 0:
            assert fast.estimated_tokens == slow.estimated_tokens
        if i % 5 == 0:
            fast.decisions.append(i)  # type: ignore[arg-type]
        made.append((fields, fast, slow))
    for i, (fields, fast, slow) in enumerate(made):
        assert fast == slow
        assert attrs.asdict(fast, recurse=False) == fields == attrs.asdict(slow, recurse=False)
        assert fast.decisions == ([i] if i % 5 == 0 else [])


# -- admitting with and without a coroutine --------------------------------------------------------------
class Held:
    """A reservation that notes how it ended."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def release(self, outcome: CallOutcome) -> None:
        self.log.append(f"release {self.name} {outcome.status}")

    def settle(self, outcome: CallOutcome) -> None:
        self.log.append(f"settle {self.name}")


def admitter(name: str, how: str, log: list[str]) -> object:
    """An admitter that answers ``how``: ``none``, ``held`` (a reservation at once), ``async`` (one to
    await), ``refuse`` / ``async-refuse`` (a typed refusal, at once or awaited), ``broken`` (a bug)."""

    class Admitter:
        @hookimpl
        def modelplex_before_call(self, call: CallInfo) -> Any:
            log.append(f"before {name}")
            if how == "held":
                return Held(name, log)
            if how == "refuse":
                raise ConfigurationError(f"{name} says no")
            if how == "broken":
                raise KeyError(name)
            if how in ("async", "async-refuse"):
                async def later() -> Held:
                    await anyio.lowlevel.checkpoint()
                    if how == "async-refuse":
                        raise ConfigurationError(f"{name} says no, later")
                    return Held(name, log)
                return later()
            return None

    return Admitter()


MIXES = [("none",), ("held",), ("async",), ("refuse",), ("broken",), ("held", "none", "held"),
         ("held", "async", "held"), ("async", "held", "async"), ("held", "refuse", "held"),
         ("held", "async-refuse", "held"), ("held", "broken", "async", "held"), ("async", "refuse"),
         ("held", "held", "async-refuse")]


def _lifecycle(mix: tuple[str, ...], log: list[str]) -> Lifecycle:
    plugins = {f"p{i}": admitter(f"p{i}", how, log) for i, how in enumerate(mix)}
    return AsyncClient(plugins=plugins, autoload=False, config_file=False, env={}).registry.lifecycle


async def _admitted(admit: Callable[[Lifecycle, CallInfo], Awaitable[Any] | Any], mix: tuple[str, ...]
                    ) -> tuple[list[str], list[str], str | None]:
    log: list[str] = []
    lifecycle = _lifecycle(mix, log)
    call = new_call("chat", "a/m", "a", "m", None, {}, None, 0.0)
    try:
        held = admit(lifecycle, call)
        if inspect.isawaitable(held):
            held = await held
    except ConfigurationError as refusal:
        return log, [], f"{type(refusal).__name__}: {refusal}"
    return log, [f"{plugin} {getattr(r, 'name', r)}" for plugin, r in held], None


@pytest.mark.parametrize("mix", MIXES, ids="-".join)
def test_admitting_without_a_coroutine_takes_what_admit_takes(mix: tuple[str, ...]) -> None:
    async def both() -> tuple[Any, Any]:
        return (await _admitted(lambda lc, call: lc.admit(call), mix),
                await _admitted(lambda lc, call: lc.admit_now(call), mix))

    general, fast = asyncio.run(both())
    assert fast == general
    log, held, refusal = fast
    # What both show is what the contract says: a refusal releases what the admitters before it
    # reserved, last taken first, and keeps nothing; otherwise every reservation is kept.
    how = {f"p{i}": h for i, h in enumerate(mix)}
    ran = [line.split()[1] for line in log if line.startswith("before")]
    reserved = [name for name in ran if how[name] in ("held", "async")]
    if refusal is not None:
        assert held == [] and how[ran[-1]].endswith("refuse")
        assert [line for line in log if line.startswith("release")] == [
            f"release {name} error" for name in reversed(reserved)]
    else:
        assert [h.split()[0] for h in held] == reserved == [n for n in ran if how[n] in ("held", "async")]
        assert len(held) == sum(h in ("held", "async") for h in mix)


def test_admitting_without_a_coroutine_answers_at_once_only_when_every_admitter_did() -> None:
    async def main() -> None:
        call = new_call("chat", "a/m", "a", "m", None, {}, None, 0.0)
        assert isinstance(_lifecycle(("held", "none", "broken"), []).admit_now(call), list)
        pending = _lifecycle(("held", "async"), []).admit_now(call)
        assert not isinstance(pending, list)
        assert len(await pending) == 2

    asyncio.run(main())


def test_a_cancellation_while_admitting_releases_what_the_fast_path_took() -> None:
    log: list[str] = []

    async def main() -> None:
        lifecycle = _lifecycle(("held", "async", "held"), log)  # pluggy: the last registered runs first
        call = new_call("chat", "a/m", "a", "m", None, {}, None, 0.0)
        pending = lifecycle.admit_now(call)
        assert not isinstance(pending, list)
        with anyio.move_on_after(0) as scope:  # cancelled at the async admitter's checkpoint
            await pending
        assert scope.cancelled_caught

    asyncio.run(main())
    assert log == ["before p2", "before p1", "release p2 cancelled"]
