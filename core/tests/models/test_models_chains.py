"""``chain/flagship`` and ``chain/fast`` from the catalog's tiers and capabilities: one chat model per
installed provider, in a fixed provider order, an override able to move a model in; a provider without a
key is skipped at call time with the reason in the trace."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import ChatResponse, ProviderInfo, TextPart
from modelplex.hookspecs import SPEC_VERSION, hookimpl

SECRET = "sk-chains-0123456789"
UNITS = "USD per million tokens"
PRICES = {"input": "1", "output": "2", "effective": "2025-01-01"}
CHAT = {"chat": True, "streaming": True, "tools": True}
OPENAI = {
    "o-embed": {"tier": "fast", "capabilities": {"chat": False, "embeddings": True}, "prices": PRICES},
    "o-big": {"tier": "flagship", "capabilities": CHAT, "prices": PRICES},
    "o-small-notools": {"tier": "fast", "capabilities": {"chat": True, "tools": False}, "prices": PRICES},
    "o-small": {"tier": "fast", "capabilities": CHAT, "prices": PRICES},
    "o-mid": {"tier": "standard", "capabilities": CHAT, "prices": PRICES},
}
ANTHROPIC = {
    "a-big-2025-01-01": {"tier": "flagship", "capabilities": CHAT, "prices": PRICES, "aliases": ["a-big"]},
    "a-small": {"tier": "fast", "capabilities": CHAT, "prices": PRICES},
}
MakeCatalog = Callable[[str, Mapping[str, Any]], str]
AZURE = {"z-small": {"tier": "fast", "capabilities": CHAT, "prices": PRICES}}


class Keyed:
    """A provider that needs ``KEYP_API_KEY`` (or a configured key), whose models are its catalog's."""

    def __init__(self, catalog: str) -> None:
        self.catalog = catalog

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=("KEYP_API_KEY",), catalog=self.catalog)

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            ctx.api_key()
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text="keyed")])
        return run()


@pytest.fixture
def catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeCatalog]:
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(name: str, models: Mapping[str, Any]) -> str:
        package = f"mpm_chains_{name}"
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "models.json").write_text(json.dumps(
            {"format": 1, "units": UNITS, "source": "https://example/pricing", "models": dict(models)}))
        made.append(package)
        return f"{package}:models.json"

    yield make
    for package in made:
        sys.modules.pop(package, None)


@pytest.fixture
def plugins(catalogs: MakeCatalog) -> dict[str, Keyed]:
    # Registered in an order other than the chain's: the chain's order is its own.
    return {"azure": Keyed(catalogs("azure", AZURE)), "anthropic": Keyed(catalogs("anthropic", ANTHROPIC)),
            "openai": Keyed(catalogs("openai", OPENAI))}


def test_builtin_chains_take_one_chat_model_per_provider_from_the_catalog_tiers(
        plugins: dict[str, Keyed]) -> None:
    with modelplex.Client(plugins=plugins, autoload=False, config_file=False, env={}) as c:
        chains = c.chains()
    # openai's first fast entry is an embedding model, the next cannot call tools: o-small. Azure's
    # deployments are user-named, so it is left out. The standard tier has no chain.
    assert [e.model for e in chains["fast"].entries] == ["openai/o-small", "anthropic/a-small"]
    assert [e.model for e in chains["flagship"].entries] == ["openai/o-big", "anthropic/a-big-2025-01-01"]


def test_a_tier_override_moves_a_model_into_a_chain(plugins: dict[str, Keyed], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[models."openai/o-mid"]\ntier = "fast"\n'
                      '[models."openai/o-small"]\ntier = "standard"\n')
    with modelplex.Client(plugins=plugins, autoload=False, config_file=config, env={}) as c:
        chains = c.chains()
    # o-small moved out, o-mid in; o-small-notools still comes first in the file but calls no tools.
    assert [e.model for e in chains["fast"].entries] == ["openai/o-mid", "anthropic/a-small"]


def test_builtin_chains_skip_the_unconfigured_at_call_time(plugins: dict[str, Keyed]) -> None:
    with modelplex.Client(plugins=plugins, autoload=False, config_file=False, env={"KEYP_API_KEY": SECRET},
                          providers={"openai": {"api_key_env": "NOT_SET_HERE"}}) as c:
        response = c.chat("chain/fast", "hi")
    assert response.trace is not None
    assert response.trace.candidates == ("openai/o-small", "anthropic/a-small")
    assert response.provider == "anthropic" and response.model == "a-small"
    assert [(s.model, s.reason) for s in response.trace.skipped] == [
        ("openai/o-small", "provider not configured: no API key (set NOT_SET_HERE)")]


def test_a_provider_without_a_catalog_adds_nothing(catalogs: MakeCatalog) -> None:
    plugins = {"openai": Keyed(catalogs("openai", OPENAI)),
               "homegrown": Keyed("mpm_chains_missing:models.json")}
    with pytest.warns(Warning, match="homegrown"), \
            modelplex.Client(plugins=plugins, autoload=False, config_file=False, env={}) as c:
        assert [e.model for e in c.chains()["fast"].entries] == ["openai/o-small"]
