"""What a call to a configured OpenAI-compatible server costs, on the loopback wire: the prices a user
gives the name in the config file price the reply's usage, and a charge the server reports in its usage
(OpenRouter's ``usage.cost``, in a recorded reply) is kept beside it as ``cost.reported``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import modelplex
from modelplex_testing import Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="openai-like")

FIXTURES = Path(__file__).parent / "fixtures"
WHOLE = {"id": "r", "model": "qwen2.5-7b-instruct", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi there"}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2}}


def test_prices_configured_for_a_name_price_its_replies(tmp_path: Path) -> None:
    """5 prompt tokens x 0.10 + 2 completion tokens x 0.40 = 0.5 + 0.8 = 1.3 per 10^6."""
    with ScriptedServer([Reply.json(WHOLE)]) as server:
        config = tmp_path / "config.toml"
        config.write_text(f'[providers.lmstudio]\nplugin = "openai-like"\nbase_url = "{server.url}"\n'
                          '[models."lmstudio/qwen2.5-7b-instruct"]\n'
                          'prices = { input = "0.10", output = "0.40" }\n', encoding="utf-8")
        with modelplex.Client(config_file=config, env={}) as client:
            response = client.chat("lmstudio/qwen2.5-7b-instruct", "Hello")
    assert response.cost is not None and response.cost.status == "exact"
    assert response.cost.total == Decimal("0.0000013") and response.cost.reported is None


def test_a_charge_the_server_reports_is_kept_as_reported() -> None:
    body = Recording.load(FIXTURES / "openrouter" / "02_text.json").response["body"]
    with ScriptedServer([Reply.json(body)]) as server, modelplex.Client(
            providers={"router": {"plugin": "openai-like", "base_url": server.url, "api_key": "sk-or-test"}},
            config_file=False, env={}) as client:
        response = client.chat("router/anthropic/claude-haiku-4.5", "What is 2 + 2?")
    assert body["usage"]["cost"] == 0.000081  # the recorded reply's own figure
    assert response.cost is not None and response.cost.reported == Decimal("0.000081")
    assert response.cost.total is None  # no prices configured for this name: only the charge is known
