"""What an Azure OpenAI call costs, on the loopback wire: a deployment's name is the user's, so the
reply's served model (``gpt-4o-2024-11-20``) finds the catalog's price, with cached prompt tokens
(part of ``prompt_tokens``) priced apart."""

from __future__ import annotations

from decimal import Decimal

import pytest

import modelplex
from modelplex import Usage
from modelplex_testing.compat_server import Reply, ScriptedServer

REPLY = {"id": "chatcmpl-cost", "object": "chat.completion", "created": 1767225600,
         "model": "gpt-4o-2024-11-20",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."},
                      "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30,
                   "prompt_tokens_details": {"cached_tokens": 4}}}


@pytest.mark.feature("cost", provider="azure")
def test_a_deployment_is_priced_by_the_model_it_serves() -> None:
    """gpt-4o: 16 x 2.50 + 4 cached x 1.25 + 10 x 10 = 40 + 5 + 100 = 145 per 10^6."""
    with ScriptedServer([Reply.json(REPLY)]) as server, modelplex.Client(
            providers={"azure": {"base_url": f"http://127.0.0.1:{server.port}", "api_key": "azure-cost-key"}},
            config_file=False, env={}) as client:
        response = client.chat("azure/my-deployment", "Capital of France?")
    assert response.usage == Usage(input=16, cache_read=4, output=10)
    assert response.cost is not None and response.cost.status == "exact"
    assert response.cost.total == Decimal("0.000145")
