"""Looking a model up: by configured provider name, through aliases, dated snapshots, tags and
deployments; a plugin's broken file costs only that plugin's entries."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelplex import ProviderInfo
from modelplex._catalog.data import UNITS, CatalogDataWarning
from modelplex._catalog.lookup import catalog
from modelplex._config import Settings
from modelplex._plugins import Registry
from modelplex.hookspecs import SPEC_VERSION, hookimpl

PRICES = {"input": "2.5", "output": "10", "effective": "2024-08-06"}
ACME = {
    "gpt-4o": {"name": "GPT-4o", "context_window": 128_000, "prices": PRICES,
               "aliases": ["gpt-4o-2024-08-06"]},
    # A snapshot priced apart has its own entry, which wins over the dated-snapshot rule.
    "gpt-4o-2024-05-13": {"prices": {"input": "5", "output": "15", "effective": "2024-05-13"}},
    "claude-sonnet-4-5-20250929": {"name": "Claude Sonnet 4.5", "aliases": ["claude-sonnet-4-5"]},
    "gemini-2.0-flash": {"name": "Gemini 2.0 Flash"},
    "llama3.3": {"name": "Llama 3.3", "local": True},
}


class _Plugin:
    def __init__(self, spec: str | None) -> None:
        self.spec = spec

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, catalog=self.spec, aliases=("acme-old",))


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.startswith("mp_cat_"):
            del sys.modules[name]


def _package(root: Path, name: str, text: str) -> str:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    (root / name / "models.json").write_text(text)
    return f"{name}:models.json"


def _file(models: dict[str, Any]) -> str:
    return json.dumps({"format": 1, "units": UNITS, "source": "https://acme.example", "models": models})


def _registry(packages: Path, **files: str | None) -> Registry:
    plugins = {}
    for plugin, text in files.items():
        spec = None if text is None else _package(packages, f"mp_cat_{plugin}", text)
        plugins[plugin] = _Plugin(spec)
    return Registry(plugins, autoload=False, env={})


@pytest.mark.parametrize(("model", "entry", "how"), [
    ("gpt-4o", "gpt-4o", "exact"),
    ("gpt-4o-2024-08-06", "gpt-4o", "alias"),
    ("gpt-4o-2024-11-20", "gpt-4o", "dated snapshot"),
    ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "exact"),
    ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "alias"),
    ("claude-sonnet-4-5-20991231", "claude-sonnet-4-5-20250929", "dated snapshot"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5-20250929", "dated snapshot"),
    ("gemini-2.0-flash-001", "gemini-2.0-flash", "dated snapshot"),
    ("llama3.3:70b", "llama3.3", "tag"),
    ("llama3.3:latest", "llama3.3", "tag"),
])
def test_a_model_id_resolves_to_its_entry_and_says_how(packages: Path, model: str, entry: str,
                                                       how: str) -> None:
    found = catalog(_registry(packages, acme=_file(ACME))).resolve("acme", model)
    assert found is not None
    info, said = found
    assert (info.address, said) == (f"acme/{entry}", how)


@pytest.mark.parametrize("model", ["gpt-5", "gpt-4", "gpt-4o-mini", "gpt-4o-20", "llama3.3-70b",
                                   "GPT-4O", ":70b", "gpt-4o-2024-11-20-extra",
                                   "gpt-4o:free", "gpt-4o:extended"])  # a remote model's variant
def test_a_model_the_catalog_does_not_know_is_none_never_a_neighbours_entry(packages: Path,
                                                                             model: str) -> None:
    cat = catalog(_registry(packages, acme=_file(ACME)))
    assert cat.get("acme", model) is None
    assert cat.resolve("acme", model) is None


def test_the_snapshot_priced_apart_keeps_its_own_price(packages: Path) -> None:
    cat = catalog(_registry(packages, acme=_file(ACME)))
    old, new = cat.get("acme", "gpt-4o-2024-05-13"), cat.get("acme", "gpt-4o-2024-11-20")
    assert old is not None and new is not None
    assert (str(old.prices.input), str(new.prices.input)) == ("5", "2.5")


def test_a_configured_name_reads_its_plugins_entries_under_its_own_name(packages: Path) -> None:
    registry = _registry(packages, acme=_file(ACME))
    settings = Settings({"work": {"plugin": "acme"}, "legacy": {"plugin": "acme-old"}}, {}, {})
    cat = catalog(registry, settings)
    work = cat.get("work", "gpt-4o-2024-08-06")
    assert work is not None and work.address == "work/gpt-4o"
    legacy = cat.get("legacy", "gpt-4o")  # configured by the plugin's old name, one of its aliases
    assert legacy is not None and legacy.address == "legacy/gpt-4o"
    assert catalog(registry).get("work", "gpt-4o") is None  # without settings, 'work' is no plugin
    addresses = [m.address for m in cat.models()]
    assert addresses[:5] == [f"acme/{m}" for m in ACME]
    assert addresses[5:] == [f"legacy/{m}" for m in ACME] + [f"work/{m}" for m in ACME]
    assert [m.address for m in cat.models("work")] == [f"work/{m}" for m in ACME]


def test_a_user_named_deployment_finds_the_model_it_serves(packages: Path) -> None:
    registry = _registry(packages, acme=_file(ACME))
    settings = Settings({}, {}, {"providers": {"acme": {"deployments": {"my-4o": "gpt-4o-2024-08-06",
                                                                         "mystery": "nothing-known"}}}})
    cat = catalog(registry, settings)
    found = cat.resolve("acme", "my-4o")
    assert found is not None and (found[0].address, found[1]) == ("acme/gpt-4o", "deployment")
    assert cat.get("acme", "mystery") is None
    assert catalog(registry).get("acme", "my-4o") is None


def test_one_registry_has_one_catalog_and_reads_each_file_once(packages: Path) -> None:
    registry = _registry(packages, acme=_file(ACME))
    settings = Settings({}, {}, {})
    assert catalog(registry) is catalog(registry)
    assert catalog(registry, settings) is catalog(registry, settings)
    assert catalog(registry).get("acme", "gpt-4o") is not None
    (packages / "mp_cat_acme" / "models.json").write_text("{broken")
    # Read once, on first use: a later look-up through another view of the same registry reuses it.
    assert catalog(registry, settings).get("acme", "llama3.3") is not None
    other = _registry(packages, acme2=None)
    assert catalog(other).get("acme", "gpt-4o") is None


def test_a_plugin_without_a_catalog_or_an_unknown_provider_knows_no_model(packages: Path) -> None:
    cat = catalog(_registry(packages, bare=None))
    assert cat.get("bare", "gpt-4o") is None
    assert cat.get("nobody", "gpt-4o") is None
    assert list(cat.models()) == []


def test_a_broken_third_party_file_warns_naming_it_and_the_others_still_answer(packages: Path) -> None:
    entries = {"ok": {"name": "Fine"}, "bad": {"prices": {"input": 3}}}
    registry = _registry(packages, acme=_file(ACME), broken="{not json", half=_file(entries))
    cat = catalog(registry)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cat.get("broken", "anything") is None
        half = cat.get("half", "ok")
        assert cat.get("half", "bad") is None
        assert cat.get("acme", "gpt-4o") is not None
    assert half is not None and half.name == "Fine"
    problems = [w.message.problem for w in caught if isinstance(w.message, CatalogDataWarning)]
    assert [(p.plugin, p.file, p.model, p.field) for p in problems] == [
        ("broken", "mp_cat_broken:models.json", None, None),
        ("half", "mp_cat_half:models.json", "bad", "prices.input")]
    assert "not JSON" in str(caught[0].message)


def test_a_catalog_named_but_missing_is_one_warning_not_an_error(packages: Path) -> None:
    registry = Registry({"ghost": _Plugin("mp_cat_absent_package:models.json")}, autoload=False, env={})
    said = "plugin 'ghost', mp_cat_absent_package:models.json: cannot be read"
    with pytest.warns(CatalogDataWarning, match=said):
        assert catalog(registry).get("ghost", "m") is None
