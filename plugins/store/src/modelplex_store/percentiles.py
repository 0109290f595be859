"""Percentiles read from a histogram of counts over fixed bucket edges, not from the rows themselves.

Bucket ``i`` counts values ``v`` with ``edges[i-1] < v <= edges[i]`` (the first from 0, the last
everything above ``edges[-1]``), as :data:`modelplex_store.schema.LATENCY_EDGES_MS` lays them out for the
rollups. The p-th percentile is the value of rank ``ceil(p * n)`` in sorted order (nearest rank); its
estimate is interpolated inside the bucket holding that rank: geometrically (the edges are log-spaced),
linearly in the first bucket, which starts at 0.

Error bound: the estimate and the true value lie in the same bucket, so with edges in ratio ``r`` the
estimate is within a factor ``r`` of the truth (the store's edges go 1, 1.5, 2, 3, 5, 7, 10...: ``r`` is
at most 1.67, between 3 and 5); below the first edge it is off by less than that edge (1 ms). In the
last, unbounded bucket the estimate is its lower edge: the truth is above it, by how much no histogram
can say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(counts: Sequence[int], edges: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (``0 < p <= 1``) of the values counted in ``counts`` (one count per
    bucket: ``len(edges) + 1`` of them), or ``None`` when there are none."""
    if len(counts) != len(edges) + 1:
        raise ValueError(f"{len(counts)} counts for {len(edges)} edges: expected {len(edges) + 1}")
    if not 0 < p <= 1:
        raise ValueError(f"percentile {p!r} is not in (0, 1]")
    n = sum(counts)
    if n == 0:
        return None
    rank = max(1, math.ceil(p * n - 1e-9))  # nearest rank; the epsilon absorbs p * n's float error
    seen = 0
    for index, count in enumerate(counts):
        if seen + count >= rank:
            if index == len(edges):
                return float(edges[-1])
            low = 0.0 if index == 0 else float(edges[index - 1])
            high = float(edges[index])
            # Where the rank falls among this bucket's values, each taken at the middle of its share.
            fraction = (rank - seen - 0.5) / count
            if low <= 0.0:
                return low + (high - low) * fraction
            return float(low * (high / low) ** fraction)
        seen += count
    raise AssertionError("unreachable: the counts sum to n")  # pragma: no cover
