"""The governance policy acting inside routing (issue 15, item 5), over real HTTP on loopback: the
``openai-like`` plugin against FaultServer, the policy in the config file. A denied candidate gets no
request (counted at its server), a chain never falls back into it, every decision reaches
``call.decisions`` for the usage log, and a dry run denies nothing but records what it would have.
"""

from __future__ import annotations

import asyncio
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import structlog

import modelplex
from modelplex import AttemptInfo, CallInfo, CallOutcome, Decision
from modelplex.errors import AdmissionRefused, PolicyDenied, RoutingError, TransportError
from modelplex.hookspecs import hookimpl
from modelplex_testing.faults import FaultServer

PROMPT = "x" * 400
PRICED = 'prices = { input = "2", output = "8", effective = 2025-01-01 }\nmax_output = 1000\n'

PII = """
[policy]
[[policy.rules]]
name = "pii stays here"
match = { tags = ["pii"] }
privacy = "local"
"""


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed): a server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, urls: dict[str, str], policy: str, extra: str = "") -> Path:
    text = ""
    for name, url in urls.items():
        text += f'[providers.{name}]\nplugin = "openai-like"\nbase_url = "{url}"\ncall_timeout = 5\n'
        text += f'[models."{name}/m1"]\n{PRICED}' + ("local = true\n" if name == "local" else "")
    text += f'[chains.any]\nmodels = {list(f"{n}/m1" for n in urls)!r}\n[routing]\nretries = 0\n'
    path = tmp_path / "config.toml"
    path.write_text(text.replace("'", '"') + extra + policy)
    return path


class Decisions:
    """A usage log's view: each call's decisions and outcome."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[Decision], CallOutcome]] = []

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.seen.append((list(call.decisions), outcome))


def run(config: Path, go: Any, observer: Decisions | None = None) -> Any:
    async def main() -> Any:
        async with modelplex.AsyncClient(config_file=config, env={}) as client:
            if observer is not None:
                client.registry.register("decisions", observer)
            return await go(client)
    return asyncio.run(main())


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def test_a_pii_request_whose_local_model_is_down_never_reaches_the_cloud(tmp_path: Path) -> None:
    with FaultServer(["cloud"]) as server:
        urls = {"local": f"http://127.0.0.1:{refused_port()}/v1", "cloud": server.url("cloud")}
        config = write_config(tmp_path, urls, PII)
        with pytest.raises(RoutingError) as info:
            run(config, lambda c: c.chat("chain/any", PROMPT, tags={"pii": "yes"}))
        assert server.log == []  # the cloud model got nothing: not a request, not a connection's line
        # and without the tag, the same chain falls back to the cloud as it should
        response = run(config, lambda c: c.chat("chain/any", PROMPT))
        assert response.trace.answered_by == "cloud/m1" and len(server.requests("cloud")) == 1
    error = info.value
    where = f"{config}:{line_of(config, '[[policy.rules]]')}"
    assert f"cloud/m1 skipped: policy rule 'pii stays here' ({where}) denies cloud/m1" in error.message
    assert "local/m1 failed" in error.message and isinstance(error.__cause__, TransportError)
    assert error.trace is not None and [a.model for a in error.trace.attempts] == ["local/m1"]


def test_a_direct_call_to_a_denied_model_fails_with_the_rule_and_sends_nothing(tmp_path: Path) -> None:
    observer = Decisions()
    with FaultServer(["cloud"]) as server:
        config = write_config(tmp_path, {"cloud": server.url("cloud")}, PII)
        with pytest.raises(PolicyDenied) as info:
            run(config, lambda c: c.chat("cloud/m1", PROMPT, tags={"pii": "1"}), observer)
        assert server.log == []
    error = info.value
    assert error.rule == "'pii stays here'"
    assert error.where == f"{config}:{line_of(config, '[[policy.rules]]')}"
    assert "not a model on this machine" in error.message
    [(decisions, outcome)] = observer.seen
    assert outcome.status == "error" and outcome.error is error
    assert decisions == [Decision(by="policy", decision="denied", model="cloud/m1", name="'pii stays here'",
                                  where=error.where, reason=decisions[0].reason)]


def test_a_chain_skips_the_denied_model_and_records_each_decision(tmp_path: Path) -> None:
    policy = PII + '[[policy.rules]]\nname = "cheap only"\ndeny_models = ["expensive/*"]\n'
    observer = Decisions()
    with FaultServer(["expensive", "cheap"]) as server:
        config = write_config(tmp_path, {"expensive": server.url("expensive"), "cheap": server.url("cheap")},
                              policy)
        response = run(config, lambda c: c.chat("chain/any", PROMPT), observer)
        assert server.requests("expensive") == [] and len(server.requests("cheap")) == 1
    assert response.trace.answered_by == "cheap/m1"
    [skip] = response.trace.skipped
    assert skip.model == "expensive/m1" and "policy rule 'cheap only'" in skip.reason
    [(decisions, outcome)] = observer.seen
    assert outcome.status == "ok"
    assert [(d.model, d.decision, d.name) for d in decisions] == [
        ("expensive/m1", "denied", "'cheap only'"), ("cheap/m1", "admitted", "'cheap only'")]


def test_a_chain_with_every_model_denied_fails_typed_naming_each_rule(tmp_path: Path) -> None:
    with FaultServer(["a", "b"]) as server:
        config = write_config(tmp_path, {"a": server.url("a"), "b": server.url("b")}, PII)
        with pytest.raises(AdmissionRefused) as info:
            run(config, lambda c: c.chat("chain/any", PROMPT, tags={"pii": ""}))
        assert server.log == []
    error = info.value
    assert isinstance(error, PolicyDenied) and error.rule == "'pii stays here'"
    assert [r.model for r in error.refusals] == ["m1", "m1"]  # type: ignore[attr-defined]
    assert [s.model for s in error.trace.skipped] == ["a/m1", "b/m1"]  # type: ignore[union-attr]


def test_dry_run_denies_nothing_and_records_what_it_would_have(tmp_path: Path) -> None:
    observer = Decisions()
    policy = PII.replace("[policy]\n", "[policy]\ndry_run = true\n")
    logs: list[dict[str, Any]] = []

    def sink(_: object, __: str, event: dict[str, Any]) -> dict[str, Any]:
        logs.append(dict(event))
        raise structlog.DropEvent

    # configured, then reset: capture_logs() would leave structlog configured for the tests after this one
    structlog.configure(processors=[sink])
    try:
        with FaultServer(["cloud"]) as server:
            config = write_config(tmp_path, {"cloud": server.url("cloud")}, policy)
            response = run(config, lambda c: c.chat("cloud/m1", PROMPT, tags={"pii": "1"}), observer)
            assert len(server.requests("cloud")) == 1
    finally:
        structlog.reset_defaults()
    assert response.trace.skipped == ()
    [(decisions, _)] = observer.seen
    assert [(d.decision, d.name) for d in decisions] == [("would-deny", "'pii stays here'")]
    [event] = [e for e in logs if e["event"] == "policy_would_deny"]
    assert event["model"] == "cloud/m1" and "pii stays here" in event["reason"]


def test_the_first_matching_rule_decides(tmp_path: Path) -> None:
    policy = ('[policy]\n[[policy.rules]]\nname = "support may use a"\nmatch = { agent = ["support-*"] }\n'
              'models = ["a/*"]\n[[policy.rules]]\nname = "nobody else"\ndeny = true\n')
    with FaultServer(["a"]) as server:
        config = write_config(tmp_path, {"a": server.url("a")}, policy)
        allowed = run(config, lambda c: c.chat("a/m1", PROMPT, tags={"agent": "support-eu"}))
        with pytest.raises(PolicyDenied, match=r"rule 'nobody else'.* denies a/m1: the rule denies it"):
            run(config, lambda c: c.chat("a/m1", PROMPT, tags={"agent": "sales"}))
        assert len(server.requests("a")) == 1
    assert allowed.text.startswith("a:")


def test_max_cost_uses_the_candidates_worst_case_and_refuses_an_unknown_price(tmp_path: Path) -> None:
    # 400 characters at the catalog rule, 1000 output tokens at $8/M: the worst case is over $0.008
    policy = '[policy]\n[[policy.rules]]\nname = "cap"\nmax_cost = "0.001"\n'
    unpriced = '[providers.free]\nplugin = "openai-like"\nbase_url = "{url}"\n'
    with FaultServer(["a", "free"]) as server:
        config = write_config(tmp_path, {"a": server.url("a")}, policy,
                              extra=unpriced.format(url=server.url("free")))
        with pytest.raises(PolicyDenied, match=r"worst-case cost \$0\.0\d+ is more than the \$0\.001"):
            run(config, lambda c: c.chat("a/m1", PROMPT))
        cheap = run(config, lambda c: c.chat("a/m1", "hi", max_tokens=10))
        with pytest.raises(PolicyDenied, match="worst-case cost is not known"):
            run(config, lambda c: c.chat("free/m1", "hi", max_tokens=10))
        assert len(server.requests("a")) == 1 and server.requests("free") == []
    assert cheap.cost.total < Decimal("0.001")


def test_a_stream_is_refused_before_it_opens(tmp_path: Path) -> None:
    async def go(c: modelplex.AsyncClient) -> None:
        async with c.stream("cloud/m1", PROMPT, tags={"pii": "1"}) as stream:
            await stream.get_response()

    with FaultServer(["cloud"]) as server:
        config = write_config(tmp_path, {"cloud": server.url("cloud")}, PII)
        with pytest.raises(PolicyDenied):
            run(config, go)
        assert server.log == []


def test_without_a_policy_nothing_of_it_is_loaded(tmp_path: Path) -> None:
    import subprocess
    import sys

    with FaultServer(["a"]) as server:
        config = write_config(tmp_path, {"a": server.url("a")}, "")
        code = ("import asyncio, sys, modelplex\n"
                "async def main():\n"
                f"    async with modelplex.AsyncClient(config_file={str(config)!r}, env={{}}) as c:\n"
                f"        await c.chat('a/m1', 'hi')\n"
                "        return c.registry.lifecycle.attempt\n"
                "hooks = asyncio.run(main())\n"
                "print(sorted(m for m in sys.modules if m.startswith('modelplex._policy')), hooks)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             timeout=60)
    assert out.stdout.strip() == "[] ()"


def test_the_policy_decides_before_any_other_admitter_reserves(tmp_path: Path) -> None:
    policy = '[policy]\n[[policy.rules]]\nname = "cheap only"\ndeny_models = ["expensive/*"]\n'
    asked: list[str] = []

    class Budget:
        @hookimpl
        def modelplex_before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> None:
            asked.append(attempt.address)

    async def go(c: modelplex.AsyncClient) -> None:
        await c.chat("chain/any", PROMPT)  # the policy is registered with the first call
        c.registry.register("budget", Budget())  # registered last: pluggy would call it first
        await c.chat("chain/any", PROMPT)

    with FaultServer(["expensive", "cheap"]) as server:
        config = write_config(tmp_path, {"expensive": server.url("expensive"), "cheap": server.url("cheap")},
                              policy)
        run(config, go)
    assert asked == ["cheap/m1"]
