"""What a Together call costs, on the loopback wire: the shipped catalog's price for Llama 3.3 70B
Turbo (0.88 per million tokens in and out) applied to the reply's usage."""

from __future__ import annotations

from decimal import Decimal

import pytest

import modelplex
from modelplex_testing.compat_server import Reply, ScriptedServer

LLAMA = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
REPLY = {"id": "oV1-cost", "object": "chat.completion", "created": 1767225600, "model": LLAMA,
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"},
                      "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}}


@pytest.mark.feature("cost", provider="together")
def test_the_catalog_prices_a_reply() -> None:
    """20 x 0.88 + 10 x 0.88 = 17.6 + 8.8 = 26.4 per 10^6."""
    with ScriptedServer([Reply.json(REPLY)]) as server, modelplex.Client(
            providers={"together": {"base_url": server.url, "api_key": "together-cost-key"}},
            config_file=False, env={}) as client:
        response = client.chat(f"together/{LLAMA}", "hi")
    assert response.cost is not None and response.cost.status == "exact"
    assert (response.cost.input, response.cost.output) == (Decimal("0.0000176"), Decimal("0.0000088"))
    assert response.cost.total == Decimal("0.0000264")
