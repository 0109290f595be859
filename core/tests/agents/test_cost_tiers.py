"""Cost tiers (issue 16, item 3): ``chain/premium``, ``chain/standard`` and ``chain/economy``
(``tier/NAME`` in the config) from the catalog's tiers and prices, over the providers that can be called,
in a fixed order. Plugins here have catalogs of their own, so each rule is seen to decide."""

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

UNITS = "USD per million tokens"
CHAT = {"chat": True, "streaming": True, "tools": True}
NO_TOOLS = {"chat": True, "tools": False}


def priced(tier: str, input: str | None, output: str | None, capabilities: Mapping[str, Any] = CHAT
           ) -> dict[str, Any]:
    prices = {k: v for k, v in (("input", input), ("output", output)) if v is not None}
    return {"tier": tier, "capabilities": dict(capabilities),
            "prices": {**prices, "effective": "2025-01-01"} if prices else {}}


CATALOGS: dict[str, dict[str, Any]] = {
    "openai": {
        "o-unpriced": priced("fast", None, None),  # first in the file, but of unknown price
        "o-embed": priced("fast", "0.01", "0", {"chat": False, "embeddings": True}),
        "o-dear": priced("fast", "1", "2"),
        "o-cheap": priced("fast", "0.1", "0.2"),
        "o-half": priced("fast", "0.1", None),  # output unknown: not cheap either
        "o-big-notools": priced("flagship", "5", "15", NO_TOOLS),
        "o-big": priced("flagship", "5", "15"),
        "o-mid": priced("standard", "1", "4"),
    },
    "anthropic": {
        "a-mid-fast": priced("fast", "0.5", "0.5"),
        "a-big": priced("flagship", None, None),  # premium does not ask for a price
    },
    "gemini": {"g-cheapest": priced("fast", "0.05", "0.05"), "g-big": priced("flagship", "1", "2")},
    "mistral": {"m-unpriced": priced("fast", None, None)},
}


class Keyed:
    """A provider that needs ``<NAME>_KEY``, whose models are its catalog's; it answers with the model."""

    def __init__(self, name: str, catalog: str) -> None:
        self.name, self.catalog = name, catalog

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=(f"{self.name.upper()}_KEY",),
                            catalog=self.catalog)

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            ctx.api_key()
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text="keyed")])
        return run()


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Keyed]]:
    monkeypatch.syspath_prepend(str(tmp_path))
    made = {}
    # Registered in an order other than the tiers': the order is their own.
    for name in ("mistral", "gemini", "anthropic", "openai"):
        package = f"mpm_tiers_{name}"
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "models.json").write_text(json.dumps(
            {"format": 1, "units": UNITS, "source": "https://example/pricing", "models": CATALOGS[name]}))
        made[name] = Keyed(name, f"{package}:models.json")
    yield made
    for name in made:
        sys.modules.pop(f"mpm_tiers_{name}", None)


Tiers = Callable[..., dict[str, list[str]]]


@pytest.fixture
def tiers(plugins: dict[str, Keyed], tmp_path: Path) -> Tiers:
    """The three tiers' models for a client with keys for ``keyed`` providers and ``config`` text."""
    def make(*keyed: str, config: str = "") -> dict[str, list[str]]:
        path = tmp_path / "config.toml"
        path.write_text(config)
        env = {f"{name.upper()}_KEY": "k-0123456789" for name in keyed}
        with modelplex.Client(plugins=plugins, autoload=False, config_file=path, env=env) as client:
            chains = client.chains()
        return {name: [e.model for e in chains[name].entries] for name in ("premium", "standard", "economy")}
    return make


def test_economy_takes_each_callable_providers_cheapest_priced_fast_chat_model_cheapest_first(
        tiers: Tiers) -> None:
    # openai: o-unpriced and o-half are of unknown price, o-embed does not chat: o-cheap (0.3) over o-dear.
    # gemini has no key: left out, though cheapest. mistral's only fast model has no price: left out.
    assert tiers("openai", "anthropic", "mistral")["economy"] == ["openai/o-cheap", "anthropic/a-mid-fast"]
    assert tiers("openai", "anthropic", "gemini")["economy"] == ["gemini/g-cheapest", "openai/o-cheap",
                                                                 "anthropic/a-mid-fast"]


def test_premium_and_standard_take_the_catalog_tier_in_provider_order(tiers: Tiers) -> None:
    found = tiers("openai", "anthropic", "gemini", "mistral")
    # one a provider, one that calls tools first; a price is not asked for; the built-in chains' order
    assert found["premium"] == ["openai/o-big", "anthropic/a-big", "gemini/g-big"]
    assert found["standard"] == ["openai/o-mid"]
    assert tiers("anthropic")["premium"] == ["anthropic/a-big"]  # keyless providers are not in a tier


def test_a_price_override_moves_a_model_in_the_economy_tier(tiers: Tiers) -> None:
    config = '[models."anthropic/a-mid-fast"]\nprices = { input = "0.01", output = "0.01" }\n'
    assert tiers("openai", "anthropic", config=config)["economy"] == ["anthropic/a-mid-fast",
                                                                      "openai/o-cheap"]
    config = '[models."mistral/m-unpriced"]\nprices = { input = "0.2", output = "0.2" }\n'
    assert tiers("openai", "mistral", config=config)["economy"] == ["openai/o-cheap", "mistral/m-unpriced"]


def test_equal_prices_keep_the_provider_order(tiers: Tiers) -> None:
    config = '[models."anthropic/a-mid-fast"]\nprices = { input = "0.1", output = "0.2" }\n'
    assert tiers("openai", "anthropic", config=config)["economy"] == ["openai/o-cheap",
                                                                      "anthropic/a-mid-fast"]


def test_a_disabled_provider_is_not_in_a_tier(tiers: Tiers) -> None:
    config = "[providers.gemini]\nenabled = false\n"
    assert tiers("openai", "gemini", config=config)["economy"] == ["openai/o-cheap"]


def test_tasks_and_agents_call_through_the_tiers(plugins: dict[str, Keyed], tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[agents.bulk]\nmodel = "tier/economy"\n[routing.tasks]\nhard = "tier/premium"\n')
    env = {"OPENAI_KEY": "k-0123456789", "ANTHROPIC_KEY": "k-0123456789"}
    with modelplex.Client(plugins=plugins, autoload=False, config_file=path, env=env) as client:
        calls: list[dict[str, Any]] = [{"task": "summarization"}, {"agent": "bulk"}, {"task": "hard"},
                                       {"task": "coding"}]
        answered = [client.chat("hi", **call) for call in calls]
    # summarization and coding are built-in routes: tier/economy and tier/premium
    assert [(r.provider, r.model) for r in answered] == [("openai", "o-cheap"), ("openai", "o-cheap"),
                                                        ("openai", "o-big"), ("openai", "o-big")]
