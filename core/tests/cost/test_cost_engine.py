"""The cost engine (``modelplex._catalog.pricing``): money adds up exactly, unknown is never zero, and
long-context tiers re-price the whole request from one token past their threshold."""

from __future__ import annotations

import contextvars
import datetime
import decimal
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import modelplex
from modelplex import Cost, ModelInfo, Prices, PriceTier, Usage
from modelplex._call.costs import mismatch
from modelplex._catalog.cost import BUCKETS
from modelplex._catalog.pricing import Rates, catalog_version, price, rates_of, version_of
from modelplex_testing import strategies as mst

SONNET = Prices(input="3", cache_read="0.30", cache_write="3.75", cache_write_1h="6", output="15",
                tiers=[PriceTier(above=200_000, input="6", cache_read="0.60", cache_write="7.50",
                                 cache_write_1h="12", output="22.50")],
                effective=datetime.date(2025, 9, 29), source="test")


def tier_of(prices: Prices, usage: Usage) -> int | None:
    """The threshold of the tier that prices ``usage`` (``None``: the base prices)."""
    crossed = [t.above for t in prices.tiers if usage.total_input > t.above]
    return max(crossed) if crossed else None


def uncounted(usage: Usage) -> bool:
    return usage.estimated and usage.total == 0


# -- the sum of the buckets, and the sum of calls ------------------------------------------------------
@given(mst.usages(), mst.prices() | st.none())
def test_the_total_is_the_sum_of_the_buckets_in_decimal(usage: Usage, prices: Prices | None) -> None:
    cost = price(usage, prices)
    amounts = [getattr(cost, b) for b in BUCKETS]
    assert all(a is None or type(a) is Decimal for a in amounts)
    if None in amounts:
        assert cost.total is None and cost.status == "unknown"
    else:
        assert cost.total == sum(amounts, Decimal(0)) and type(cost.total) is Decimal
        assert cost.status == ("estimated" if usage.estimated else "exact")
    assert cost.reported == usage.reported_cost and cost.currency == "USD" and not cost.partial


@given(mst.usages(), mst.prices() | st.none())
def test_an_unknown_price_never_makes_a_zero(usage: Usage, prices: Prices | None) -> None:
    """A bucket with tokens at an unknown price is unknown (``None``), and so is the total: never 0."""
    cost = price(usage, prices)
    rates = Rates(prices, None)
    tier = tier_of(prices, usage) if prices is not None else None
    for index, bucket in enumerate(BUCKETS):
        tokens = getattr(usage, bucket)
        if tokens and rates.base[index] is None and tier is None:
            assert getattr(cost, bucket) is None
        if not tokens and not uncounted(usage):
            assert getattr(cost, bucket) == 0
    if prices is None and usage.total:
        assert cost.total is None and cost.status == "unknown" and cost.price_version is None


@given(mst.usages(), mst.usages(), mst.prices())
def test_two_calls_cost_what_their_summed_usage_costs(a: Usage, b: Usage, prices: Prices) -> None:
    """``price(a) + price(b) == price(a + b)`` exactly, bucket by bucket and in status and total, when

    * ``a``, ``b`` and ``a + b`` are priced by the same long-context tier (or all by none: a tier
      re-prices a whole request, so two small requests can cost less than one large one, see below);
    * neither is an uncounted usage (estimated with no tokens: its input and output are unknown);
    * every product fits Decimal's 28 digits (prices up to 10^4 $/M with 6 places, up to 10^9 tokens
      per bucket, as the strategies draw them: the largest amount has 10 digits before the point and
      12 after).

    What each provider reported is compared where both or neither reported one (``Usage``'s sum keeps a
    reported charge beside an empty usage that reported none; ``Cost``'s sum cannot tell it was empty).
    """
    assume(tier_of(prices, a) == tier_of(prices, b) == tier_of(prices, a + b))
    assume(not uncounted(a) and not uncounted(b))
    together, apart = price(a + b, prices), price(a, prices) + price(b, prices)
    for bucket in BUCKETS:
        assert getattr(together, bucket) == getattr(apart, bucket), bucket
    assert (together.total, together.status, together.price_version) == (apart.total, apart.status,
                                                                          apart.price_version)
    if (a.reported_cost is None) == (b.reported_cost is None):
        assert together.reported == apart.reported


def test_two_small_requests_can_cost_less_than_one_past_the_tier() -> None:
    """The tier case apart: each under the threshold at base prices, their sum over it at tier prices."""
    half = Usage(input=100_001, output=1_000)
    apart = price(half, SONNET) + price(half, SONNET)
    together = price(half + half, SONNET)
    # apart: 2 x (100,001 x 3 + 1,000 x 15) / 10^6 = 2 x 0.315003 = 0.630006
    # together: (200,002 x 6 + 2,000 x 22.50) / 10^6 = 1.200012 + 0.045 = 1.245012
    assert apart.total == Decimal("0.630006") and together.total == Decimal("1.245012")


# -- long-context tiers at the boundary ------------------------------------------------------------------
@pytest.mark.parametrize(("usage", "expected"), [
    # 199,999 input + 1 cache read = 200,000 in all: not above 200,000, base prices.
    # 199,999 x 3 + 1 x 0.30 + 1,000 x 15 = 599,997 + 0.30 + 15,000 = 614,997.30 per 10^6
    (Usage(input=199_999, cache_read=1, output=1_000), Decimal("0.6149973")),
    # One token more, in any input bucket (here a 5-minute cache write): the whole request at the tier's
    # 199,999 x 6 + 1 x 0.60 + 1 x 7.50 + 1,000 x 22.50 = 1,199,994 + 0.60 + 7.50 + 22,500 = 1,222,502.10
    (Usage(input=199_999, cache_read=1, cache_write=1, output=1_000), Decimal("1.2225021")),
    (Usage(input=200_000, output=1), Decimal("0.600015")),  # 600,000 + 15
    (Usage(input=200_001, output=1), Decimal("1.2000285")),  # 1,200,006 + 22.5
])
def test_a_tier_reprices_the_whole_request_from_one_token_past_its_threshold(usage: Usage,
                                                                             expected: Decimal) -> None:
    cost = price(usage, SONNET)
    assert cost.total == expected and cost.status == "exact" and cost.price_version == "catalog:2025-09-29"


def test_the_highest_tier_crossed_applies_and_a_tier_keeps_the_base_price_it_does_not_name() -> None:
    prices = Prices(input="1", output="2", cache_read="0.5",
                    tiers=[PriceTier(above=1_000, input="4"), PriceTier(above=100, input="3", output="5")])
    # 100 input: no tier. 101: the 100 tier (input 3, output 5, cache read kept at 0.5).
    # 1,001: the 1,000 tier only (input 4; output back at the base 2: tiers do not stack).
    assert price(Usage(input=100, output=10), prices).total == Decimal("0.00012")  # 100 + 20
    assert price(Usage(input=100, cache_read=1, output=10), prices).total == Decimal(
        "0.0003505")  # 300 + 0.5 + 50
    assert price(Usage(input=1_001, output=10), prices).total == Decimal("0.004024")  # 4,004 + 20


# -- the fallbacks ----------------------------------------------------------------------------------------
def test_reasoning_is_billed_at_the_output_price_unless_priced_apart() -> None:
    usage = Usage(input=10, output=20, reasoning=30)
    # 10 x 1 + (20 + 30) x 4 = 210
    assert price(usage, Prices(input="1", output="4")).reasoning == Decimal("0.00012")
    assert price(usage, Prices(input="1", output="4")).total == Decimal("0.00021")
    # reasoning priced apart at 2: 10 + 80 + 60 = 150
    assert price(usage, Prices(input="1", output="4", reasoning="2")).total == Decimal("0.00015")
    # past a tier that re-prices output only, reasoning follows the tier's output price: 5 x 10
    tiered = Prices(input="1", output="4", tiers=[PriceTier(above=5, output="10")])
    assert price(usage, tiered).reasoning == Decimal("0.0003")


def test_one_hour_cache_writes_are_billed_at_the_cache_write_price_unless_priced_apart() -> None:
    usage = Usage(cache_write=1_000, cache_write_1h=2_000)
    five_minutes_only = Prices(input="3", output="15", cache_write="3.75")
    assert price(usage, five_minutes_only).cache_write_1h == Decimal("0.0075")
    assert price(usage, Prices(input="3", output="15", cache_write="3.75",
                               cache_write_1h="6")).cache_write_1h == Decimal("0.012")
    unknown = price(usage, Prices(input="3", output="15"))
    assert unknown.cache_write is None and unknown.cache_write_1h is None and unknown.total is None


def test_a_bucket_without_tokens_costs_nothing_even_at_an_unknown_price() -> None:
    cost = price(Usage(input=1_000_000, output=1_000_000), Prices(input="1", output="2"))
    assert (cost.cache_read, cost.cache_write, cost.reasoning) == (Decimal(0),) * 3
    assert cost.total == 3 and cost.status == "exact"


# -- status, versions, unknown ----------------------------------------------------------------------------
def test_estimated_usage_makes_an_estimated_cost() -> None:
    cost = price(Usage(input=1_000, output=10, estimated=True), Prices(input="1", output="2"))
    assert cost.status == "estimated" and cost.total == Decimal("0.00102")


def test_a_usage_nobody_counted_is_unknown_not_free() -> None:
    """``Usage(estimated=True)`` with no tokens is what a stream that ended without a count leaves."""
    cost = price(Usage(estimated=True), Prices(input="1", output="2"), partial=True)
    assert cost.input is None and cost.output is None and cost.total is None
    assert cost.status == "unknown" and cost.partial


def test_no_prices_and_prices_that_price_nothing_are_unknown_with_no_version() -> None:
    for prices in (None, Prices(effective=datetime.date(2025, 1, 1))):
        cost = price(Usage(input=5, output=5), prices)
        assert cost.input is None and cost.output is None and cost.total is None
        assert cost.status == "unknown" and cost.price_version is None


def test_a_local_model_is_free_because_its_prices_say_zero() -> None:
    cost = price(Usage(input=123, output=456), Prices(input="0", output="0"))
    assert cost.total == 0 and cost.status == "exact"


def test_the_reported_charge_is_kept_beside_ours() -> None:
    usage = Usage(input=1_000, output=100, reported_cost=Decimal("0.0042"))
    cost = price(usage, Prices(input="1", output="2"))
    assert cost.reported == Decimal("0.0042") and cost.total == Decimal("0.0012")


def test_price_versions() -> None:
    dated = Prices(input="1", output="1", effective=datetime.date(2025, 3, 1))
    assert catalog_version(dated) == "catalog:2025-03-01"
    assert catalog_version(Prices(input="1", output="1")) == "catalog"
    assert price(Usage(input=1), dated, price_version="override").price_version == "override"
    assert version_of(ModelInfo(id="m", provider="p", prices=dated)) == "catalog:2025-03-01"
    overridden = ModelInfo(id="m", provider="p", prices=dated, sources={"prices": "override"})
    assert version_of(overridden) == "override"
    assert rates_of(overridden).cost(Usage(input=1)).price_version == "override"
    assert rates_of(None).cost(Usage(input=1)).status == "unknown"


@given(mst.usages(), mst.prices() | st.none())
def test_an_applications_own_decimal_context_does_not_round_a_cost_or_fail_it(usage: Usage,
                                                                              prices: Prices | None) -> None:
    """Costs are computed in a context of their own (``MONEY``): a caller's ``prec=3`` with ``Inexact``
    and ``Rounded`` trapped neither rounds them nor raises; and each bucket is its exact product."""
    expected = price(usage, prices)
    with decimal.localcontext(prec=3, traps=[decimal.Inexact, decimal.Rounded]):
        got = price(usage, prices)
        assert got == expected and got.total == expected.total
    if prices is not None and prices.input is not None and usage.input and not prices.tiers:
        with decimal.localcontext(prec=200):
            assert got.input == prices.input * usage.input / 1_000_000


def test_pricing_a_call_in_a_task_of_its_own_gives_that_task_no_decimal_context() -> None:
    """Any ``Decimal`` operation or constructor that takes the current context makes one in a task that
    has none (a ``Context`` and two dicts, kept as long as the task): pricing a call, its total and the
    check against a reported charge that agrees take none."""
    rates = Rates(Prices(input="2.50", output="10", cache_read="1.25"), "catalog:x")
    usage = Usage(input=1_234, cache_read=100, output=56, reported_cost=Decimal("0.00377"))
    control = contextvars.Context()
    control.run(Decimal, 0)
    assert [var.name for var in control] == ["decimal_context"]
    task = contextvars.Context()
    cost = task.run(rates.cost, usage)
    total = task.run(lambda: cost.total)
    warning = task.run(mismatch, cost)
    assert list(task) == []
    assert total == Decimal("0.0037700") and warning is None
    assert mismatch(rates.cost(Usage(input=1, reported_cost=Decimal("1")))) is not None  # and it can warn


@given(mst.usages(), mst.prices() | st.none(), st.booleans())
def test_a_cost_is_an_ordinary_cost(usage: Usage, prices: Prices | None, partial: bool) -> None:
    """The engine builds its Cost without ``__init__`` (to save a microsecond a call): it must equal,
    hash and round-trip as one built the ordinary way."""
    cost = price(usage, prices, partial=partial)
    same = Cost(**{b: getattr(cost, b) for b in BUCKETS}, status=cost.status,
                price_version=cost.price_version, reported=cost.reported, partial=partial)
    assert cost == same and hash(cost) == hash(same) and repr(cost) == repr(same)
    assert modelplex.structure(modelplex.unstructure(cost), Cost) == cost
