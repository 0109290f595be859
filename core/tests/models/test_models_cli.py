"""``modelplex models`` and ``modelplex models show`` through the command's entry: the catalog listed
with or without keys, filters, one note for the providers left out, live listings read on the wire from
a loopback server, and where each fact of a model came from."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli
from modelplex_testing.compat_server import Reply, ScriptedServer

Install = Callable[..., str]  # the conftest's install fixture

LISTING = {"data": [
    {"id": "acme-large"},  # the catalog's alias of acme-large-2025-06-01
    {"id": "acme-mini", "context_window": 100_000, "capabilities": {"vision": True}},
    {"id": "acme-embed"},
    {"id": "acme-new"},  # in no catalog
]}


def run(args: Sequence[str], env: Mapping[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"MODELPLEX_PLUGINS": "acme", **(env or {})},
                              catch_exceptions=False)


def rows(result: Result) -> dict[str, list[str]]:
    """The table's rows by address, split on the column gaps."""
    header, *lines = result.stdout.splitlines()
    assert header.split()[:3] == ["ADDRESS", "TIER", "CONTEXT"]
    return {line.split()[0]: [c.strip() for c in line.split("  ") if c.strip()] for line in lines}


def one_line(text: str, start: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith(start), lines[0]
    return lines[0]


@pytest.fixture
def acme(install: Install) -> None:
    install("acme")


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer([Reply.json({})], routes={"/v1/models": Reply.json(LISTING)}) as served:
        yield served


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[models."acme/acme-secret"]\nlocal = true\ntier = "local"\n'
                    'prices = { input = 0, output = 0 }\n'
                    '[models."acme/acme-mini"]\ntier = "standard"\naliases = ["mini"]\n', encoding="utf-8")
    monkeypatch.setenv("MODELPLEX_CONFIG", str(path))
    return path


@pytest.mark.usefixtures("acme")
def test_catalog_models_are_listed_without_a_key_marked_so_with_one_note() -> None:
    result = run(["models"])
    assert result.exit_code == 0, result.output
    table = rows(result)
    assert set(table) == {"acme/acme-large-2025-06-01", "acme/acme-mini", "acme/acme-mini-notools",
                          "acme/acme-embed", "acme/acme-secret"}
    assert table["acme/acme-large-2025-06-01"] == [
        "acme/acme-large-2025-06-01", "flagship", "200000", "32000", "3", "15", "tools, vision", "no key"]
    # Unknown is shown as unknown, not as zero, false or a dash that could mean "none".
    assert table["acme/acme-secret"] == [
        "acme/acme-secret", "standard", "64000", "?", "?", "?", "-", "no key"]
    assert table["acme/acme-embed"][1] == "?" and table["acme/acme-embed"][5] == "?"
    note = one_line(result.stderr, "note: ")
    assert "acme (ACME_API_KEY)" in note and "error" not in note


@pytest.mark.usefixtures("acme")
def test_the_default_listing_asks_no_provider(server: ScriptedServer) -> None:
    result = run(["models", "--json"], env={"ACME_API_KEY": "k", "ACME_BASE_URL": server.url})
    assert result.exit_code == 0, result.output
    assert server.requests == []
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert {m["configured"] for m in data} == {True} and {m["listed"] for m in data} == {None}


@pytest.mark.usefixtures("acme", "config")
@pytest.mark.parametrize(("args", "expected"), [
    (["--tier", "fast"], {"acme-mini-notools"}),  # acme-mini is "standard" by the override
    (["--tier", "standard"], {"acme-mini"}),
    (["-c", "tools", "-c", "json_schema"], {"acme-mini"}),
    (["-c", "embeddings"], {"acme-embed"}),
    # input + output per million: 0.15 + 0.6 = 0.75, 0.1 + 0.2 = 0.3, the override's 0 + 0; acme-embed has
    # no output price and is left out, as are unknown prices.
    (["--max-price", "0.75"], {"acme-mini", "acme-mini-notools", "acme-secret"}),
    (["--max-price", "0.74"], {"acme-mini-notools", "acme-secret"}),
    (["--min-context", "128000"], {"acme-large-2025-06-01", "acme-mini"}),
    (["--local"], {"acme-secret"}),
    (["--search", "LARGE"], {"acme-large-2025-06-01"}),
    (["--search", "mini", "--tier", "fast", "--max-price", "0.5"], {"acme-mini-notools"}),
    (["--provider", "acme", "--search", "Secret"], {"acme-secret"}),
])
def test_filters(args: list[str], expected: set[str]) -> None:
    result = run(["models", "--json", *args])
    assert result.exit_code == 0, result.output
    assert {m["id"] for m in json.loads(result.stdout)} == expected


@pytest.mark.usefixtures("acme", "config")
def test_json_holds_the_full_record_with_money_as_strings_and_sources() -> None:
    result = run(["models", "--json", "--search", "acme-large"])
    (large,) = json.loads(result.stdout)
    assert large["address"] == "acme/acme-large-2025-06-01" and large["configured"] is False
    assert large["prices"]["input"] == "3" and large["prices"]["cache_read"] == "0.3"
    assert large["prices"]["tiers"] == [{"above": 100_000, "input": "6", "cache_read": None,
                                         "cache_write": None, "cache_write_1h": None, "output": "22.5",
                                         "reasoning": None}]
    assert large["prices"]["effective"] == "2025-06-01" and large["max_output"] == 32_000
    assert large["capabilities"]["json_schema"] is None
    assert large["sources"]["prices.input"] == "catalog" and large["aliases"] == ["acme-large"]
    secret = json.loads(run(["models", "--json", "--local"]).stdout)[0]
    assert (secret["prices"]["input"], secret["prices"]["output"], secret["local"]) == ("0", "0", True)
    assert secret["sources"]["local"] == "override" and secret["sources"]["context_window"] == "catalog"


@pytest.mark.usefixtures("acme")
def test_live_merges_what_the_provider_lists_on_the_wire(server: ScriptedServer) -> None:
    result = run(["models", "--live", "--json"], env={"ACME_API_KEY": "k", "ACME_BASE_URL": server.url})
    assert result.exit_code == 0, result.output
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/models")]
    by_id = {m["id"]: m for m in json.loads(result.stdout)}
    # The listing's facts win where it says something; the catalog's stand where it says nothing.
    mini = by_id["acme-mini"]
    assert mini["context_window"] == 100_000 and mini["sources"]["context_window"] == "live"
    assert mini["capabilities"]["vision"] is True and mini["sources"]["capabilities.vision"] == "live"
    assert mini["prices"]["input"] == "0.15" and mini["sources"]["prices.input"] == "catalog"
    assert mini["listed"] is True
    # A listed alias marks its catalog entry listed and adds no second row.
    assert by_id["acme-large-2025-06-01"]["listed"] is True and "acme-large" not in by_id
    assert by_id["acme-secret"]["listed"] is False
    # A model only the provider knows: every price and capability unknown, never zero or false.
    new = by_id["acme-new"]
    assert new["listed"] is True and new["tier"] is None
    assert set(new["capabilities"].values()) == {None}
    assert {new["prices"][b] for b in ("input", "cache_read", "cache_write", "output", "reasoning")} == {None}
    table = rows(run(["models", "--live"], env={"ACME_API_KEY": "k", "ACME_BASE_URL": server.url}))
    assert table["acme/acme-new"][-1] == "listed" and table["acme/acme-secret"][-1] == "not listed"


@pytest.mark.usefixtures("acme")
def test_an_unreachable_provider_is_one_note_fast_and_the_catalog_still_lists() -> None:
    started = time.monotonic()
    result = run(["models", "--live"], env={"ACME_API_KEY": "k", "ACME_BASE_URL": "http://127.0.0.1:9"})
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 1.0
    assert "acme/acme-mini" in rows(result)
    note = one_line(result.stderr, "note: could not list: acme (")
    assert "error:" not in note


def test_a_live_listing_that_fails_with_nothing_to_show_is_one_error(install: Install) -> None:
    install("down", models={})
    result = run(["models", "--live"], env={"MODELPLEX_PLUGINS": "down", "ACME_API_KEY": "k",
                                            "ACME_BASE_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 1
    one_line(result.stderr, "error: down: ")
    offline = run(["models", "--provider", "down"], env={"MODELPLEX_PLUGINS": "down"})
    assert offline.exit_code == 0 and "--live asks it" in offline.stdout


@pytest.mark.usefixtures("acme")
def test_an_unknown_provider_is_one_error() -> None:
    result = run(["models", "--provider", "nope"])
    assert result.exit_code == 1
    assert "unknown provider 'nope'" in one_line(result.stderr, "error: ")


def _facts(result: Result) -> dict[str, tuple[str, str]]:
    """``show``'s table as fact -> (value, source); a fact nobody gave has the source ``-``."""
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("FACT"))
    out = {}
    for line in lines[start + 1:]:
        fact, source, value = (c.strip() for c in line.split("  ") if c.strip())
        out[fact] = (value, source)
    return out


@pytest.mark.usefixtures("acme", "config")
def test_show_tells_where_each_fact_came_from(server: ScriptedServer) -> None:
    result = run(["models", "show", "acme/mini", "--live"],
                 env={"ACME_API_KEY": "k", "ACME_BASE_URL": server.url})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "acme/mini  (Acme Mini)\n  resolved as an alias of acme-mini, by the override\n")
    facts = _facts(result)
    assert facts["tier"] == ("standard", "override")
    assert facts["context window"] == ("100000", "live")
    assert facts["max output"] == ("16000", "catalog")
    assert facts["can vision"] == ("yes", "live")
    assert facts["can reasoning"] == ("?", "-")
    assert facts["price input $/M"] == ("0.15", "catalog")
    assert facts["price reasoning $/M"] == ("0.6 (as output)", "-")
    assert facts["aliases"] == ("mini", "override")


@pytest.mark.usefixtures("acme")
@pytest.mark.parametrize(("address", "how"), [
    ("acme/acme-large-2025-06-01", {"how": "exact", "via": "catalog", "target": None}),
    ("acme/acme-large", {"how": "alias", "via": "catalog", "target": "acme-large-2025-06-01"}),
    ("acme/acme-large-2025-09-09",
     {"how": "dated snapshot", "via": "catalog", "target": "acme-large-2025-06-01"}),
])
def test_show_says_how_the_name_was_resolved(address: str, how: dict[str, Any]) -> None:
    result = run(["models", "show", address, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["resolution"] == how
    assert data["name"] == "Acme Large" and data["prices"]["output"] == "15"
    # The model's other names, the catalog entry's own id among them when asked by another name.
    assert data["aliases"] == [n for n in ("acme-large-2025-06-01", "acme-large") if f"acme/{n}" != address]
    text = run(["models", "show", address]).stdout
    assert f"{address}  (Acme Large)" in text and "flagship" in text


@pytest.mark.usefixtures("acme")
@pytest.mark.parametrize(("address", "hint"), [
    ("acme/acme-minj", "; did you mean acme/acme-mini"),
    ("acme/zzz-unrelated", None),
])
def test_show_an_unknown_model_is_one_line_with_a_close_name_only(address: str, hint: str | None) -> None:
    result = run(["models", "show", address])
    assert result.exit_code == 1
    line = one_line(result.stderr, f"error: unknown model {address!r}")
    assert result.stdout == ""
    if hint is None:
        assert "did you mean" not in line
    else:
        assert hint in line


@pytest.mark.usefixtures("acme")
def test_show_needs_an_address() -> None:
    result = run(["models", "show", "gpt-4o"])
    assert result.exit_code == 2
    assert "write provider/model" in one_line(result.stderr, "error: ")


@pytest.mark.usefixtures("acme")
def test_show_a_model_only_its_listing_knows(server: ScriptedServer) -> None:
    env = {"ACME_API_KEY": "k", "ACME_BASE_URL": server.url}
    result = run(["models", "show", "acme/acme-new", "--live"], env=env)
    assert result.exit_code == 0, result.output
    assert "  resolved as only its provider's listing\n" in result.stdout
    facts = _facts(result)
    assert facts["tier"] == ("?", "-") and facts["price input $/M"] == ("?", "-")
    assert facts["can tools"] == ("?", "-")
    # Without --live nothing has been listed in this process: the name is unknown.
    offline = run(["models", "show", "acme/acme-new"], env=env)
    assert offline.exit_code == 1
    one_line(offline.stderr, "error: unknown model 'acme/acme-new'")
