"""What a Mistral call costs, on the loopback wire: the shipped catalog has no Mistral prices, so the
reply is unpriced (``unknown``, never a made-up zero) until the user's config prices the model, and then
its usage is priced at those prices."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import modelplex
from modelplex import ChatResponse
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="mistral")

MODEL = "mistral-small-latest"
REPLY = {"id": "cmpl-cost", "object": "chat.completion", "created": 1767225600, "model": MODEL,
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"},
                      "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}}


def chat(config: Path | bool) -> ChatResponse:
    with ScriptedServer([Reply.json(REPLY)]) as server, modelplex.Client(
            providers={"mistral": {"base_url": server.url, "api_key": "mistral-cost-key"}},
            config_file=config, env={}) as client:
        return client.chat(f"mistral/{MODEL}", "hi")


def test_configured_prices_price_the_reply(tmp_path: Path) -> None:
    """20 x 0.10 + 10 x 0.30 = 2 + 3 = 5 per 10^6."""
    config = tmp_path / "config.toml"
    config.write_text(f'[models."mistral/{MODEL}"]\nprices = {{ input = "0.10", output = "0.30" }}\n',
                      encoding="utf-8")
    response = chat(config)
    assert response.cost is not None and response.cost.status == "exact"
    assert response.cost.total == Decimal("0.000005")


def test_an_unpriced_model_costs_unknown_not_zero() -> None:
    response = chat(False)
    assert response.cost is not None and response.cost.status == "unknown" and response.cost.total is None
