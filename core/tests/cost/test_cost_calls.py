"""Every response, stream (whole, cut or cancelled), embedding and lifecycle outcome carries its cost,
over real HTTP on loopback: the ``openai-like`` plugin against modelplex_testing's FaultServer and
ScriptedServer, prices given in the config file (``[models."w/m1"]``) so that the arithmetic is fixed.

The FaultServer answers a prompt of ``n`` characters with ``prompt_tokens = max(1, n // 4)`` and
``completion_tokens = 5`` (its five pieces of text, ``w: word0 ... word3``).
"""

from __future__ import annotations

import asyncio
import decimal
from collections.abc import Awaitable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import (
    CallInfo,
    CallOutcome,
    ChatRequest,
    ChatResponse,
    Cost,
    ModelInfo,
    Prices,
    ProviderContext,
    ProviderInfo,
    Usage,
)
from modelplex.errors import ModelplexError
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex_testing import Reply, ScriptedServer
from modelplex_testing.compat_server import chunk
from modelplex_testing.faults import FaultServer

PROMPT = "x" * 400  # 100 prompt tokens at the FaultServer
PRICES = 'prices = { input = "2", output = "8", cache_read = "0.5", effective = 2025-01-01 }'
# 100 x 2 + 5 x 8 = 240 per 10^6
WHOLE = Decimal("0.00024")


def write_config(tmp_path: Path, url: str, extra: str = "", plugin: str = "openai-like") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[providers.w]\nplugin = "{plugin}"\nbase_url = "{url}"\ncall_timeout = 5\n'
                    f'[models."w/m1"]\n{PRICES}\n{extra}')
    return path


class Outcomes:
    """A lifecycle observer keeping every outcome (the usage store reads ``outcome.cost``)."""

    def __init__(self) -> None:
        self.seen: list[CallOutcome] = []

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.seen.append(outcome)


def run(config: Path, go: Any, observer: Outcomes | None = None, key: str | None = None) -> Any:
    async def main() -> Any:
        providers = {"w": {"api_key": key}} if key is not None else None
        async with modelplex.AsyncClient(config_file=config, env={}, providers=providers) as client:
            if observer is not None:
                client.registry.register("outcomes", observer)
            return await go(client)
    return asyncio.run(main())


def test_a_response_carries_its_cost_at_the_overridden_prices(tmp_path: Path) -> None:
    outcomes = Outcomes()
    with FaultServer(["w"]) as server:
        config = write_config(tmp_path, server.url("w"))
        response = run(config, lambda c: c.chat("w/m1", PROMPT), outcomes)
    assert response.usage.input == 100 and response.usage.output == 5
    assert response.cost == Cost(input="0.0002", output="0.00004", cache_read=0, cache_write=0,
                                 cache_write_1h=0, reasoning=0, status="exact", price_version="override")
    assert response.cost.total == WHOLE
    assert [o.cost for o in outcomes.seen] == [response.cost]


def test_the_same_exchange_streamed_and_whole_costs_the_same(tmp_path: Path) -> None:
    async def both(c: modelplex.AsyncClient) -> tuple[Any, Any]:
        whole = await c.chat("w/m1", PROMPT)
        async with c.stream("w/m1", PROMPT) as stream:
            streamed = await stream.get_response()
        assert stream.cost is streamed.cost
        return whole, streamed

    outcomes = Outcomes()
    with FaultServer(["w"]) as server:
        whole, streamed = run(write_config(tmp_path, server.url("w")), both, outcomes)
    assert streamed.usage == whole.usage and streamed.cost == whole.cost and whole.cost.total == WHOLE
    assert not streamed.cost.partial
    assert [o.cost for o in outcomes.seen] == [whole.cost, streamed.cost]


def test_the_sync_client_and_its_stream_carry_the_cost(tmp_path: Path) -> None:
    with FaultServer(["w"]) as server, modelplex.Client(config_file=write_config(tmp_path, server.url("w")),
                                                        env={}) as c:
        whole = c.chat("w/m1", PROMPT)
        with c.stream("w/m1", PROMPT) as stream:
            streamed = stream.get_response()
        assert stream.cost == streamed.cost == whole.cost
    assert whole.cost is not None and whole.cost.total == WHOLE


@pytest.mark.parametrize("cut", [3, 7])
def test_a_cut_stream_has_a_partial_cost_of_what_was_seen(tmp_path: Path, cut: int) -> None:
    """Cut after 3 events (the role and two pieces of text) or 7 (all five and the finish, but not the
    usage chunk): no count came, so the usage is estimated from the prompt and the text received, and
    priced. (A cut after the provider's count: ``plugins/anthropic/tests/test_anthropic_cost.py``.)"""
    outcomes = Outcomes()
    got: list[Cost | None] = []

    async def read(c: modelplex.AsyncClient) -> None:
        stream = c.stream("w/m1", PROMPT)
        with pytest.raises(ModelplexError):
            async with stream:
                await stream.get_response()
        got.append(stream.cost)

    with FaultServer(["w"], script={"w": ["cut"]}, cut_events=(cut,)) as server:
        run(write_config(tmp_path, server.url("w")), read, outcomes)
    cost = got[0]
    (outcome,) = outcomes.seen
    assert outcome.partial and outcome.cost == cost and outcome.usage is not None and outcome.usage.estimated
    assert cost is not None and cost.partial and cost.status == "estimated"
    assert outcome.usage.input >= 100 and outcome.usage.output > 0
    assert cost.total == (outcome.usage.input * 2 + outcome.usage.output * 8) / Decimal(10**6)


def test_a_stream_left_early_has_a_partial_cost(tmp_path: Path) -> None:
    async def leave(c: modelplex.AsyncClient) -> Cost | None:
        async with c.stream("w/m1", PROMPT) as stream:
            async for _ in stream:
                break
        return stream.cost

    outcomes = Outcomes()
    with FaultServer(["w"]) as server:
        cost = run(write_config(tmp_path, server.url("w")), leave, outcomes)
    assert cost is not None and cost.partial and cost.status == "estimated"
    assert [o.status for o in outcomes.seen] == ["cancelled"] and outcomes.seen[0].cost == cost


def test_a_cancelled_call_is_priced_from_the_prompt_it_sent(tmp_path: Path) -> None:
    outcomes = Outcomes()

    async def cancel(c: modelplex.AsyncClient) -> None:
        task = asyncio.ensure_future(c.chat("w/m1", PROMPT))
        await asyncio.sleep(0.3)  # the server holds a "slow" answer for 5 s
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with FaultServer(["w"], script={"w": ["slow"]}) as server:
        run(write_config(tmp_path, server.url("w")), cancel, outcomes)
    (outcome,) = outcomes.seen
    assert outcome.status == "cancelled" and outcome.usage is not None and outcome.cost is not None
    assert outcome.cost.partial and outcome.cost.status == "estimated" and outcome.cost.output == 0
    assert outcome.cost.input == outcome.usage.input * 2 / Decimal(10**6) and outcome.cost.input > 0


def test_a_model_nobody_prices_is_unknown_never_zero(tmp_path: Path) -> None:
    with FaultServer(["w"], models=("m1", "other")) as server:
        response = run(write_config(tmp_path, server.url("w")), lambda c: c.chat("w/other", PROMPT))
    assert response.model == "other" and response.cost is not None
    assert response.cost.status == "unknown" and response.cost.total is None
    assert response.cost.input is None and response.cost.output is None
    assert response.cost.price_version is None


def test_a_chain_prices_the_model_that_answered(tmp_path: Path) -> None:
    with FaultServer(["w"], script={"w": ["500", "ok"]}) as server:
        config = write_config(tmp_path, server.url("w"), '[chains.two]\nmodels = ["w/m2", "w/m1"]\n'
                                                         "[routing]\nretries = 0\n")
        response = run(config, lambda c: c.chat("chain/two", PROMPT))
    assert response.trace.answered_by == "w/m1" and response.cost.total == WHOLE


def test_an_embedding_carries_its_cost(tmp_path: Path) -> None:
    reply = {"object": "list", "model": "m1", "data": [{"object": "embedding", "index": 0,
                                                         "embedding": [0.1, 0.2]}],
             "usage": {"prompt_tokens": 7, "total_tokens": 7}}
    with ScriptedServer([Reply.json(reply)]) as server:
        response = run(write_config(tmp_path, server.url), lambda c: c.embed("w/m1", "hello"))
    assert response.usage.input == 7 and response.cost.total == Decimal("0.000014")  # 7 x 2 / 10^6


# -- what the provider said it charged ---------------------------------------------------------------
def charged(cost: str) -> dict[str, Any]:
    """An OpenRouter-style reply of 1,000 prompt tokens (200 of them cached) and 100 completion tokens,
    with ``usage.cost`` as the provider reports it."""
    return {"id": "gen-1", "object": "chat.completion", "model": "m1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100,
                      "prompt_tokens_details": {"cached_tokens": 200}, "cost": float(cost)}}


# Ours: 800 x 2 + 200 x 0.5 + 100 x 8 = 1,600 + 100 + 800 = 2,500 per 10^6 = 0.0025
@pytest.mark.parametrize(("reported", "warned"), [
    ("0.0025", False),
    ("0.002525", False),  # 1% over ours: within the tolerance
    ("0.0026", True),
    ("0.0001", True),
])
def test_a_reported_charge_is_kept_and_a_difference_warned(tmp_path: Path, reported: str,
                                                           warned: bool) -> None:
    """The OpenRouter plugin reads ``usage.cost``."""
    with ScriptedServer([Reply.json(charged(reported))]) as server:
        config = write_config(tmp_path, server.url, plugin="openrouter")
        response = run(config, lambda c: c.chat("w/m1", "hi"), key="sk-or-test-0123456789")
    assert response.cost.total == Decimal("0.0025") and response.cost.reported == Decimal(reported)
    mismatches = [w for w in response.warnings if w.code == "cost-mismatch"]
    assert len(mismatches) == warned
    if warned:
        assert reported in mismatches[0].message and "0.0025" in mismatches[0].message


def test_a_call_made_under_the_applications_own_decimal_context_is_priced_exactly(tmp_path: Path) -> None:
    """An application that computes with ``prec=2`` and traps ``Inexact`` (its context reaches the
    client's tasks) gets the same exact cost, on the wire, and no error from inside the cost engine."""
    with FaultServer(["w"]) as server, decimal.localcontext(prec=2, traps=[decimal.Inexact, decimal.Rounded]):
        config = tmp_path / "config.toml"
        config.write_text(f'[providers.w]\nplugin = "openai-like"\nbase_url = "{server.url("w")}"\n'
                          '[models."w/m1"]\nprices = { input = "2.123", output = "8" }\n')
        response = run(config, lambda c: c.chat("w/m1", PROMPT))
    assert response.cost.input == Decimal("0.0002123") and response.cost.output == Decimal("0.00004")
    assert response.cost.total == Decimal("0.0002523") and response.cost.status == "exact"


def test_a_streamed_reply_that_never_counted_is_unknown_not_free(tmp_path: Path) -> None:
    """No usage chunk at all: the plugin estimates (or the core marks it uncounted), never $0."""
    script = [Reply.stream([chunk(content="Hello", model="m1"), chunk(finish="stop", model="m1")])]
    with ScriptedServer(script) as server:
        async def read(c: modelplex.AsyncClient) -> Any:
            async with c.stream("w/m1", PROMPT) as stream:
                return await stream.get_response()
        response = run(write_config(tmp_path, server.url), read)
    cost = response.cost
    assert cost is not None and cost.status in ("estimated", "unknown") and cost.total != 0


class Listing:
    """A provider whose model list prices its one model (input 1, output 2 per million tokens)."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        async def answer() -> ChatResponse:
            return ChatResponse(provider=ctx.name, model=request.model, usage=Usage(input=1000, output=100))
        return answer()

    @hookimpl
    def modelplex_list_models(self, ctx: ProviderContext) -> Awaitable[list[ModelInfo]]:
        async def listed() -> list[ModelInfo]:
            return [ModelInfo(provider=ctx.name, id="m", prices=Prices(input="1", output="2"))]
        return listed()


def test_a_listing_that_prices_a_model_prices_its_next_calls() -> None:
    """Prices are kept per model for the client's life, except that a listing read later is heard."""
    async def go(c: modelplex.AsyncClient) -> tuple[Cost | None, Cost | None]:
        before = (await c.chat("p/m", "hi")).cost
        await c.list_models("p")
        return before, (await c.chat("p/m", "hi")).cost

    async def main() -> tuple[Cost | None, Cost | None]:
        async with modelplex.AsyncClient(plugins={"p": Listing()}, autoload=False, config_file=False,
                                         env={}) as client:
            return await go(client)

    before, after = asyncio.run(main())
    assert before is not None and before.status == "unknown" and before.total is None
    # 1,000 x 1 + 100 x 2 = 1,200 per 10^6
    assert after is not None and after.total == Decimal("0.0012") and after.price_version == "live"


def test_import_and_a_client_load_no_pricing_until_a_call() -> None:
    """The engine and the catalog load with the first call, never with ``import modelplex``."""
    import subprocess
    import sys

    script = ("import sys, modelplex; modelplex.Client(config_file=False).close(); "
              "ends = ('.pricing', '.costs', '.lookup', '.merge'); "
              "print(sorted(m for m in sys.modules if m.endswith(ends)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "[]"
