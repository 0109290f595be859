"""Merging one model's facts: an override wins over the live listing, which wins over the catalog, field
by field; what none of them knows stays unknown; ``sources`` names the place of every known fact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

import modelplex
from modelplex._catalog.merge import merge, model_info
from modelplex._catalog.overrides import ModelOverride
from modelplex._catalog.records import TIERS, Capabilities, ModelInfo, Prices, PriceTier
from modelplex_testing import fake
from modelplex_testing.strategies import capabilities, model_infos, prices

SCALARS = ("name", "tier", "context_window", "max_input", "max_output", "input_modalities",
           "output_modalities", "retention")
CAPS = tuple(a.name for a in attrs.fields(Capabilities))
BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


overrides = st.builds(
    ModelOverride, provider=st.just("p"), model=st.just("m"), name=_maybe(st.text(min_size=1, max_size=8)),
    tier=_maybe(st.sampled_from(TIERS)), context_window=_maybe(st.integers(1, 10**7)),
    max_input=_maybe(st.integers(1, 10**7)), max_output=_maybe(st.integers(1, 10**7)),
    input_modalities=_maybe(st.just(("text",))), output_modalities=_maybe(st.just(("text", "image"))),
    prices=prices().map(lambda p: attrs.evolve(p, tiers=())),
    price_tiers=_maybe(st.just((PriceTier(above=1000, input=Decimal(9)),))),
    capabilities=capabilities(), local=_maybe(st.booleans()), retention=_maybe(st.just("none")),
    aliases=st.lists(st.sampled_from(("a1", "a2")), max_size=2, unique=True).map(tuple))


def _layers(override: ModelOverride | None, live: ModelInfo | None,
            catalog: ModelInfo | None) -> list[tuple[Any, str]]:
    places = ((override, "override"), (live, "live"), (catalog, "catalog"))
    return [(x, s) for x, s in places if x is not None]


@given(_maybe(overrides), _maybe(model_infos()), _maybe(model_infos()))
def test_each_field_comes_from_the_highest_place_that_knows_it(
        override: ModelOverride | None, live: ModelInfo | None, catalog: ModelInfo | None) -> None:
    info = merge(catalog, live, override, provider="p", model="m")
    layers = _layers(override, live, catalog)
    if not layers:
        assert info is None
        return
    assert info is not None
    assert info.provider == "p"
    assert info.id == (live.id if live is not None else "m")

    def expect(key: str, read: Any) -> None:
        found = [(read(x), s) for x, s in layers if read(x) is not None]
        value, source = found[0] if found else (None, None)
        got = read(info)
        assert got == value, key
        # Unknown stays unknown: no source claims a fact nobody gave.
        assert info.sources.get(key) == source, key

    for name in SCALARS:
        expect(name, lambda x, n=name: getattr(x, n))
    for name in CAPS:
        expect(f"capabilities.{name}", lambda x, n=name: getattr(x.capabilities, n))
    for name in BUCKETS:
        expect(f"prices.{name}", lambda x, n=name: getattr(x.prices, n))


def test_unknown_everywhere_stays_unknown_not_false_or_zero() -> None:
    live = ModelInfo(id="ft:custom", provider="p")
    info = merge(None, live, None, provider="p", model="ft:custom")
    assert info is not None
    assert info.capabilities == Capabilities()
    assert info.prices == Prices()
    assert info.context_window is None and info.tier is None
    assert dict(info.sources) == {}  # a listing's default False for local is no statement either


def test_prices_dated_and_tiered_from_the_place_that_priced_them() -> None:
    tier = PriceTier(above=200_000, input=Decimal(6), output=Decimal("22.5"))
    catalog = ModelInfo(id="m", provider="p", prices=Prices(
        input=Decimal(3), output=Decimal(15), tiers=(tier,), source="https://example/pricing"))
    override = ModelOverride(provider="p", model="m", prices=Prices(input=Decimal(2)))
    info = merge(catalog, None, override, provider="p", model="m")
    assert info is not None
    # The override's input, the catalog's output; the catalog's long-context tier belongs to the
    # catalog's base prices, so it does not re-price the user's.
    assert (info.prices.input, info.prices.output, info.prices.tiers) == (Decimal(2), Decimal(15), ())
    assert info.prices.source == "override"
    assert (info.sources["prices.input"], info.sources["prices.output"], info.sources["prices"]) == (
        "override", "catalog", "override")
    kept = merge(catalog, None, ModelOverride(provider="p", model="m", tier="fast"), provider="p", model="m")
    assert kept is not None and kept.prices.tiers == (tier,) and kept.sources["prices"] == "catalog"


def test_a_listing_cannot_say_a_catalog_local_model_is_remote() -> None:
    # ModelInfo.local has no "unknown": a listing's False is its default, not a statement.
    catalog = ModelInfo(id="llama3.3", provider="ollama", local=True)
    live = ModelInfo(id="llama3.3", provider="ollama")
    info = merge(catalog, live, None, provider="ollama", model="llama3.3")
    assert info is not None and info.local is True and info.sources["local"] == "catalog"
    moved = merge(catalog, live, ModelOverride(provider="ollama", model="llama3.3", local=False),
                  provider="ollama", model="llama3.3")
    assert moved is not None and moved.local is False and moved.sources["local"] == "override"


def test_aliases_gathered_from_every_place_without_the_id() -> None:
    catalog = ModelInfo(id="c-1", provider="p", aliases=("c", "c-1-2025"))
    override = ModelOverride(provider="p", model="c-1", aliases=("mine", "c"))
    info = merge(catalog, None, override, provider="p", model="c-1")
    assert info is not None and info.aliases == ("c", "c-1-2025", "mine")
    assert info.sources["aliases"] == "override"


def test_a_listing_read_after_a_lookup_is_seen_by_the_next() -> None:
    # Lookups are kept per client; a listing read since must not be hidden by what was kept.
    with modelplex.Client(config_file=False, env={}, autoload=False, plugins={"fake": fake}) as client:
        assert model_info(client, "fake", "echo") is None  # no catalog entry, nothing listed yet
        client.list_models("fake")
        info = model_info(client, "fake", "echo")
        assert info is not None and info.context_window == 8192 and info.sources["context_window"] == "live"
