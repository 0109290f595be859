"""Usage from real replies on the loopback wire, through the installed openai plugin: cache writes,
reported cost and totals, on Chat Completions and the Responses API (issue 12)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given
from modelplex_openai.responses_usage import read_responses_usage

import modelplex
from modelplex import ChatResponse, Usage
from modelplex_testing import FAKE_KEY, Recording, usage_wire
from modelplex_testing.compat_server import Reply, ScriptedServer

FIXTURES = Path(__file__).parent / "fixtures"


def body(name: str) -> dict[str, Any]:
    data: dict[str, Any] = Recording.load(FIXTURES / f"{name}.json").response["body"]
    return data


def chat(data: dict[str, Any], api: str) -> ChatResponse:
    with ScriptedServer([Reply.json(data)]) as server, modelplex.Client(
            providers={"openai": {"api_key": FAKE_KEY, "base_url": server.url, "api": api}}) as client:
        return client.chat("openai/gpt-5-mini", "hi")


def test_chat_completions_cache_writes_are_not_plain_input() -> None:
    """The issue's example: 4,020 prompt tokens, 4,012 of them written to the cache (read before as
    4,020 input and no cache write)."""
    response = chat(body("openai/12_chat_cache_write_tokens"), "chat_completions")
    assert response.usage == Usage(input=8, cache_write=4012, output=4)
    assert response.usage.total == 4024 and response.warnings == ()


def test_responses_cache_writes_are_not_plain_input() -> None:
    response = chat(body("openai_responses/09_cache_write_tokens"), "responses")
    assert response.usage == Usage(input=8, cache_write=4012, output=5)
    assert response.usage.total == 4025 and response.warnings == ()


def test_openrouter_responses_cost_is_kept() -> None:
    response = chat(body("openai_responses/10_openrouter_cache_write_cost"), "responses")
    assert response.usage == Usage(input=8, cache_write=4012, output=5,
                                   reported_cost=Decimal("0.025265"))


def test_xai_responses_cost_in_ticks_is_kept() -> None:
    """xAI's Responses API: 5,743,500 ticks of 1e-10 USD."""
    response = chat(body("openai_responses/11_xai_cost_in_usd_ticks"), "responses")
    assert response.usage == Usage(input=71, cache_read=128, output=3, reasoning=181,
                                   reported_cost=Decimal("0.00057435"))
    assert response.usage.total == 383


def test_counts_that_do_not_add_up_are_said() -> None:
    usage = {**body("openai_responses/09_cache_write_tokens")["usage"], "total_tokens": 5000}
    counted = read_responses_usage(usage)
    assert counted is not None and [w.code for w in counted[1]] == ["usage-mismatch"]
    reply = {**body("openai_responses/09_cache_write_tokens"), "usage": usage}
    assert "usage-mismatch" in [w.code for w in chat(reply, "responses").warnings]
    over = {**usage, "total_tokens": 4025, "input_tokens_details": {"cached_tokens": 4012,
                                                                   "cache_write_tokens": 4012}}
    counted = read_responses_usage(over)
    assert counted is not None
    assert counted[0].total_input == 4020 and counted[0].cache_write == 8
    assert [w.code for w in counted[1]] == ["usage-mismatch"]


@given(usage_wire.responses())
def test_every_usage_object_reconciles_or_says_why(raw: dict[str, Any]) -> None:
    counted = read_responses_usage(raw)
    assert counted is not None
    usage, warnings = counted
    assert usage_wire.problems(usage, warnings,
                               input_tokens=(raw.get("input_tokens"), [usage.total_input]),
                               output_tokens=(raw.get("output_tokens"), [usage.total_output]),
                               total_tokens=(raw.get("total_tokens"), [usage.total])) == []
