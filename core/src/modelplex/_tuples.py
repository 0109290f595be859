"""A ``tuple`` converter for attrs fields that mypy can type (it cannot type a plain ``tuple``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def as_tuple(items: Iterable[Any]) -> tuple[Any, ...]:
    return items if isinstance(items, tuple) else tuple(items)
