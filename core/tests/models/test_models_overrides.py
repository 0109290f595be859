"""The config file's ``[models."provider/model"]`` tables: checked when the file is read, every mistake one
error naming the file, the table and the field; a good table wins over the catalog, aliases included."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

import modelplex
from modelplex._catalog.merge import model_info, resolve
from modelplex._catalog.overrides import parse_overrides
from modelplex._catalog.records import PriceTier
from modelplex._config import load_config
from modelplex.errors import ConfigurationError


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


T = '[models."openai/gpt-4o"]\n'


@pytest.mark.parametrize(("text", "fragments"), [
    (T + 'context = 5\n', ('[models."openai/gpt-4o"]', "unknown field 'context'")),
    (T + 'tier = "huge"\n', ("tier: 'huge' is not a tier", "flagship")),
    (T + 'context_window = 0\n', ("context_window: must be a positive whole number",)),
    (T + 'context_window = "128k"\n', ("context_window",)),
    (T + 'max_output = 9000\ncontext_window = 8000\n',
     ("max_output: 9000 is more than context_window 8000",)),
    (T + 'prices = { input = "0.0000025" }\n',
     ("prices.input", "looks like a price per token", "write 2.5")),
    (T + 'prices = { input = "-1" }\n', ("prices.input", "not a price")),
    (T + 'prices = { input = "two" }\n', ("prices.input: 'two' is not a number",)),
    (T + 'prices = { input = "50000" }\n', ("prices.input", "implausibly high")),
    (T + 'prices = { inptu = "1" }\n', ("prices.inptu: unknown field",)),
    (T + 'prices = { tiers = [{ input = "1" }] }\n', ("prices.tiers[0].above: missing",)),
    (T + 'prices = { tiers = [{ above = 9, input = "1" }, { above = 5 }] }\n',
     ("prices.tiers: thresholds must rise",)),
    (T + 'prices = { effective = "last year" }\n', ("prices.effective: must be a date",)),
    (T + 'capabilities = { tool = true }\n', ("capabilities.tool: not a capability",)),
    (T + 'capabilities = { tools = "yes" }\n', ("capabilities.tools: must be true or false",)),
    (T + 'aliases = "4o"\n', ("aliases: must be a list of strings",)),
    (T + 'aliases = ["mini"]\n[models."openai/mini"]\ntier = "fast"\n',
     ("aliases: 'mini' is the name of another table",)),
    ('[models."openai/a"]\naliases = ["x"]\n[models."openai/b"]\naliases = ["x"]\n',
     ("aliases: 'x' also names",)),
    ('[models.openai.gpt-4o]\ntier = "fast"\n', ('quote the address: [models."openai/MODEL"]',)),
    ('[models]\n"gpt-4o" = 5\n', ('[models."gpt-4o"]', "provider/model")),
    ('models = 5\n', ("'models' must be tables",)),
])
def test_a_mistake_is_one_error_naming_the_file_table_and_field(tmp_path: Path, text: str,
                                                                 fragments: tuple[str, ...]) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(ConfigurationError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"config file {path}: ")
    for fragment in fragments:
        assert fragment in message


def test_a_mistake_stops_the_client_before_any_call(tmp_path: Path) -> None:
    path = _config(tmp_path, '[models."fake/echo"]\ntier = "cheap"\n')
    with modelplex.Client(config_file=path, env={}, autoload=False, plugins={}) as client, \
            pytest.raises(ConfigurationError, match=r"tier: 'cheap' is not a tier"):
        client.chat("fake/echo", "hi")


def test_a_good_table_is_read_exactly() -> None:
    section = {"openai/gpt-4o": {
        "name": "Our GPT-4o", "tier": "flagship", "context_window": 128_000, "max_output": 16_384,
        "input_modalities": ["text", "image"], "aliases": ["4o"], "local": False, "retention": "zero",
        "capabilities": {"vision": True, "reasoning": False},
        "prices": {"input": "2.50", "output": 10, "cache_read": 1.25, "effective": datetime.date(2025, 1, 1),
                   "source": "our contract", "tiers": [{"above": 100_000, "input": "5"}]}}}
    (override,) = parse_overrides(section, "c.toml")
    assert override.address == "openai/gpt-4o"
    assert (override.name, override.tier, override.context_window, override.max_output) == (
        "Our GPT-4o", "flagship", 128_000, 16_384)
    # A TOML float is read as the digits the user wrote, not its binary neighbour.
    assert (override.prices.input, override.prices.output, override.prices.cache_read) == (
        Decimal("2.50"), Decimal(10), Decimal("1.25"))
    assert override.prices.reasoning is None  # not said: the catalog's stands
    assert override.price_tiers == (PriceTier(above=100_000, input=Decimal(5)),)
    assert (override.prices.effective, override.prices.source) == (datetime.date(2025, 1, 1), "our contract")
    assert override.capabilities.vision is True and override.capabilities.reasoning is False
    assert override.capabilities.tools is None
    assert override.aliases == ("4o",) and override.local is False and override.retention == "zero"


def test_an_override_wins_and_its_alias_resolves(tmp_path: Path) -> None:
    path = _config(tmp_path, '[models."fake/echo"]\ntier = "fast"\naliases = ["quick"]\n'
                             'prices = { input = "0.5", output = "1" }\ncapabilities = { tools = false }\n')
    with modelplex.Client(config_file=path, env={}) as client:
        client.list_models("fake")  # the fake's listing says tools=True and context 8192
        info = model_info(client, "fake", "echo")
        assert info is not None
        assert (info.tier, info.prices.input, info.prices.output) == ("fast", Decimal("0.5"), Decimal(1))
        assert info.capabilities.tools is False and info.sources["capabilities.tools"] == "override"
        assert info.context_window == 8192 and info.sources["context_window"] == "live"
        assert info.sources["prices.input"] == "override" and info.prices.source == "override"
        found = resolve(client, "fake", "quick")
        assert found is not None
        assert (found.how, found.via, found.target, found.info.tier) == ("alias", "override", "echo", "fast")
        listed = {m.id: m for m in client.list_models("fake")}
        assert listed["echo"].tier == "fast" and listed["echo"].sources["tier"] == "override"
        assert listed["thinker"].tier is None  # no catalog entry, no override: unknown
