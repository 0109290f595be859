"""What recorded Gemini exchanges cost, worked out by hand (issue 13), through the installed gemini
plugin on the loopback wire: thinking tokens billed as output, cached content priced apart from the
prompt it is part of, a long-context tier past 200k, the same exchange streamed and whole alike, a
stream cut after a count priced from it, and the shipped catalog pricing a current model.

Prices are config overrides in US dollars per million tokens, so the arithmetic stays fixed: Gemini 2.5
Flash at input 0.30, cache read 0.03, output 2.50; Gemini 2.5 Pro at input 1.25 and output 10, and past
200,000 input tokens input 2.50 and output 15 for the whole request.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from gemini_helpers import recording

import modelplex
from modelplex import ChatResponse
from modelplex.errors import StreamInterruptedError
from modelplex.hookspecs import hookimpl
from modelplex_testing import FAKE_KEY
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="gemini")

CONFIG = """
[models."gemini/gemini-2.5-flash"]
prices = { input = "0.30", cache_read = "0.03", output = "2.50" }
[models."gemini/gemini-2.5-pro"]
prices = { input = "1.25", output = "10", tiers = [{ above = 200000, input = "2.50", output = "15" }] }
"""


def client(server: ScriptedServer, tmp_path: Path, config: str | None = CONFIG) -> modelplex.Client:
    path: Path | bool = False
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config)
    return modelplex.Client(config_file=path, env={},
                            providers={"gemini": {"api_key": FAKE_KEY, "base_url": server.url}})


def chat(data: dict[str, Any], tmp_path: Path, model: str = "gemini-2.5-flash") -> ChatResponse:
    with ScriptedServer([Reply.json(data)]) as server, client(server, tmp_path) as c:
        return c.chat(f"gemini/{model}", "hi")


def frames(name: str) -> list[bytes]:
    text = recording(name).response["body_text"].replace("\r\n", "\n")  # sent with CRLF line ends
    return [f"{frame}\n\n".encode() for frame in text.split("\n\n") if frame.strip()]


def whole_of(name: str) -> dict[str, Any]:
    """The generateContent body of the exchange a recorded stream streamed: its thought and text parts
    joined, the last chunk's finish reason and usageMetadata (each chunk carries the count so far)."""
    thought: list[str] = []
    text: list[str] = []
    last: dict[str, Any] = {}
    for frame in frames(name):
        chunk = json.loads(frame.decode().removeprefix("data: "))
        for part in chunk["candidates"][0]["content"]["parts"]:
            (thought if part.get("thought") else text).append(part["text"])
        last = chunk
    parts = [{"text": "".join(thought), "thought": True}, {"text": "".join(text)}]
    candidate = {"content": {"parts": parts, "role": "model"},
                 "finishReason": last["candidates"][0]["finishReason"], "index": 0}
    return {"candidates": [candidate], "usageMetadata": last["usageMetadata"],
            "modelVersion": last["modelVersion"], "responseId": last["responseId"]}


def test_thinking_tokens_are_billed_as_output(tmp_path: Path) -> None:
    """01: 9 prompt tokens, 9 candidate tokens and 34 thought tokens (not counted in the candidates).

    9 x 0.30 + 9 x 2.50 + 34 x 2.50 = 2.7 + 22.5 + 85 = 110.2 per 10^6
    """
    response = chat(recording("01_generate_text").response["body"], tmp_path)
    assert response.usage.reasoning == 34
    assert response.cost is not None and response.cost.reasoning == Decimal("0.000085")
    assert response.cost.total == Decimal("0.0001102")


def test_cached_content_is_priced_apart_from_the_prompt_it_is_part_of(tmp_path: Path) -> None:
    """20: 9,622 prompt tokens of which 9,609 from an explicit cache; 35 output, 136 thoughts.

    13 x 0.30 + 9,609 x 0.03 + 35 x 2.50 + 136 x 2.50 = 3.9 + 288.27 + 87.5 + 340 = 719.67 per 10^6
    (the whole prompt at 0.30 would be 2,886.6 for the input alone)
    """
    cost = chat(recording("20_usage_cached_content").response["body"], tmp_path).cost
    assert cost is not None and cost.input == Decimal("0.0000039")
    assert cost.cache_read == Decimal("0.00028827")
    assert cost.total == Decimal("0.00071967") and cost.status == "exact"


@pytest.mark.parametrize(("prompt", "total"), [
    # 200,000 prompt tokens: not above the threshold. 200,000 x 1.25 + 469 x 10 + 787 x 10
    # = 250,000 + 4,690 + 7,870 = 262,560 per 10^6
    (200_000, Decimal("0.26256")),
    # One more: the whole request at the tier's prices. 200,001 x 2.50 + 469 x 15 + 787 x 15
    # = 500,002.5 + 7,035 + 11,805 = 518,842.5 per 10^6
    (200_001, Decimal("0.5188425")),
])
def test_a_long_prompt_reprices_the_whole_request(tmp_path: Path, prompt: int, total: Decimal) -> None:
    """07's whole reply with its prompt count raised to the tier's boundary (derived)."""
    body = whole_of("07_stream_thinking")
    body["usageMetadata"] = {**body["usageMetadata"], "promptTokenCount": prompt,
                             "totalTokenCount": prompt + 469 + 787}
    cost = chat(body, tmp_path, "gemini-2.5-pro").cost
    assert cost is not None and cost.total == total


def test_the_same_exchange_streamed_and_whole_costs_the_same(tmp_path: Path) -> None:
    """07 (Gemini 2.5 Pro): 34 prompt tokens, 469 candidate tokens, 787 thought tokens.

    34 x 1.25 + 469 x 10 + 787 x 10 = 42.5 + 4,690 + 7,870 = 12,602.5 per 10^6
    """
    stream_reply = Reply(headers={"content-type": "text/event-stream"}, events=frames("07_stream_thinking"))
    whole_reply = Reply.json(whole_of("07_stream_thinking"))
    with ScriptedServer([stream_reply, whole_reply]) as server, client(server, tmp_path) as c:
        with c.stream("gemini/gemini-2.5-pro", "hi") as stream:
            streamed = stream.get_response()
        whole = c.chat("gemini/gemini-2.5-pro", "hi")
    assert streamed.usage == whole.usage and streamed.cost == whole.cost
    assert whole.cost is not None and whole.cost.total == Decimal("0.0126025")


def test_a_cut_stream_has_a_partial_estimated_cost(tmp_path: Path) -> None:
    """07 cut before its last chunk. Every chunk carried the count so far, but the gemini plugin reports
    usage once, at the stream's end: the cut stream's usage is the core's estimate (the prompt, and the
    text and thoughts received, at 4 characters a token), priced at the same rates and marked partial."""
    events = frames("07_stream_thinking")
    cut = Reply(headers={"content-type": "text/event-stream"}, events=events, cut_after=len(events) - 1)
    outcomes: list[Any] = []

    class Outcomes:
        @hookimpl
        def modelplex_after_call(self, outcome: Any) -> None:
            outcomes.append(outcome)

    with ScriptedServer([cut]) as server, client(server, tmp_path) as c:
        c.registry.register("outcomes", Outcomes())
        stream = c.stream("gemini/gemini-2.5-pro", "hi")
        with pytest.raises(StreamInterruptedError), stream:
            stream.get_response()
    cost, (outcome,) = stream.cost, outcomes
    assert cost is not None and cost.partial and cost.status == "estimated" and outcome.cost == cost
    usage = outcome.usage
    assert usage.estimated and usage.input > 0 and usage.output > 400  # the text and thoughts received
    assert cost.total == (usage.input * Decimal("1.25") + usage.output * 10) / 10**6


def test_the_shipped_catalog_prices_a_current_model(tmp_path: Path) -> None:
    """Without overrides: the bundled catalog's prices for Gemini 2.5 Flash, dated."""
    reply = Reply.json(copy.deepcopy(recording("01_generate_text").response["body"]))
    with ScriptedServer([reply]) as server, client(server, tmp_path, config=None) as c:
        cost = c.chat("gemini/gemini-2.5-flash", "hi").cost
    assert cost is not None and cost.status == "exact" and cost.total is not None and cost.total > 0
    assert cost.price_version is not None and cost.price_version.startswith("catalog:")
