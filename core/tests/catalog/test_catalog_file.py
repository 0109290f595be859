"""A plugin's catalog file: parsed to entries, a bad entry skipped and named, and the data check."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from modelplex._catalog.data import UNITS, CatalogProblem, check, parse
from modelplex._catalog.records import Capabilities, ModelInfo, Prices, PriceTier

GOOD: dict[str, Any] = {
    "name": "Acme Large", "tier": "flagship", "context_window": 1_000_000, "max_output": 64_000,
    "input": ["text", "image"], "output": ["text"],
    "capabilities": {"chat": True, "streaming": True, "tools": True, "vision": True},
    "prices": {"input": "3", "cache_read": "0.3", "cache_write": "3.75", "cache_write_1h": "6",
               "output": "15", "tiers": [{"above": 200_000, "input": "6", "output": "22.5"}],
               "effective": "2025-09-29"},
    "aliases": ["acme-large"],
}


def _file(models: dict[str, Any], **header: Any) -> str:
    return json.dumps({"format": 1, "units": UNITS, "source": "https://acme.example/pricing",
                       "retention": "30 days", "local": False, **header, "models": models})


def test_an_entry_is_read_with_every_fact_and_prices_as_decimals() -> None:
    read = parse(_file({"acme-large-2025-09-29": GOOD}), plugin="acme", file="modelplex_acme:models.json")
    assert read.problems == ()
    (info,) = read.models
    assert info.address == "acme/acme-large-2025-09-29"
    assert (info.name, info.tier, info.context_window, info.max_input, info.max_output) == (
        "Acme Large", "flagship", 1_000_000, None, 64_000)
    assert info.input_modalities == ("text", "image") and info.output_modalities == ("text",)
    assert info.capabilities == Capabilities(chat=True, streaming=True, tools=True, vision=True)
    assert info.capabilities.json_schema is None  # not said: unknown, not false
    assert info.prices == Prices(input=Decimal(3), cache_read=Decimal("0.3"), cache_write=Decimal("3.75"),
                                 cache_write_1h=Decimal(6), output=Decimal(15),
                                 tiers=(PriceTier(above=200_000, input=Decimal(6), output=Decimal("22.5")),),
                                 effective=datetime.date(2025, 9, 29), source="https://acme.example/pricing")
    assert info.prices.reasoning is None
    assert (info.retention, info.local, info.aliases) == ("30 days", False, ("acme-large",))
    assert set(info.sources) == {"name", "tier", "context_window", "max_output", "input_modalities",
                                 "output_modalities", "prices", "capabilities", "retention", "aliases"}
    assert set(info.sources.values()) == {"catalog"}


def test_an_entry_left_bare_is_unknown_in_every_field_not_zero_or_false() -> None:
    (info,) = parse(_file({"bare": {}}), plugin="acme", file="f").models
    assert info.prices == Prices()
    assert not info.prices.known
    assert info.capabilities == Capabilities()
    assert info.context_window is None and info.tier is None
    assert info.sources == {"retention": "catalog"}  # from the file's header; nothing else said


@pytest.mark.parametrize(("entry", "field"), [
    ({"prices": {"input": 2.5}}, "prices.input"),          # a JSON number passes through float
    ({"prices": {"input": "-1"}}, "prices.input"),
    ({"prices": {"input": "NaN"}}, "prices.input"),
    ({"prices": {"input": "two"}}, "prices.input"),
    ({"prices": {"effective": "29/09/2025"}}, "prices.effective"),
    ({"prices": {"tiers": [{"above": 0, "input": "1"}]}}, "prices.tiers[0].above"),
    ({"prices": {"per_token": "1"}}, "prices.per_token"),
    ({"tier": "premium"}, "tier"),
    ({"context_window": -5}, "context_window"),
    ({"context_window": True}, "context_window"),
    ({"input": ["text", "smell"]}, "input"),
    ({"capabilities": {"telepathy": True}}, "capabilities.telepathy"),
    ({"capabilities": {"tools": "yes"}}, "capabilities.tools"),
    ({"aliases": "acme"}, "aliases"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_entry_is_skipped_naming_plugin_file_model_and_field_and_the_rest_is_kept(
        entry: dict[str, Any], field: str) -> None:
    read = parse(_file({"bad": entry, "good": GOOD}), plugin="acme", file="modelplex_acme:models.json")
    assert [m.id for m in read.models] == ["good"]
    (problem,) = read.problems
    assert (problem.plugin, problem.file, problem.model, problem.field) == (
        "acme", "modelplex_acme:models.json", "bad", field)
    assert str(problem).startswith("plugin 'acme', modelplex_acme:models.json, model 'bad', field ")


def test_an_alias_claimed_twice_keeps_the_first_entry_and_names_the_second() -> None:
    read = parse(_file({"one": {"aliases": ["same"]}, "two": {"aliases": ["same"]}}), plugin="acme", file="f")
    assert [m.id for m in read.models] == ["one"]
    assert read.problems[0].model == "two" and "'same' already names model 'one'" in read.problems[0].message


@pytest.mark.parametrize(("text", "says"), [
    ("{not json", "not JSON"),
    ("[]", "top level must be an object"),
    (json.dumps({"format": 2, "units": UNITS, "models": {}}), "'format' must be 1"),
    # A file priced per token would be read a million times too cheap: refused whole.
    (json.dumps({"format": 1, "units": "USD per token", "models": {"m": GOOD}}), "'units' must be"),
    (json.dumps({"format": 1, "units": UNITS, "models": []}), "'models' must be an object"),
    (b"\xff\xfe", "not JSON"),
])
def test_a_file_that_cannot_be_read_whole_is_one_problem_with_no_model(text: str | bytes, says: str) -> None:
    read = parse(text, plugin="acme", file="f")
    assert read.models == ()
    (problem,) = read.problems
    assert problem.model is None and says in problem.message


def _info(**changes: Any) -> ModelInfo:
    prices = Prices(input=Decimal("2.5"), cache_read=Decimal("1.25"), output=Decimal(10),
                    effective=datetime.date(2024, 8, 6), source="https://openai.com/api/pricing")
    fields: dict[str, Any] = {"id": "gpt-4o", "provider": "openai", "context_window": 128_000,
                              "max_output": 16_384, "prices": prices}
    fields.update(changes)
    return ModelInfo(**fields)


def test_a_plausible_entry_passes_the_check() -> None:
    assert check([_info()]) == []


@pytest.mark.parametrize(("changes", "says"), [
    # The per-million price typed per token: six orders of magnitude off.
    ({"input": Decimal("0.0000025")}, "prices.input: 0.0000025 USD per million tokens is implausible"),
    ({"output": Decimal(10_000_000)}, "prices.output: 10000000 USD per million tokens is implausible"),
    ({"cache_read": Decimal(5)}, "prices.cache_read: 5 is dearer than input 2.5"),
    ({"cache_write": Decimal(5000)}, "prices.cache_write: 5000 USD per million tokens is implausible"),
    ({"output": None}, "prices.output: not priced"),
    ({"source": None}, "prices: no source"),
    ({"effective": None}, "prices: no effective date"),
    ({"tiers": (PriceTier(above=128_000, input=Decimal(5)),)},
     "prices.tiers[0].above 128000 is at or above the context window 128000"),
    ({"tiers": (PriceTier(above=64_000, input=Decimal(5)), PriceTier(above=32_000, input=Decimal(6)))},
     "prices.tiers[1].above 32000: thresholds must ascend"),
    ({"tiers": (PriceTier(above=64_000, input=Decimal("0.00001")),)},
     "prices.tiers[0].input: 0.00001 USD per million tokens is implausible"),
])
def test_each_implausible_price_fails_the_check_naming_model_and_field(changes: dict[str, Any],
                                                                        says: str) -> None:
    import attrs

    info = _info()
    bad = attrs.evolve(info, prices=attrs.evolve(info.prices, **changes))
    lines = check([bad])
    assert any(line.startswith(f"openai/gpt-4o: {says}") for line in lines), lines


def test_limits_beyond_the_window_and_names_claimed_twice_fail_the_check() -> None:
    assert check([_info(max_output=200_000, max_input=300_000)]) == [
        "openai/gpt-4o: max_output 200000 exceeds the context window 128000",
        "openai/gpt-4o: max_input 300000 exceeds the context window 128000"]
    assert check([_info(aliases=("gpt-4o-2024-08-06",)),
                  _info(id="gpt-4o-2024-08-06")]) == [
        "openai/gpt-4o-2024-08-06: aliases: 'gpt-4o-2024-08-06' also names openai/gpt-4o"]


def test_a_local_model_must_be_free_and_an_embedding_model_needs_no_output_price() -> None:
    free = Prices(input=Decimal(0), output=Decimal(0), effective=datetime.date(2026, 1, 1), source="local")
    assert check([_info(local=True, prices=free)]) == []
    assert check([_info(local=True, prices=attrs_evolve(free, output=Decimal("0.1")))]) == [
        "openai/gpt-4o: prices.output: a local model's price must be 0, got 0.1"]
    embed = Prices(input=Decimal("0.02"), effective=datetime.date(2024, 1, 25), source="s")
    assert check([_info(prices=embed, output_modalities=("embedding",))]) == []
    assert check([_info(prices=embed)]) == [
        "openai/gpt-4o: prices.output: not priced (a remote model is priced for input and output)"]


def attrs_evolve(prices: Prices, **changes: Any) -> Prices:
    import attrs

    return attrs.evolve(prices, **changes)


def test_a_problem_reads_as_one_line_naming_where() -> None:
    problem = CatalogProblem(plugin="acme", file="f.json", model=None, field=None, message="not JSON")
    assert str(problem) == "plugin 'acme', f.json: not JSON"
