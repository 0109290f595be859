"""What recorded OpenAI-format exchanges cost, worked out by hand (issue 13), through the installed
openai plugin on the loopback wire: cached tokens are part of the prompt tokens and priced apart (not
billed twice), cache writes likewise, reasoning at the output price, a streamed exchange and the same one
whole alike, an embedding priced, and where the provider said what it charged, ours agrees to the last
digit (or a ``cost-mismatch`` warning says it does not).

Prices are the config file's overrides (US dollars per million tokens) so that the arithmetic stays
fixed whatever the catalog says; the last test prices through the shipped catalog.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import ChatResponse, Cost
from modelplex_testing import FAKE_KEY, Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="openai")

FIXTURES = Path(__file__).parent / "fixtures"
PRICES = {
    # The prices the providers' own charges in recordings 10 and 11 were worked out from (see below).
    "gpt-5.6-sol": 'input = "5", cache_write = "6.25", output = "30"',
    "openai/gpt-5.6-sol": 'input = "5", cache_write = "6.25", output = "30"',
    "grok-4.3": 'input = "1.25", cache_read = "0.20", output = "2.5"',
    # OpenAI's list prices.
    "gpt-4o-2024-08-06": 'input = "2.50", cache_read = "1.25", output = "10"',
    "gpt-4o-mini-2024-07-18": 'input = "0.15", cache_read = "0.075", output = "0.60"',
    "gpt-4.1-nano-2025-04-14": 'input = "0.10", cache_read = "0.025", output = "0.40"',
    "text-embedding-3-small": 'input = "0.02", output = "0"',
}


def body(name: str) -> dict[str, Any]:
    data: dict[str, Any] = Recording.load(FIXTURES / f"{name}.json").response["body"]
    return data


def client(server: ScriptedServer, tmp_path: Path, api: str,
           prices: Mapping[str, str] | None = PRICES) -> modelplex.Client:
    config: Path | bool = False
    if prices is not None:
        config = tmp_path / "config.toml"
        config.write_text("".join(f'[models."openai/{m}"]\nprices = {{ {p} }}\n' for m, p in prices.items()))
    return modelplex.Client(config_file=config, env={},
                            providers={"openai": {"api_key": FAKE_KEY, "base_url": server.url, "api": api}})


def chat(data: dict[str, Any], api: str, tmp_path: Path, model: str = "gpt-4o",
         prices: Mapping[str, str] = PRICES) -> ChatResponse:
    with ScriptedServer([Reply.json(data)]) as server, client(server, tmp_path, api, prices) as c:
        return c.chat(f"openai/{model}", "hi")


def mismatches(response: ChatResponse) -> list[str]:
    return [w.message for w in response.warnings if w.code == "cost-mismatch"]


def test_cached_tokens_are_part_of_the_prompt_and_priced_apart(tmp_path: Path) -> None:
    """11 (xAI on the Responses API): input_tokens 199 of which 128 cached, output_tokens 184 of which
    181 reasoning; xAI charged 5,743,500 ticks of 1e-10 USD = 0.00057435.

    71 x 1.25 + 128 x 0.20 + 3 x 2.5 + 181 x 2.5 = 88.75 + 25.6 + 7.5 + 452.5 = 574.35 per 10^6: the
    provider's own figure to the last digit. Billing the cached tokens twice (199 x 1.25 + 128 x 0.20)
    or at full price (199 x 1.25) would make 663.35 or 637.75, and a cost-mismatch warning.
    """
    response = chat(body("openai_responses/11_xai_cost_in_usd_ticks"), "responses", tmp_path, "grok-4.3")
    cost = response.cost
    assert cost is not None and cost.input == Decimal("0.00008875")
    assert cost.cache_read == Decimal("0.0000256")
    assert cost.total == Decimal("0.00057435") == cost.reported and mismatches(response) == []


def test_chat_completions_cached_tokens_are_not_billed_twice(tmp_path: Path) -> None:
    """01 with 16 of its 24 prompt tokens marked cached (derived: no public Chat Completions recording
    with cached tokens was found).

    8 x 2.50 + 16 x 1.25 + 8 x 10 = 20 + 20 + 80 = 120 per 10^6 (not 24 x 2.50 + 16 x 1.25 + 80 = 160)
    """
    data = body("openai/01_chat_text")
    data = {**data, "usage": {**data["usage"], "prompt_tokens_details": {"cached_tokens": 16}}}
    response = chat(data, "chat_completions", tmp_path)
    assert response.usage.input == 8 and response.usage.cache_read == 16
    assert response.cost is not None and response.cost.total == Decimal("0.00012")


@pytest.mark.parametrize(("name", "api"), [("openai/12_chat_cache_write_tokens", "chat_completions"),
                                           ("openai_responses/09_cache_write_tokens", "responses")])
def test_cache_writes_are_part_of_the_prompt_and_priced_apart(tmp_path: Path, name: str, api: str) -> None:
    """12 / 09: 4,020 prompt tokens of which 4,012 written to the cache; 4 (Chat Completions) or 5
    (Responses) output.

    8 x 5 + 4,012 x 6.25 + 4 x 30 = 40 + 25,075 + 120 = 25,235 per 10^6; with 5 output: 25,265
    """
    response = chat(body(name), api, tmp_path, "gpt-5.6-sol")
    expected = Decimal("0.025235") if api == "chat_completions" else Decimal("0.025265")
    assert response.cost is not None and response.cost.cache_write == Decimal("0.025075")
    assert response.cost.total == expected


def test_openrouters_reported_charge_agrees_with_ours(tmp_path: Path) -> None:
    """10 (OpenRouter on the Responses API, the same exchange as 09): usage.cost 0.025265 =
    upstream input 0.025115 (8 x 5 + 4,012 x 6.25 = 25,115 per 10^6) + output 0.00015 (5 x 30)."""
    response = chat(body("openai_responses/10_openrouter_cache_write_cost"), "responses", tmp_path,
                    "openai/gpt-5.6-sol")
    assert response.cost is not None and response.cost.reported == Decimal("0.025265")
    assert response.cost.total == Decimal("0.025265") and mismatches(response) == []


def test_a_reported_charge_that_differs_is_warned_about(tmp_path: Path) -> None:
    """11 again, with the cached tokens priced as plain input by mistake (an override of 1.25): ours,
    71 x 1.25 + 128 x 1.25 + 184 x 2.5 = 88.75 + 160 + 460 = 708.75 per 10^6, is 23% over xAI's."""
    wrong = {**PRICES, "grok-4.3": 'input = "1.25", cache_read = "1.25", output = "2.5"'}
    response = chat(body("openai_responses/11_xai_cost_in_usd_ticks"), "responses", tmp_path, "grok-4.3",
                    wrong)
    assert response.cost is not None and response.cost.total == Decimal("0.00070875")
    (message,) = mismatches(response)
    assert "0.00057435" in message and "0.00070875" in message


def whole_chat(name: str) -> dict[str, Any]:
    """The Chat Completions body of the exchange a recorded stream streamed: its chunks' text joined,
    the finish reason and the usage chunk's count."""
    text, finish, usage, first = [], None, None, None
    for line in Recording.load(FIXTURES / f"{name}.json").response["body_text"].splitlines():
        if not line.startswith("data: {"):
            continue
        chunk = json.loads(line.removeprefix("data: "))
        first = first or chunk
        for choice in chunk["choices"]:
            text.append(choice["delta"].get("content") or "")
            finish = choice.get("finish_reason") or finish
        usage = chunk.get("usage") or usage
    assert first is not None
    return {"id": first["id"], "object": "chat.completion", "created": first["created"],
            "model": first["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(text)},
                         "finish_reason": finish}], "usage": usage}


def whole_responses(name: str) -> dict[str, Any]:
    """The Responses API body of a recorded stream's exchange: its ``response.completed`` event's
    response, which is that body."""
    for line in Recording.load(FIXTURES / f"{name}.json").response["body_text"].splitlines():
        if line.startswith("data: ") and '"response.completed"' in line:
            found: dict[str, Any] = json.loads(line.removeprefix("data: "))["response"]
            return found
    raise AssertionError("no response.completed")


@pytest.mark.parametrize(("name", "api", "model", "total"), [
    # 78 x 0.15 + 9 x 0.60 = 11.7 + 5.4 = 17.1 per 10^6
    ("openai/06_chat_stream_text_with_usage", "chat_completions", "gpt-4o-mini", Decimal("0.0000171")),
    # 14 x 0.10 + 8 x 0.40 = 1.4 + 3.2 = 4.6 per 10^6
    ("openai_responses/06_stream_text", "responses", "gpt-4.1-nano", Decimal("0.0000046")),
])
def test_the_same_exchange_streamed_and_whole_costs_the_same(tmp_path: Path, name: str, api: str, model: str,
                                                             total: Decimal) -> None:
    recorded = Recording.load(FIXTURES / f"{name}.json")
    streamed_reply = Reply(headers={"content-type": "text/event-stream"},
                           events=[f"{f}\n\n".encode() for f in recorded.response["body_text"].split("\n\n")
                                   if f.strip()])
    whole_body = whole_chat(name) if api == "chat_completions" else whole_responses(name)
    with ScriptedServer([streamed_reply, Reply.json(whole_body)]) as server, \
            client(server, tmp_path, api) as c:
        with c.stream(f"openai/{model}", "hi") as stream:
            streamed = stream.get_response()
        whole = c.chat(f"openai/{model}", "hi")
    assert streamed.usage == whole.usage and streamed.cost == whole.cost
    assert whole.cost is not None and whole.cost.total == total and whole.cost.status == "exact"


def test_an_embedding_is_priced(tmp_path: Path) -> None:
    """11: 7 prompt tokens of text-embedding-3-small at 0.02: 0.14 per 10^6."""
    with ScriptedServer([Reply.json(body("openai/11_embeddings_dimensions"))]) as server, \
            client(server, tmp_path, "chat_completions") as c:
        response = c.embed("openai/text-embedding-3-small", "hello", dimensions=2)
    assert response.cost == Cost(input="0.00000014", output=0, cache_read=0, cache_write=0, cache_write_1h=0,
                                 reasoning=0, status="exact", price_version="override")


def test_the_shipped_catalog_prices_a_dated_snapshot_of_gpt_4o(tmp_path: Path) -> None:
    """01 answered as gpt-4o-2024-08-06: priced by the catalog's gpt-4o entry, dated."""
    with ScriptedServer([Reply.json(body("openai/01_chat_text"))]) as server, \
            client(server, tmp_path, "chat_completions", prices=None) as c:
        response = c.chat("openai/gpt-4o", "hi")
    cost = response.cost
    assert response.model == "gpt-4o-2024-08-06" and cost is not None and cost.status == "exact"
    assert cost.total is not None and cost.total > 0
    assert cost.price_version is not None and cost.price_version.startswith("catalog:")
