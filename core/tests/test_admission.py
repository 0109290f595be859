"""Per-candidate admission (issue 15, the plumbing budgets and the policy need): ``modelplex_before_attempt``
asked before each attempt, over real HTTP on loopback (the ``openai-like`` plugin against FaultServer).
A refused candidate is skipped with the refusal in the trace and nothing is sent to it; the call fails
typed when nothing is left; each attempt's reservation is settled or released exactly once, with that
attempt's usage and cost.

The FaultServer answers a prompt of ``n`` characters with ``prompt_tokens = max(1, n // 4)`` and
``completion_tokens = 5``.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import AttemptInfo, CallInfo, CallOutcome
from modelplex.errors import (
    AdmissionRefused,
    BudgetExceeded,
    ModelplexError,
    PolicyDenied,
    RoutingError,
    ServerError,
    TransportError,
)
from modelplex.hookspecs import hookimpl
from modelplex_testing.faults import FaultServer

PROMPT = "x" * 400  # 100 prompt tokens at the FaultServer
NO_RETRY = "[routing]\nretries = 0\n"
PRICES = 'prices = { input = "2", output = "8", effective = 2025-01-01 }'


def write_config(tmp_path: Path, server: FaultServer, extra: str = "") -> Path:
    text = ""
    for name in server.names:
        text += (f'[providers.{name}]\nplugin = "openai-like"\nbase_url = "{server.url(name)}"\n'
                 f'call_timeout = 5\n[models."{name}/m1"]\n{PRICES}\nmax_output = 1000\n')
    text += '[chains.pair]\nmodels = ["a/m1", "b/m1"]\n' + extra
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


class Ticket:
    """A reservation that remembers how it ended."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.settled: list[CallOutcome] = []
        self.released: list[CallOutcome] = []

    def settle(self, outcome: CallOutcome) -> None:
        self.settled.append(outcome)

    def release(self, outcome: CallOutcome) -> None:
        self.released.append(outcome)

    @property
    def ends(self) -> int:
        return len(self.settled) + len(self.released)


class Gate:
    """An admitter per attempt: refuses the addresses in ``refuse`` (as a policy would), reserves a
    :class:`Ticket` for every other attempt."""

    def __init__(self, refuse: tuple[str, ...] = (), error: type[ModelplexError] = PolicyDenied) -> None:
        self.refuse, self.error = refuse, error
        self.asked: list[AttemptInfo] = []
        self.calls: list[CallInfo] = []
        self.tickets: list[Ticket] = []

    @hookimpl
    def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> Ticket:
        self.asked.append(attempt)
        self.calls.append(call)
        if attempt.address in self.refuse:
            if self.error is PolicyDenied:
                raise PolicyDenied(f"rule 'no-{attempt.provider}' forbids {attempt.address}",
                                   rule="no-" + attempt.provider, where="policy.toml:3",
                                   provider=attempt.provider, model=attempt.model)
            raise BudgetExceeded(f"budget 'daily' has no room for {attempt.address}", scope="daily",
                                 limit=Decimal("1"), spent=Decimal("1"), reserved=Decimal(0))
        ticket = Ticket(attempt.address)
        self.tickets.append(ticket)
        return ticket


def run(config: Path, go: Any, *plugins: tuple[str, object]) -> Any:
    async def main() -> Any:
        async with modelplex.AsyncClient(config_file=config, env={}) as client:
            for name, plugin in plugins:
                client.registry.register(name, plugin)
            return await go(client)
    return asyncio.run(main())


def test_a_refused_chain_candidate_is_skipped_with_the_rule_and_never_sent_to(tmp_path: Path) -> None:
    gate = Gate(refuse=("a/m1",))
    with FaultServer(["a", "b"]) as server:
        response = run(write_config(tmp_path, server), lambda c: c.chat("chain/pair", PROMPT), ("gate", gate))
        assert server.requests("a") == []
        assert len(server.requests("b")) == 1
    assert response.trace.answered_by == "b/m1"
    [skip] = response.trace.skipped
    assert skip.model == "a/m1" and "rule 'no-a' forbids a/m1" in skip.reason
    assert [a.model for a in response.trace.attempts] == ["b/m1"]
    assert [(a.address, a.number, a.retry) for a in gate.asked] == [("a/m1", 1, False), ("b/m1", 2, False)]
    assert gate.calls[0] is gate.calls[1] and gate.calls[0].address == "chain/pair"
    [ticket] = gate.tickets
    assert ticket.address == "b/m1" and ticket.released == []
    [outcome] = ticket.settled
    assert outcome.status == "ok" and outcome.usage == response.usage and outcome.cost == response.cost
    assert outcome.provider == "b" and outcome.model == "m1" and outcome.trace is None


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_a_direct_call_refused_sends_no_byte_and_fails_with_the_refusal(tmp_path: Path, kind: str) -> None:
    gate = Gate(refuse=("a/m1",))

    async def go(c: modelplex.AsyncClient) -> None:
        if kind == "chat":
            await c.chat("a/m1", PROMPT)
        else:
            async with c.stream("a/m1", PROMPT) as stream:
                await stream.get_response()

    with FaultServer(["a"]) as server:
        with pytest.raises(PolicyDenied) as info:
            run(write_config(tmp_path, server), go, ("gate", gate))
        assert server.log == []  # not even a connection's request line: nothing was sent
    error = info.value
    assert not isinstance(error, AdmissionRefused)  # one model: the refusal itself, typed as raised
    assert error.rule == "no-a" and error.where == "policy.toml:3"
    assert error.trace is not None and [s.model for s in error.trace.skipped] == ["a/m1"]
    assert error.trace.attempts == () and error.trace.answered_by is None
    assert gate.tickets == []


def test_a_chain_with_every_candidate_refused_fails_with_admission_refused(tmp_path: Path) -> None:
    gate = Gate(refuse=("a/m1", "b/m1"), error=BudgetExceeded)
    with FaultServer(["a", "b"]) as server:
        with pytest.raises(AdmissionRefused) as info:
            run(write_config(tmp_path, server), lambda c: c.chat("chain/pair", PROMPT), ("gate", gate))
        assert server.log == []
    error = info.value
    assert isinstance(error, PolicyDenied) and isinstance(error, BudgetExceeded)
    assert [type(r) for r in error.refusals] == [BudgetExceeded, BudgetExceeded]
    assert error.scope == "daily" and error.limit == Decimal("1")  # the first refusal's budget
    assert "a/m1 skipped: budget 'daily' has no room for a/m1" in error.message
    assert "b/m1 skipped: budget 'daily' has no room for b/m1" in error.message
    assert error.trace is not None and error.trace.attempts == ()
    assert error.__cause__ is error.refusals[-1]


def test_an_upstream_failure_releases_its_attempt_and_the_next_is_settled(tmp_path: Path) -> None:
    gate = Gate()
    with FaultServer(["a", "b"], script={"a": ["500"]}) as server:
        response = run(write_config(tmp_path, server, NO_RETRY), lambda c: c.chat("chain/pair", PROMPT),
                       ("gate", gate))
    first, second = gate.tickets
    assert first.address == "a/m1" and first.settled == [] and len(first.released) == 1
    assert isinstance(first.released[0].error, ServerError) and first.released[0].status == "error"
    assert second.address == "b/m1" and second.released == [] and len(second.settled) == 1
    assert second.settled[0].cost == response.cost and response.cost.total == Decimal("0.00024")


def test_a_retry_is_admitted_again_with_retry_set(tmp_path: Path) -> None:
    gate = Gate()
    extra = "[routing]\nretries = 1\nbackoff = 0.01\n"
    with FaultServer(["a"], script={"a": ["503", "ok"]}) as server:
        config = write_config(tmp_path, server, extra)
        response = run(config, lambda c: c.chat("a/m1", PROMPT), ("gate", gate))
        assert len(server.requests("a")) == 2
    assert [(a.number, a.retry) for a in gate.asked] == [(1, False), (2, True)]
    first, second = gate.tickets
    assert (first.ends, len(first.released), second.ends, len(second.settled)) == (1, 1, 1, 1)
    assert second.settled[0].usage == response.usage


def test_a_refused_retry_leaves_the_failure_raised_and_the_refusal_in_the_trace(tmp_path: Path) -> None:
    class SecondRefused(Gate):
        @hookimpl
        def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> Ticket:
            if attempt.retry:
                raise BudgetExceeded("budget 'run' is spent", scope="run")
            return super().modelplex_before_attempt(call, attempt)

    gate = SecondRefused()
    extra = "[routing]\nretries = 1\nbackoff = 0.01\n"
    with FaultServer(["a"], script={"a": ["503", "ok"]}) as server:
        with pytest.raises(ServerError) as info:
            run(write_config(tmp_path, server, extra), lambda c: c.chat("a/m1", PROMPT), ("gate", gate))
        assert len(server.requests("a")) == 1
    trace = info.value.trace
    assert trace is not None and [s.reason for s in trace.skipped] == ["budget 'run' is spent"]
    [ticket] = gate.tickets
    assert ticket.ends == 1 and len(ticket.released) == 1


def test_a_chain_where_a_model_failed_and_the_next_was_refused_is_a_routing_error(tmp_path: Path) -> None:
    gate = Gate(refuse=("b/m1",))
    with FaultServer(["a", "b"], script={"a": ["500"]}) as server:
        with pytest.raises(RoutingError) as info:
            run(write_config(tmp_path, server, NO_RETRY), lambda c: c.chat("chain/pair", PROMPT),
                ("gate", gate))
        assert server.requests("b") == []
    assert "b/m1 skipped: rule 'no-b' forbids b/m1" in info.value.message
    assert "a/m1 failed" in info.value.message


def test_a_cancelled_attempt_is_settled_once_with_its_input(tmp_path: Path) -> None:
    gate = Gate()

    async def go(c: modelplex.AsyncClient) -> None:
        task = asyncio.create_task(c.chat("a/m1", PROMPT))
        for _ in range(500):  # until the server has the request (it holds its answer 5 s)
            if server.requests("a"):
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with FaultServer(["a"], script={"a": ["slow"]}, slow=5.0) as server:
        run(write_config(tmp_path, server), go, ("gate", gate))
    [ticket] = gate.tickets
    assert ticket.released == []
    [outcome] = ticket.settled
    assert outcome.status == "cancelled" and outcome.partial
    assert outcome.usage is not None and outcome.usage.estimated and outcome.usage.input > 0
    assert outcome.cost is not None and outcome.cost.partial and outcome.cost.total is not None
    assert outcome.cost.total > 0


def test_a_cut_stream_settles_its_attempt_once_with_partial_usage(tmp_path: Path) -> None:
    gate = Gate()

    async def go(c: modelplex.AsyncClient) -> None:
        async with c.stream("a/m1", PROMPT) as stream:
            await stream.get_response()

    with FaultServer(["a"], script={"a": ["cut"]}, cut_events=(3,)) as server, \
            pytest.raises(TransportError):
        run(write_config(tmp_path, server), go, ("gate", gate))
    [ticket] = gate.tickets
    assert ticket.released == []
    [outcome] = ticket.settled
    assert outcome.status == "error" and isinstance(outcome.error, TransportError) and outcome.partial
    assert outcome.usage is not None and outcome.usage.input > 0 and outcome.cost is not None


def test_a_whole_stream_settles_its_attempt_with_the_streams_cost(tmp_path: Path) -> None:
    gate = Gate()

    async def go(c: modelplex.AsyncClient) -> Any:
        async with c.stream("a/m1", PROMPT) as stream:
            return await stream.get_response()

    with FaultServer(["a"]) as server:
        response = run(write_config(tmp_path, server), go, ("gate", gate))
    [ticket] = gate.tickets
    [outcome] = ticket.settled
    assert outcome.status == "ok" and not outcome.partial
    assert outcome.usage == response.usage and outcome.cost == response.cost
    assert ticket.released == []


def test_the_attempt_carries_the_candidates_info_and_worst_case(tmp_path: Path) -> None:
    gate = Gate()

    async def go(c: modelplex.AsyncClient) -> Any:
        await c.chat("chain/pair", PROMPT, max_tokens=50)
        return await c.estimate("a/m1", PROMPT, max_tokens=50)

    with FaultServer(["a", "b"]) as server:
        expected = run(write_config(tmp_path, server), go, ("gate", gate))
    [attempt] = gate.asked
    assert attempt.info is not None and attempt.info.prices is not None
    assert attempt.info.prices.input == Decimal("2")
    assert attempt.estimate == expected
    assert attempt.estimate.output_tokens == 50 and attempt.estimate.cost.total is not None


def test_a_later_admitters_refusal_releases_the_earlier_ones_reservation(tmp_path: Path) -> None:
    keeper, refuser = Gate(), Gate(refuse=("a/m1",))
    with FaultServer(["a", "b"]) as server:
        run(write_config(tmp_path, server), lambda c: c.chat("chain/pair", PROMPT),
            ("keeper", keeper), ("refuser", refuser))
    # pluggy calls the latest registered first: the refuser, then the keeper; register the other way
    assert [t.address for t in keeper.tickets] == ["b/m1"]
    keeper2, refuser2 = Gate(), Gate(refuse=("a/m1",))
    with FaultServer(["a", "b"]) as server:
        run(write_config(tmp_path, server), lambda c: c.chat("chain/pair", PROMPT),
            ("refuser", refuser2), ("keeper", keeper2))
        assert server.requests("a") == []
    held_for_a, held_for_b = keeper2.tickets
    assert held_for_a.address == "a/m1" and held_for_a.settled == [] and len(held_for_a.released) == 1
    assert isinstance(held_for_a.released[0].error, PolicyDenied)
    assert held_for_b.ends == 1 and len(held_for_b.settled) == 1


def test_an_admitter_that_breaks_is_logged_and_the_attempt_goes_on(tmp_path: Path) -> None:
    class Broken:
        @hookimpl
        def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> None:
            raise RuntimeError("a bug in the admitter")

    with FaultServer(["a"]) as server:
        response = run(write_config(tmp_path, server), lambda c: c.chat("a/m1", PROMPT), ("broken", Broken()))
        assert len(server.requests("a")) == 1
    assert response.text.startswith("a:")


def test_a_direct_calls_attempt_is_settled_with_its_cost_and_a_failed_one_released(tmp_path: Path) -> None:
    gate = Gate()

    async def go(c: modelplex.AsyncClient) -> Any:
        answered = await c.chat("a/m1", PROMPT)
        with pytest.raises(ServerError):
            await c.chat("a/m1", PROMPT)
        return answered

    with FaultServer(["a"], script={"a": ["ok", "500"]}) as server:
        response = run(write_config(tmp_path, server, NO_RETRY), go, ("gate", gate))
        assert len(server.requests("a")) == 2
    first, second = gate.tickets
    assert first.released == [] and [o.cost for o in first.settled] == [response.cost]
    assert first.settled[0].response is response and response.trace.attempts[0].model == "a/m1"
    assert second.settled == [] and len(second.released) == 1
    assert isinstance(second.released[0].error, ServerError)


def test_an_embedding_attempt_is_admitted_with_an_input_only_estimate(tmp_path: Path) -> None:
    gate = Gate(refuse=("a/m1",))
    with FaultServer(["a"]) as server:
        with pytest.raises(PolicyDenied):
            run(write_config(tmp_path, server), lambda c: c.embed("a/m1", ["hello world", "again"]),
                ("gate", gate))
        assert server.log == []
    [attempt] = gate.asked
    assert attempt.estimate.output_tokens == 0 and attempt.estimate.input_tokens > 0
    assert attempt.estimate.cost.total is not None and attempt.estimate.cost.total > 0


def test_a_stream_left_early_settles_its_attempt_once_with_what_it_used(tmp_path: Path) -> None:
    gate = Gate()

    async def go(c: modelplex.AsyncClient) -> None:
        async with c.stream("a/m1", PROMPT) as stream:
            async for _ in stream:
                break

    with FaultServer(["a"]) as server:
        run(write_config(tmp_path, server), go, ("gate", gate))
    [ticket] = gate.tickets
    assert ticket.released == []
    [outcome] = ticket.settled
    assert outcome.status == "cancelled" and outcome.partial and outcome.error is None
    assert outcome.usage is not None and outcome.usage.input > 0 and outcome.cost is not None


def test_a_chain_stream_releases_the_model_that_failed_to_open_and_settles_the_next(tmp_path: Path) -> None:
    gate = Gate()

    async def go(c: modelplex.AsyncClient) -> Any:
        async with c.stream("chain/pair", PROMPT) as stream:
            return await stream.get_response()

    with FaultServer(["a", "b"], script={"a": ["503"]}) as server:
        response = run(write_config(tmp_path, server, NO_RETRY), go, ("gate", gate))
    first, second = gate.tickets
    assert (first.address, first.settled, len(first.released)) == ("a/m1", [], 1)
    assert second.address == "b/m1" and second.released == []
    assert [o.cost for o in second.settled] == [response.cost] and response.trace.answered_by == "b/m1"
