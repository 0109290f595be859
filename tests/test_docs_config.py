"""Issue 19, item 4: the configuration reference (docs/reference/config.md, written by
scripts/docs_config.py) names every key of the config file the code reads, and no key the code does not;
the same for Modelplex's own environment variables. The keys come from the code: its parsers' own key lists,
and the keys its reader functions take from the file (found in their source); the variables from every
``MODELPLEX_...`` string in the sources."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import docs_config  # the scripts directory is not a package


def test_the_reference_and_the_code_name_the_same_keys() -> None:
    assert docs_config.differences() == []


def test_a_key_added_to_the_code_is_missing_from_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelplex._config

    monkeypatch.setattr(modelplex._config, "_KNOWN_KEYS", modelplex._config._KNOWN_KEYS | {"proxy_url"})
    assert docs_config.differences() == [
        "[providers.NAME] proxy_url: read by the code, missing from the reference"]
    with pytest.raises(SystemExit, match="proxy_url"):
        docs_config.page()


def test_a_key_the_code_no_longer_reads_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    more, intro, keys = docs_config.SECTIONS["store"]
    monkeypatch.setitem(docs_config.SECTIONS, "store", (more, intro, {**keys, "pool_size": "connections"}))
    assert docs_config.differences() == ["[store] pool_size: in the reference, read by no code"]


def sample_reader(config: dict[str, object], table: dict[str, object]) -> None:
    """Reads the way the config file's readers do, for :func:`docs_config.keys_read`."""
    config.get("alpha")
    if "beta" in config:
        print(config["gamma"])
    unknown = set(table) - {"delta", "epsilon"}
    print(unknown, table.get("zeta"), config.get(str(table)))


def test_keys_read_finds_each_way_a_reader_takes_a_key() -> None:
    assert docs_config.keys_read(__name__, "sample_reader", "config") == {"alpha", "beta", "gamma"}
    assert docs_config.keys_read(__name__, "sample_reader", "table") == {"delta", "epsilon", "zeta"}


def test_the_top_level_reader_list_sees_a_key_a_reader_gains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_config, "READERS", [*docs_config.READERS, (__name__, "sample_reader", "config")])
    assert "[top level] alpha: read by the code, missing from the reference" in docs_config.differences()


def test_every_key_is_on_the_page_under_its_table() -> None:
    page = docs_config.page()
    for table, keys in docs_config.CODE.items():
        heading = "## Top level" if table == "top level" else f"## [{table}]"
        section = page.split(heading, 1)[1].split("\n## ", 1)[0]
        for key in keys():
            assert f"| `{key}` |" in section, (table, key)


def test_an_environment_variable_the_code_names_is_missing_from_the_reference(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert "MODELPLEX_CONFIG" in docs_config.variables_read()
    monkeypatch.delitem(docs_config.ENVIRONMENT, "MODELPLEX_CONFIG")
    monkeypatch.setitem(docs_config.ENVIRONMENT, "MODELPLEX_NOWHERE", "read by nothing")
    assert docs_config.differences() == ["$MODELPLEX_CONFIG: read by the code, missing from the reference",
                                         "$MODELPLEX_NOWHERE: in the reference, read by no code"]
