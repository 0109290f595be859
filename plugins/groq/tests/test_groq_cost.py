"""What recorded Groq exchanges cost, worked out by hand (issue 13), through the installed groq plugin on
the loopback wire: reasoning tokens at the output price, and the shipped catalog pricing a current model.

Prices are config overrides in US dollars per million tokens: gpt-oss-120b at input 0.15 and output
0.60, Llama 3.3 70B at input 0.59 and output 0.79.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import modelplex
from modelplex import ChatResponse
from modelplex_testing import FAKE_KEY, Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="groq")

FIXTURES = Path(__file__).parent / "fixtures" / "groq"
CONFIG = ('[models."groq/openai/gpt-oss-120b"]\nprices = { input = "0.15", output = "0.60" }\n'
          '[models."groq/llama-3.3-70b-versatile"]\nprices = { input = "0.59", output = "0.79" }\n')


def chat(name: str, model: str, tmp_path: Path, config: str | None = CONFIG) -> ChatResponse:
    path: Path | bool = False
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config)
    body = Recording.load(FIXTURES / f"{name}.json").response["body"]
    with ScriptedServer([Reply.json(body)]) as server, modelplex.Client(
            config_file=path, env={}, providers={"groq": {"api_key": FAKE_KEY, "base_url": server.url}}) as c:
        return c.chat(f"groq/{model}", "hi")


def test_reasoning_is_billed_at_the_output_price(tmp_path: Path) -> None:
    """09: 84 prompt tokens; 105 completion tokens of which 95 reasoning.

    84 x 0.15 + 10 x 0.60 + 95 x 0.60 = 12.6 + 6 + 57 = 75.6 per 10^6
    """
    response = chat("09_reasoning_field", "openai/gpt-oss-120b", tmp_path)
    assert response.usage.reasoning == 95 and response.usage.output == 10
    assert response.cost is not None and response.cost.total == Decimal("0.0000756")


def test_a_plain_reply(tmp_path: Path) -> None:
    """01: 48 prompt and 8 completion tokens. 48 x 0.59 + 8 x 0.79 = 28.32 + 6.32 = 34.64 per 10^6"""
    cost = chat("01_text", "llama-3.3-70b-versatile", tmp_path).cost
    assert cost is not None and cost.total == Decimal("0.00003464") and cost.status == "exact"


def test_the_shipped_catalog_prices_llama_3_3(tmp_path: Path) -> None:
    cost = chat("01_text", "llama-3.3-70b-versatile", tmp_path, config=None).cost
    assert cost is not None and cost.status == "exact" and cost.total is not None and cost.total > 0
    assert cost.price_version is not None and cost.price_version.startswith("catalog:")
