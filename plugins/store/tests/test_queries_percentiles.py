"""Percentiles read from histograms (what ``usage`` reports as p50/p95), and the points in time the queries
take (``--since 7d``, ISO dates): the documented error bound holds for any values, and every accepted
spelling means what it says."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelplex_store.percentiles import percentile
from modelplex_store.schema import LATENCY_EDGES_MS
from modelplex_store.when import DAY, HOUR, from_micros, iso, to_micros

EDGES = LATENCY_EDGES_MS


def _bucket(value: float) -> int:
    return next((i for i, edge in enumerate(EDGES) if value <= edge), len(EDGES))


def _histogram(values: list[float]) -> list[int]:
    counts = [0] * (len(EDGES) + 1)
    for value in values:
        counts[_bucket(value)] += 1
    return counts


@given(values=st.lists(st.floats(min_value=0, max_value=2e6, allow_nan=False), min_size=1, max_size=300),
       p=st.sampled_from([0.01, 0.5, 0.9, 0.95, 0.99, 1.0]))
def test_a_percentile_lies_in_the_bucket_of_the_true_one(values: list[float], p: float) -> None:
    truth = sorted(values)[max(1, math.ceil(p * len(values))) - 1]  # nearest rank
    estimate = percentile(_histogram(values), EDGES, p)

    assert estimate is not None
    index = _bucket(truth)
    if index == len(EDGES):  # past the last edge: the edge itself, a lower bound
        assert estimate == EDGES[-1] < truth
        return
    low = 0.0 if index == 0 else EDGES[index - 1]
    assert low <= estimate <= EDGES[index]
    if index > 0:  # the documented bound: within the ratio of the bucket's edges
        ratio = EDGES[index] / EDGES[index - 1]
        assert truth / ratio <= estimate <= truth * ratio


def test_the_edges_bound_the_error_to_a_factor_of_five_thirds() -> None:
    assert max(b / a for a, b in itertools.pairwise(EDGES)) <= 5 / 3 + 1e-9


def test_percentiles_of_nothing_are_none_and_bad_arguments_are_refused() -> None:
    assert percentile([0] * (len(EDGES) + 1), EDGES, 0.5) is None
    with pytest.raises(ValueError, match="expected"):
        percentile([1, 2], EDGES, 0.5)
    with pytest.raises(ValueError, match="not in"):
        percentile(_histogram([1.0]), EDGES, 0)


def test_one_value_in_a_bucket_is_estimated_inside_it() -> None:
    assert 200 < (percentile(_histogram([250.0]), EDGES, 0.5) or 0) <= 300


# -- points in time ---------------------------------------------------------------------------------
NOW = to_micros("2026-11-10T12:00:00")


@pytest.mark.parametrize(("text", "before"), [("30m", HOUR // 2), ("24h", DAY), ("7d", 7 * DAY),
                                              ("2w", 14 * DAY), ("90s", 90_000_000), (" 7D ", 7 * DAY)])
def test_spans_are_that_long_before_now(text: str, before: int) -> None:
    assert to_micros(text, now=NOW) == NOW - before


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
    ("2026-11-01T09:30", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
    ("2026-11-01 09:30:15", datetime(2026, 11, 1, 9, 30, 15, tzinfo=UTC)),
    ("2026-11-01T09:30:00+02:00", datetime(2026, 11, 1, 7, 30, tzinfo=UTC)),
    ("2026-11-01T09:30:00.000001Z", datetime(2026, 11, 1, 9, 30, 0, 1, tzinfo=UTC)),
])
def test_iso_dates_and_times_are_utc_unless_they_say_otherwise(text: str, expected: datetime) -> None:
    assert from_micros(to_micros(text)) == expected


def test_datetimes_dates_and_integers_are_taken_as_they_are() -> None:
    assert to_micros(datetime(2026, 11, 1, 9, 30)) == to_micros("2026-11-01T09:30")  # naive: UTC
    assert to_micros(datetime(2026, 11, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))) == \
        to_micros("2026-11-01T09:30")
    assert to_micros(date(2026, 11, 1)) == to_micros("2026-11-01")
    assert to_micros(1_234) == 1_234
    assert iso(to_micros("2026-11-01T09:30:00.5")) == "2026-11-01T09:30:00.500000Z"


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-3d", "2026-13-01", "", "7y"])
def test_anything_else_is_refused_naming_the_forms_understood(text: str) -> None:
    with pytest.raises(ValueError, match=r"30m, 24h, 7d, 2w.*ISO date"):
        to_micros(text, now=NOW)
