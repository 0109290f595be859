"""The lifecycle's shortcuts (``docs/hot-paths.md``) give what the general path gives: ``CallInfo`` and
``CallOutcome`` built positionally, as the call path builds them, are those built by keyword,
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

from modelplex import AsyncClient, CallInfo, CallOutcome, ChatRequest, Decision, Message, Usage
from modelplex._call.lifecycle import Lifecycle, build
from modelplex._catalog.cost import Cost
from modelplex._trace import RoutingTrace
from modelplex.errors import ConfigurationError, ServerError
from modelplex.hookspecs import hookimpl


def _call(kind: str = "chat", address: str = "a/m", tags: dict[str, str] | None = None) -> CallInfo:
    """A record as the call path builds it: every field positionally, in order, without ``__new__``."""
    provider, _, model = address.partition("/")
    return build(CallInfo, (kind, address, provider, model, None, {} if tags is None else tags, None, 0.0))


def test_the_records_fields_are_in_the_order_the_call_path_builds_them() -> None:
    """The call path builds each record positionally (``build(CallOutcome, ("ok", None, ...))``): a
    field added or moved must be added or moved there too, and this fails until it is."""
    assert CallInfo._fields == ("kind", "address", "provider", "model", "request", "tags", "caller",
                                "started")
    assert CallOutcome._fields == ("status", "error", "provider", "model", "usage", "partial", "duration",
                                   "time_to_first_token", "trace", "response", "cost")
    # The keyword constructors take the same fields, keyword-only, as the attrs classes did.
    for cls in (CallInfo, CallOutcome):
        params = list(inspect.signature(cls).parameters.values())
        assert [p.name for p in params] == list(cls._fields)
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)


def test_a_record_built_positionally_is_the_one_built_by_keyword() -> None:
    request = ChatRequest(model="m", messages=(Message.user("hello there"),))
    fields: dict[str, Any] = {"kind": "chat", "address": "a/m", "provider": "a", "model": "m",
                              "request": request, "tags": {"user": "u1"}, "caller": "svc", "started": 1234.5}
    fast, slow = build(CallInfo, tuple(fields.values())), CallInfo(**fields)
    assert type(fast) is CallInfo and fast == slow and repr(fast) == repr(slow)
    assert fast._asdict() == slow._asdict() == fields
    assert repr(fast).startswith("CallInfo(kind='chat', address='a/m', ")
    assert fast.estimated_tokens == slow.estimated_tokens > 0
    assert fast.decisions == [] and fast.decisions is fast.decisions  # made once, kept
    assert fast._replace(caller="other") == CallInfo(**{**fields, "caller": "other"})
    assert type(fast._replace(caller="other")) is CallInfo
    assert CallInfo(kind="list_models", address="a", provider="a", model=None).tags == {}

    usage = Usage(input=4, output=3)
    outcome: dict[str, Any] = {
        "status": "error", "error": ServerError("x", provider="a", model="m", status_code=500),
        "provider": "a", "model": "m", "usage": usage, "partial": True, "duration": 0.25,
        "time_to_first_token": 0.125,
        "trace": RoutingTrace(address="a/m", candidates=("a/m",)), "response": object(),
        "cost": Cost(input=Decimal("0.1"), status="exact")}
    fast_outcome, slow_outcome = build(CallOutcome, tuple(outcome.values())), CallOutcome(**outcome)
    assert type(fast_outcome) is CallOutcome and fast_outcome == slow_outcome
    assert repr(fast_outcome) == repr(slow_outcome)
    defaults = ("ok", None, None, None, None, False, 0.0, None, None, None, None)
    assert CallOutcome(status="ok") == build(CallOutcome, defaults)


def test_records_are_frozen_and_equal_only_to_their_own_kind() -> None:
    call = _call()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        call.kind = "stream"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        call.anything = 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del call.caller
    outcome = CallOutcome(status="ok")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        outcome.status = "error"  # type: ignore[misc]
    # A bare tuple of the same values is not a CallInfo, whichever side it is on.
    assert call != tuple(call) and tuple(call) != call and not call == tuple(call)  # noqa: SIM201
    assert call == _call() and call != _call(address="a/other")
    assert hash(CallOutcome(status="ok", duration=1.0)) == hash(CallOutcome(status="ok", duration=1.0))
    with pytest.raises(TypeError):
        CallInfo("chat", "a/m", "a", "m")  # type: ignore[call-arg]  # keyword-only, as before


def test_the_cached_properties_of_records_do_not_mix() -> None:
    # Each record's cached properties live in its own __dict__, made when first written.
    request = ChatRequest(model="m", messages=(Message.user("hi"),))
    made = []
    for i in range(50):
        fields: dict[str, Any] = {"kind": "chat", "address": f"a/m{i}", "provider": "a", "model": f"m{i}",
                                  "request": request, "tags": {}, "caller": None, "started": float(i)}
        fast, slow = build(CallInfo, tuple(fields.values())), CallInfo(**fields)
        if i % 3 == 0:
            assert fast.estimated_tokens == slow.estimated_tokens
        if i % 5 == 0:
            fast.decisions.append(Decision(by="test", decision="admitted", model=f"a/m{i}"))
        made.append((fields, fast, slow))
    for i, (fields, fast, slow) in enumerate(made):
        assert fast == slow
        assert fast._asdict() == fields == slow._asdict()
        assert [d.model for d in fast.decisions] == ([f"a/m{i}"] if i % 5 == 0 else [])
        assert slow.decisions == []


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
    call = _call()
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
        call = _call()
        assert isinstance(_lifecycle(("held", "none", "broken"), []).admit_now(call), list)
        pending = _lifecycle(("held", "async"), []).admit_now(call)
        assert not isinstance(pending, list)
        assert len(await pending) == 2

    asyncio.run(main())


def test_a_cancellation_while_admitting_releases_what_the_fast_path_took() -> None:
    log: list[str] = []

    async def main() -> None:
        lifecycle = _lifecycle(("held", "async", "held"), log)  # pluggy: the last registered runs first
        call = _call()
        pending = lifecycle.admit_now(call)
        assert not isinstance(pending, list)
        with anyio.move_on_after(0) as scope:  # cancelled at the async admitter's checkpoint
            await pending
        assert scope.cancelled_caught

    asyncio.run(main())
    assert log == ["before p2", "before p1", "release p2 cancelled"]
