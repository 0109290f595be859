"""The catalog check CI runs over every installed plugin's catalog file: each parses whole, each entry
is plausible (``modelplex._catalog.data.check``), and the models the product brief names are there."""

from __future__ import annotations

import warnings

import pytest

from modelplex._catalog.data import check, load_resource
from modelplex._catalog.lookup import catalog
from modelplex._catalog.records import ModelInfo
from modelplex._config import Settings
from modelplex._plugins import Registry

# Every provider plugin ships a catalog but the generic ones (openai-like: any server; fake: tests).
WITHOUT_CATALOG = {"openai-like", "fake"}

# The product brief's fifteen (issue 13), as a user addresses them.
NAMED = ["anthropic/claude-opus-4-6", "anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4",
         "anthropic/claude-haiku-4-5", "openai/gpt-4o", "openai/gpt-4o-mini", "openai/o3-mini",
         "gemini/gemini-2.0-flash", "gemini/gemini-1.5-pro", "deepseek/deepseek-chat",
         "deepseek/deepseek-reasoner", "ollama/llama3.3", "ollama/mistral", "ollama/qwen2.5"]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(env={})


@pytest.fixture(scope="module")
def entries(registry: Registry) -> list[ModelInfo]:
    out: list[ModelInfo] = []
    for name, record in sorted(registry.records.items()):
        if record.info.catalog is not None:
            read = load_resource(name, record.info.catalog)
            assert read.problems == (), [str(p) for p in read.problems]
            out.extend(read.models)
    return out


def test_every_provider_plugin_declares_a_catalog_that_parses_whole(registry: Registry,
                                                                    entries: list[ModelInfo]) -> None:
    with_catalog = {n for n, r in registry.records.items() if r.info.catalog is not None}
    assert with_catalog == set(registry.records) - WITHOUT_CATALOG
    assert {m.provider for m in entries} == with_catalog  # none of them empty


def test_every_entry_passes_the_catalog_check(entries: list[ModelInfo]) -> None:
    assert check(entries) == []


def test_every_price_has_a_source_and_a_date_and_every_remote_model_a_retention_note(
        entries: list[ModelInfo]) -> None:
    for info in entries:
        if info.prices.known:
            assert info.prices.source and info.prices.effective, info.address
        assert info.local or info.retention, info.address


def test_local_models_are_free_and_tiered_local_and_remote_ones_are_not(entries: list[ModelInfo]) -> None:
    for info in entries:
        if info.provider == "ollama":
            assert info.local and info.prices.input == 0, info.address
            assert info.tier in ("local", None), info.address
        else:
            assert not info.local and info.tier != "local", info.address


def test_the_models_the_brief_names_are_known_with_price_window_and_tier(registry: Registry) -> None:
    cat = catalog(registry)
    for address in NAMED:
        provider, _, model = address.partition("/")
        info = cat.get(provider, model)
        assert info is not None, address
        assert info.prices.known and info.context_window and info.tier, address
    info = cat.get("openai", "gpt-4o")
    assert info is not None and (info.prices.input, info.prices.output) == (2.5, 10)


@pytest.mark.parametrize(("address", "entry", "how"), [
    ("openai/gpt-4o-2024-11-20", "gpt-4o", "alias"),
    ("openai/gpt-4o-2024-09-09", "gpt-4o", "dated snapshot"),
    ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "alias"),
    ("anthropic/claude-haiku-4-5-20991231", "claude-haiku-4-5-20251001", "dated snapshot"),
    ("gemini/gemini-2.0-flash-001", "gemini-2.0-flash", "dated snapshot"),
    ("ollama/qwen2.5:72b", "qwen2.5", "tag"),
])
def test_the_shipped_names_resolve(registry: Registry, address: str, entry: str, how: str) -> None:
    provider, _, model = address.partition("/")
    found = catalog(registry).resolve(provider, model)
    assert found is not None and (found[0].id, found[1]) == (entry, how)


def test_an_azure_deployment_is_priced_as_the_base_model_it_serves(registry: Registry) -> None:
    settings = Settings({"azure": {"deployments": {"prod-chat": "gpt-4o"}}}, {}, {})
    found = catalog(registry, settings).resolve("azure", "prod-chat")
    assert found is not None and (found[0].address, found[1]) == ("azure/gpt-4o", "deployment")


def test_reading_every_catalog_warns_of_nothing(registry: Registry) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(catalog(Registry(env={})).models())) >= 100
