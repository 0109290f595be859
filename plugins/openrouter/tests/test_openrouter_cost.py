"""OpenRouter reports what it charged (``usage.cost``): recorded streams priced by hand agree with it to
the last digit, the charge is kept beside ours, and a difference is a ``cost-mismatch`` warning (issue 13).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import modelplex
from modelplex import ChatResponse
from modelplex_testing import Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

pytestmark = pytest.mark.feature("cost", provider="openrouter")

FIXTURES = Path(__file__).parent / "fixtures" / "openrouter"


def stream(name: str, model: str, tmp_path: Path, config: str | None) -> ChatResponse:
    text = Recording.load(FIXTURES / f"{name}.json").response["body_text"]
    reply = Reply(headers={"content-type": "text/event-stream"},
                  events=[f"{f}\n\n".encode() for f in text.replace("\r\n", "\n").split("\n\n") if f.strip()])
    path: Path | bool = False
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config)
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={"openrouter": {"base_url": server.url, "api_key": "sk-or-test"}},
            config_file=path, env={}) as client, client.stream(f"openrouter/{model}", "hi") as events:
        return events.get_response()


HAIKU = '[models."openrouter/{model}"]\nprices = {{ input = "{input}", output = "5" }}\n'


@pytest.mark.parametrize(("name", "model", "total"), [
    # 80 prompt x 1 + 1,128 completion x 5 = 80 + 5,640 = 5,720 per 10^6; OpenRouter charged 0.00572
    ("06_stream_reasoning", "anthropic/claude-4.5-haiku-20251001", Decimal("0.00572")),
    # 626 x 1 + 106 x 5 = 626 + 530 = 1,156 per 10^6; OpenRouter charged 0.001156
    ("07_stream_reasoning_tool_call", "anthropic/claude-haiku-4.5", Decimal("0.001156")),
])
def test_a_recorded_charge_matches_ours(tmp_path: Path, name: str, model: str, total: Decimal) -> None:
    response = stream(name, "anthropic/claude-haiku-4.5", tmp_path, HAIKU.format(model=model, input="1"))
    assert response.model == model and response.cost is not None
    assert response.cost.total == total == response.cost.reported
    assert "cost-mismatch" not in [w.code for w in response.warnings]


def test_a_charge_that_differs_from_ours_is_warned_about(tmp_path: Path) -> None:
    """07 with the input priced at 3 by mistake: 626 x 3 + 530 = 2,408 per 10^6, twice OpenRouter's."""
    config = HAIKU.format(model="anthropic/claude-haiku-4.5", input="3")
    response = stream("07_stream_reasoning_tool_call", "anthropic/claude-haiku-4.5", tmp_path, config)
    assert response.cost is not None and response.cost.total == Decimal("0.002408")
    assert response.cost.reported == Decimal("0.001156")
    assert [w.field for w in response.warnings if w.code == "cost-mismatch"] == ["usage.reported_cost"]


def test_the_shipped_catalog_agrees_with_openrouters_charge(tmp_path: Path) -> None:
    """07 priced by the bundled catalog's Claude Haiku 4.5 entry: what OpenRouter charged."""
    response = stream("07_stream_reasoning_tool_call", "anthropic/claude-haiku-4.5", tmp_path, None)
    cost = response.cost
    assert cost is not None and cost.price_version is not None and cost.price_version.startswith("catalog:")
    assert cost.total == cost.reported == Decimal("0.001156")
