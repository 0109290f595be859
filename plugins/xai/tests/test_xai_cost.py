"""What recorded xAI exchanges cost, worked out by hand (issue 13), through the installed xai plugin on
the loopback wire: cached tokens are part of the prompt tokens and priced apart, reasoning tokens (which
xAI counts outside completion_tokens) at the output price, and the shipped catalog pricing grok-4.3.

Prices are config overrides in US dollars per million tokens: grok-4.3 at input 1.25, cache read 0.20,
output 2.50 (the prices its own charge in the openai plugin's recording 11 works out to), grok-4.1 fast
at input 0.20, cache read 0.05, output 0.50.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import modelplex
from modelplex import ChatResponse
from modelplex_testing import FAKE_KEY, Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="xai")

FIXTURES = Path(__file__).parent / "fixtures" / "xai"
CONFIG = ('[models."xai/grok-4.3"]\nprices = { input = "1.25", cache_read = "0.20", output = "2.50" }\n'
          '[models."xai/grok-4-1-fast-non-reasoning"]\n'
          'prices = { input = "0.20", cache_read = "0.05", output = "0.50" }\n')


def chat(name: str, model: str, tmp_path: Path, config: str | None = CONFIG) -> ChatResponse:
    path: Path | bool = False
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config)
    body = Recording.load(FIXTURES / f"{name}.json").response["body"]
    with ScriptedServer([Reply.json(body)]) as server, modelplex.Client(
            config_file=path, env={}, providers={"xai": {"api_key": FAKE_KEY, "base_url": server.url}}) as c:
        return c.chat(f"xai/{model}", "hi")


def test_cached_prompt_tokens_and_reasoning(tmp_path: Path) -> None:
    """01: 137 prompt tokens of which 128 cached; 1 completion token and 116 reasoning tokens.

    9 x 1.25 + 128 x 0.20 + 1 x 2.50 + 116 x 2.50 = 11.25 + 25.6 + 2.5 + 290 = 329.35 per 10^6
    """
    response = chat("01_text_reasoning", "grok-4.3", tmp_path)
    assert (response.usage.input, response.usage.cache_read, response.usage.reasoning) == (9, 128, 116)
    assert response.cost is not None and response.cost.total == Decimal("0.00032935")


def test_a_mostly_cached_prompt(tmp_path: Path) -> None:
    """03: 560 prompt tokens of which 461 cached; 37 completion tokens.

    99 x 0.20 + 461 x 0.05 + 37 x 0.50 = 19.8 + 23.05 + 18.5 = 61.35 per 10^6 (not 560 x 0.20 + ... = 130.5)
    """
    response = chat("03_tool_result_followup", "grok-4-1-fast-non-reasoning", tmp_path)
    assert response.cost is not None and response.cost.cache_read == Decimal("0.00002305")
    assert response.cost.total == Decimal("0.00006135")


def test_the_shipped_catalog_prices_grok_4_3(tmp_path: Path) -> None:
    cost = chat("01_text_reasoning", "grok-4.3", tmp_path, config=None).cost
    assert cost is not None and cost.status == "exact" and cost.total is not None and cost.total > 0
    assert cost.price_version is not None and cost.price_version.startswith("catalog:")
