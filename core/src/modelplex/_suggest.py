""""Did you mean": the known names a mistyped one is a slip away from, and no others.

A name is close when its Damerau-Levenshtein distance (optimal string alignment: an insertion, deletion,
substitution or swap of two neighbours is one edit; case ignored) is at most a third of the typed name's
length, and never more than 2. ``difflib``'s ratio was tried first and rejected: ``nope`` and ``openai``
share ``ope``, a ratio of 0.6, and were offered as a match.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["close_names", "edit_distance"]


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance between ``a`` and ``b`` (a swap of neighbours counts once)."""
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


def close_names(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``known`` within reach of ``name``, the closest first (then by name)."""
    typed = name.lower()
    limit = max(1, min(2, len(typed) // 3))
    scored = sorted((edit_distance(typed, k.lower()), k) for k in set(known) if k != name)
    return [k for distance, k in scored if distance <= limit][:n]
