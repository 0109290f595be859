"""The worst-case cost bounds the cost of every usage the call may have (Hypothesis): any split of at
most the estimated input and the output bound over the buckets the provider may bill, at any prices
whose long-context tiers re-price upwards and whose cache reads cost no more than input."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from modelplex import ChatOptions, ModelInfo, Prices, PriceTier, Usage
from modelplex._catalog.estimate import worst_cost
from modelplex._catalog.pricing import price

_PRICE = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)


@st.composite
def _prices(draw: st.DrawFn) -> Prices:
    base = {b: draw(_PRICE) for b in ("input", "output")}
    base["cache_read"] = draw(st.decimals(min_value=0, max_value=base["input"], places=2))
    for bucket in ("cache_write", "cache_write_1h", "reasoning"):
        base[bucket] = draw(st.none() | _PRICE)
    tiers = []
    below = dict(base)  # the prices in force under the next tier
    for above in sorted(draw(st.sets(st.integers(1, 5000), max_size=2))):
        # each tier re-prices upwards from the one below; a bucket it leaves unpriced keeps the base
        # price (so it must stay at it); a cache read stays no dearer than input (input's factor)
        raised = {b: draw(st.none() | st.just(v + draw(_PRICE))) if below[b] == base[b] else v
                  for b, v in below.items() if v is not None and b != "cache_read"}
        factor = (raised["input"] / base["input"]) if raised["input"] is not None else 1
        raised["cache_read"] = draw(st.none() | st.just(base["cache_read"] * factor)) \
            if below["cache_read"] == base["cache_read"] else below["cache_read"]
        tiers.append(PriceTier(above=above, **raised))
        below.update({b: v for b, v in raised.items() if v is not None})
    return Prices(**base, tiers=tiers)


@st.composite
def _case(draw: st.DrawFn) -> tuple[Prices, int, int, bool, Usage]:
    prices = draw(_prices())
    tokens_in, tokens_out = draw(st.integers(1, 10_000)), draw(st.integers(1, 10_000))
    cache = draw(st.booleans())
    total_in = draw(st.integers(0, tokens_in))
    cached = draw(st.integers(0, total_in))
    written = draw(st.integers(0, total_in - cached)) if cache else 0
    written_1h = draw(st.integers(0, written))
    total_out = draw(st.integers(0, tokens_out))
    reasoning = draw(st.integers(0, total_out))
    usage = Usage(input=total_in - cached - written, cache_read=cached, cache_write=written - written_1h,
                  cache_write_1h=written_1h, output=total_out - reasoning, reasoning=reasoning)
    return prices, tokens_in, tokens_out, cache, usage


# A tier that re-prices output and leaves reasoning at its base price: reasoning is the dearer bucket
# below the tier and output above it (the worst case must price both pairings, not the base's dearest).
_TIER_FLIP = (Prices(input="1", output="10", reasoning="12", tiers=[PriceTier(above=10, output="30")]),
              100, 100, False, Usage(input=100, output=100))


@given(_case())
@example(_TIER_FLIP)
def test_no_usage_within_the_bounds_costs_more_than_the_worst_case(
        case: tuple[Prices, int, int, bool, Usage]) -> None:
    prices, tokens_in, tokens_out, cache, usage = case
    info = ModelInfo(id="m", provider="p", prices=prices)
    worst = worst_cost(info, tokens_in, tokens_out, ChatOptions(prompt_cache=cache or None))
    actual = price(usage, prices)
    if actual.total is None:  # a bucket the provider bills at a price nobody knows
        return
    assert worst.total is not None and worst.total >= actual.total
