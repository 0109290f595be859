"""What recorded DeepSeek exchanges cost, worked out by hand (issue 13), through the installed deepseek
plugin on the loopback wire: reasoning tokens at the output price, cache hits priced apart from the
misses that make up the rest of the prompt, the same exchange streamed and whole alike, and the shipped
catalog pricing deepseek-reasoner.

Prices are config overrides in US dollars per million tokens so that the arithmetic stays fixed
(DeepSeek's V3.2 list prices): input (cache miss) 0.28, cache hit 0.028, output 0.42.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import ChatResponse
from modelplex_testing import Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="deepseek")

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"
KEY = "sk-deepseek-test-key-0123456789"
PRICES = 'prices = { input = "0.28", cache_read = "0.028", output = "0.42" }'
CONFIG = f'[models."deepseek/deepseek-reasoner"]\n{PRICES}\n[models."deepseek/deepseek-v4-flash"]\n{PRICES}\n'


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def client(server: ScriptedServer, tmp_path: Path, config: str | None = CONFIG) -> modelplex.Client:
    path: Path | bool = False
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config)
    return modelplex.Client(config_file=path, env={},
                            providers={"deepseek": {"api_key": KEY, "base_url": server.url}})


def chat(data: dict[str, Any], tmp_path: Path, model: str) -> ChatResponse:
    with ScriptedServer([Reply.json(data)]) as server, client(server, tmp_path) as c:
        return c.chat(f"deepseek/{model}", "hi")


def test_reasoning_tokens_are_billed_at_the_output_price(tmp_path: Path) -> None:
    """02 (deepseek-reasoner): 12 prompt tokens; 789 completion tokens of which 415 reasoning.

    12 x 0.28 + 374 x 0.42 + 415 x 0.42 = 3.36 + 157.08 + 174.3 = 334.74 per 10^6
    """
    response = chat(recording("02_reasoning_content").response["body"], tmp_path, "deepseek-reasoner")
    assert response.usage.reasoning == 415 and response.usage.output == 374
    assert response.cost is not None and response.cost.reasoning == Decimal("0.0001743")
    assert response.cost.total == Decimal("0.00033474") and response.cost.status == "exact"


def test_cache_hits_are_priced_apart_from_the_misses(tmp_path: Path) -> None:
    """03 with 800 of its 875 prompt tokens hits of DeepSeek's context cache (derived: every public
    recording found has 0 hits); 79 completion tokens, 26 of them reasoning.

    75 x 0.28 + 800 x 0.028 + 53 x 0.42 + 26 x 0.42 = 21 + 22.4 + 22.26 + 10.92 = 76.58 per 10^6
    (all 875 as misses would be 245 for the prompt alone)
    """
    body = copy.deepcopy(recording("03_reasoning_parallel_tool_calls").response["body"])
    body["usage"].update(prompt_cache_hit_tokens=800, prompt_cache_miss_tokens=75,
                         prompt_tokens_details={"cached_tokens": 800})
    response = chat(body, tmp_path, "deepseek-v4-flash")
    assert response.usage.cache_read == 800 and response.usage.input == 75
    assert response.cost is not None and response.cost.cache_read == Decimal("0.0000224")
    assert response.cost.total == Decimal("0.00007658")


def whole_of(name: str) -> dict[str, Any]:
    """The chat completion of the exchange a recorded stream streamed: its reasoning and text joined,
    the finish reason and the usage chunk's count."""
    reasoning, text, finish, usage, first = [], [], None, None, None
    for line in recording(name).response["body_text"].splitlines():
        if not line.startswith("data: {"):
            continue
        chunk = json.loads(line.removeprefix("data: "))
        first = first or chunk
        for choice in chunk["choices"]:
            reasoning.append(choice["delta"].get("reasoning_content") or "")
            text.append(choice["delta"].get("content") or "")
            finish = choice.get("finish_reason") or finish
        usage = chunk.get("usage") or usage
    assert first is not None
    message = {"role": "assistant", "content": "".join(text), "reasoning_content": "".join(reasoning)}
    return {"id": first["id"], "object": "chat.completion", "created": first["created"],
            "model": first["model"], "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage}


def test_the_same_exchange_streamed_and_whole_costs_the_same(tmp_path: Path) -> None:
    """07 (deepseek-reasoner): 6 prompt tokens; 212 completion tokens of which 198 reasoning.

    6 x 0.28 + 14 x 0.42 + 198 x 0.42 = 1.68 + 5.88 + 83.16 = 90.72 per 10^6
    """
    text = recording("07_stream_reasoning_content").response["body_text"]
    streamed_reply = Reply(headers={"content-type": "text/event-stream"},
                           events=[f"{f}\n\n".encode() for f in text.split("\n\n") if f.strip()])
    whole_reply = Reply.json(whole_of("07_stream_reasoning_content"))
    with ScriptedServer([streamed_reply, whole_reply]) as server, client(server, tmp_path) as c:
        with c.stream("deepseek/deepseek-reasoner", "hi") as stream:
            streamed = stream.get_response()
        whole = c.chat("deepseek/deepseek-reasoner", "hi")
    assert streamed.usage == whole.usage and streamed.usage.reasoning == 198
    assert streamed.cost == whole.cost and stream.cost == whole.cost
    assert whole.cost is not None and whole.cost.total == Decimal("0.00009072")


def test_the_shipped_catalog_prices_deepseek_reasoner(tmp_path: Path) -> None:
    with ScriptedServer([Reply.json(recording("02_reasoning_content").response["body"])]) as server, \
            client(server, tmp_path, config=None) as c:
        cost = c.chat("deepseek/deepseek-reasoner", "hi").cost
    assert cost is not None and cost.status == "exact" and cost.total is not None and cost.total > 0
    assert cost.price_version is not None and cost.price_version.startswith("catalog:")
