"""What recorded Anthropic exchanges cost, worked out by hand (issue 13): cache writes priced by their
lifetime apart from input, thinking billed as output, the same exchange streamed and whole alike, a
stream cut after its count priced from it, and the shipped catalog pricing a current model.

Prices are the config file's ``[models."anthropic/..."]`` overrides, so the arithmetic here does not move
when the catalog's prices do: US dollars per million tokens, input 3, cache read 0.30, cache write
(5 minutes) 3.75, cache write (1 hour) 6, output 15 (Claude Sonnet 4.5's list prices).
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import Cost
from modelplex.errors import StreamInterruptedError
from modelplex_testing import FAKE_KEY, Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="anthropic")

FIXTURES = Path(__file__).parent / "fixtures"
SONNET = 'input = "3", cache_read = "0.30", cache_write = "3.75", cache_write_1h = "6", output = "15"'
# Haiku 4.5's list prices: input 1, cache read 0.10, cache write 1.25, output 5.
HAIKU = 'input = "1", cache_read = "0.10", cache_write = "1.25", output = "5"'
PRICES = (f'[models."anthropic/claude-sonnet-4-6"]\nprices = {{ {SONNET} }}\n'
          f'[models."anthropic/claude-sonnet-4-5-20250929"]\nprices = {{ {SONNET} }}\n'
          f'[models."anthropic/claude-haiku-4-5-20251001"]\nprices = {{ {HAIKU} }}\n')


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def client(server: ScriptedServer, tmp_path: Path, config: str | None = PRICES) -> modelplex.Client:
    path: Path | bool = False
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config)
    return modelplex.Client(config_file=path, env={},
                            providers={"anthropic": {"api_key": FAKE_KEY, "base_url": server.url}})


def chat(reply: Reply, tmp_path: Path, model: str = "claude-sonnet-4-5") -> modelplex.ChatResponse:
    with ScriptedServer([reply]) as server, client(server, tmp_path) as c:
        return c.chat(f"anthropic/{model}", "hi")


def frames(name: str) -> list[bytes]:
    """A recorded stream's SSE frames, each as it was sent."""
    text = recording(name).response["body_text"]
    return [f"{frame}\n\n".encode() for frame in text.split("\n\n") if frame.strip()]


def whole_of(name: str) -> dict[str, Any]:
    """The Messages API body of the exchange a recorded stream streamed: the ``message_start`` message
    with its content blocks as the deltas built them and the final ``message_delta`` (Anthropic's
    stream is that message sent in pieces)."""
    message: dict[str, Any] = {}
    partial: dict[int, str] = {}
    for frame in frames(name):
        line = next(x for x in frame.decode().splitlines() if x.startswith("data:"))
        event = json.loads(line.removeprefix("data:"))
        kind = event["type"]
        if kind == "message_start":
            message = event["message"]
        elif kind == "content_block_start":
            message["content"].append(dict(event["content_block"]))
        elif kind == "content_block_delta":
            block, delta = message["content"][event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] += delta["signature"]
            elif delta["type"] == "input_json_delta":
                partial[event["index"]] = partial.get(event["index"], "") + delta["partial_json"]
        elif kind == "content_block_stop" and event["index"] in partial:
            message["content"][event["index"]]["input"] = json.loads(partial.pop(event["index"]) or "{}")
        elif kind == "message_delta":
            message.update(event["delta"])
            message["usage"] = {**message["usage"], **event["usage"]}
    return message


def test_cache_writes_and_reads_are_priced_apart_from_input(tmp_path: Path) -> None:
    """13: 10 input, 4,332 read from the cache, 4,513 written for five minutes, 211 output.

    10 x 3 + 4,332 x 0.30 + 4,513 x 3.75 + 211 x 15 = 30 + 1,299.6 + 16,923.75 + 3,165 = 21,418.35 per 10^6
    (billed as 8,855 input tokens at 3 it would be 26,565 + 3,165: cache prices are what make it cheaper).
    """
    response = chat(Reply.json(recording("13_cache_write_by_lifetime").response["body"]), tmp_path)
    cost = response.cost
    assert cost is not None and cost.price_version == "override" and cost.status == "exact"
    assert (cost.input, cost.cache_read, cost.cache_write, cost.cache_write_1h, cost.output) == (
        Decimal("0.00003"), Decimal("0.0012996"), Decimal("0.01692375"), Decimal(0), Decimal("0.003165"))
    assert cost.total == Decimal("0.02141835")


def test_one_hour_cache_writes_are_priced_at_their_own_price(tmp_path: Path) -> None:
    """13 with its 4,513 writes split 13 for five minutes and 4,500 for an hour (derived: no public
    recording has one-hour writes).

    10 x 3 + 4,332 x 0.30 + 13 x 3.75 + 4,500 x 6 + 211 x 15
    = 30 + 1,299.6 + 48.75 + 27,000 + 3,165 = 31,543.35 per 10^6
    """
    body = copy.deepcopy(recording("13_cache_write_by_lifetime").response["body"])
    body["usage"]["cache_creation"] = {"ephemeral_5m_input_tokens": 13, "ephemeral_1h_input_tokens": 4500}
    cost = chat(Reply.json(body), tmp_path).cost
    assert cost is not None and cost.cache_write == Decimal("0.00004875")
    assert cost.cache_write_1h == Decimal("0.027")
    assert cost.total == Decimal("0.03154335")


def test_thinking_tokens_are_billed_as_output(tmp_path: Path) -> None:
    """12: 7,744 input; 353 output of which 80 thinking (reasoning, at the output price).

    7,744 x 3 + 273 x 15 + 80 x 15 = 23,232 + 4,095 + 1,200 = 28,527 per 10^6
    """
    response = chat(Reply.json(recording("12_thinking_tokens_in_usage").response["body"]), tmp_path)
    assert response.usage.reasoning == 80 and response.usage.output == 273
    assert response.cost is not None and response.cost.reasoning == Decimal("0.0012")
    assert response.cost.total == Decimal("0.028527")


@pytest.mark.parametrize(("name", "total"), [
    # 46 x 1 + 133 x 5 = 46 + 665 = 711 per 10^6
    ("08_stream_thinking", Decimal("0.000711")),
    # 633 x 1 + 75 x 5 = 633 + 375 = 1,008 per 10^6
    ("05_stream_tool_use_input_json_delta", Decimal("0.001008")),
])
def test_the_same_exchange_streamed_and_whole_costs_the_same(tmp_path: Path, name: str,
                                                             total: Decimal) -> None:
    stream_reply = Reply(headers={"content-type": "text/event-stream"}, events=frames(name))
    with ScriptedServer([stream_reply, Reply.json(whole_of(name))]) as server, client(server, tmp_path) as c:
        with c.stream("anthropic/claude-haiku-4-5", "hi") as stream:
            streamed = stream.get_response()
        whole = c.chat("anthropic/claude-haiku-4-5", "hi")
    assert streamed.usage == whole.usage
    assert streamed.cost == whole.cost and stream.cost == whole.cost
    assert whole.cost is not None and whole.cost.total == total and not whole.cost.partial


def test_a_stream_cut_after_its_count_is_priced_from_it(tmp_path: Path) -> None:
    """08 cut before ``message_stop``: the ``message_delta`` with the final count had come, so the
    partial cost is the whole exchange's (0.000711, as above), marked partial."""
    events = frames("08_stream_thinking")
    stop = next(i for i, e in enumerate(events) if b'"message_stop"' in e)
    cut = Reply(headers={"content-type": "text/event-stream"}, events=events, cut_after=stop)
    with ScriptedServer([cut]) as server, client(server, tmp_path) as c:
        stream = c.stream("anthropic/claude-haiku-4-5", "hi")
        with pytest.raises(StreamInterruptedError), stream:
            stream.get_response()
    assert stream.cost == Cost(input="0.000046", output="0.000665", cache_read=0, cache_write=0,
                               cache_write_1h=0, reasoning=0, status="exact", price_version="override",
                               partial=True)


def test_the_shipped_catalog_prices_a_current_model(tmp_path: Path) -> None:
    """Without overrides: the bundled catalog's prices for Claude Sonnet 4.6, dated."""
    with ScriptedServer([Reply.json(recording("13_cache_write_by_lifetime").response["body"])]) as server, \
            client(server, tmp_path, config=None) as c:
        cost = c.chat("anthropic/claude-sonnet-4-6", "hi").cost
    assert cost is not None and cost.status == "exact" and cost.total is not None and cost.total > 0
    assert cost.price_version is not None and cost.price_version.startswith("catalog:")
