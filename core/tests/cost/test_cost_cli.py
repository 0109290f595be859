"""``modelplex chat --json`` shows what the call cost, streamed or not, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelplex._cli import cli
from modelplex_testing.faults import FaultServer


@pytest.mark.parametrize("extra", [[], ["--no-stream"]])
def test_chat_json_shows_the_cost(tmp_path: Path, extra: list[str]) -> None:
    with FaultServer(["w"]) as server:
        config = tmp_path / "config.toml"
        config.write_text(f'[providers.w]\nplugin = "openai-like"\nbase_url = "{server.url("w")}"\n'
                          '[models."w/m1"]\nprices = { input = "2", output = "8" }\n')
        result = CliRunner().invoke(cli, ["chat", "-m", "w/m1", "--json", *extra, "x" * 400],
                                    env={"MODELPLEX_CONFIG": str(config)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cost = json.loads(result.stdout)["cost"]
    # 100 prompt tokens x 2 + 5 completion tokens x 8 = 240 per 10^6 (as exact as the per-token price)
    assert cost == {"input": "0.000200", "cache_read": "0", "cache_write": "0", "cache_write_1h": "0",
                    "output": "0.000040", "reasoning": "0", "total": "0.000240", "status": "exact",
                    "price_version": "override", "reported": None, "partial": False, "currency": "USD"}


def test_chat_json_writes_tiny_amounts_in_fixed_point(tmp_path: Path) -> None:
    with FaultServer(["w"], models=("tiny",)) as server:
        config = tmp_path / "config.toml"
        config.write_text(f'[providers.w]\nplugin = "openai-like"\nbase_url = "{server.url("w")}"\n'
                          '[models."w/tiny"]\nprices = { input = "0.1", output = "0.1" }\n')
        result = CliRunner().invoke(cli, ["chat", "-m", "w/tiny", "--json", "--no-stream", "x"],
                                    env={"MODELPLEX_CONFIG": str(config)}, catch_exceptions=False)
    cost = json.loads(result.stdout)["cost"]
    # 1 prompt token x 0.1 / 10^6 = 0.0000001 (str() would write 1E-7); 5 output tokens: 0.0000005
    assert (cost["input"], cost["output"], cost["total"]) == ("0.0000001", "0.0000005", "0.0000006")
