"""Every way to break a recorded JSON reply one field at a time, for tests that a plugin's parser names
the JSON path of what was wrong (``content[1].input: expected object, got str``).

:func:`corruptions` takes a JSON value and yields, for each value in it (each key of each object and
each item of each array, at any depth), copies in which that one value has the wrong type (a string
where an object or array is, an object where an array is, a number where a string is, ...) or, for a
key, is missing. The rest of the copy is left as it was, so whatever a parser reports must be about
that path::

    for case in corruptions(body):
        ...  # send case.data; expect a reply, or a ResponseParseError with field == case.where
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import attrs

__all__ = ["Corruption", "corruptions", "path_text"]

_MISSING = object()


@attrs.frozen(kw_only=True)
class Corruption:
    """One broken copy: ``data`` is the whole value with the one at ``path`` replaced (or removed)."""

    path: tuple[str | int, ...]
    how: str  # "missing", or "str", "dict", "list", "int", "bool" for the wrong value put there
    data: Any

    @property
    def where(self) -> str:
        """The path as a parser's error names it: ``choices[0].message``."""
        return path_text(self.path)


def path_text(path: tuple[str | int, ...]) -> str:
    """``("choices", 0, "message")`` -> ``choices[0].message``; the empty path is ``$``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "$"


def _wrong(value: Any) -> list[tuple[str, Any]]:
    """Values of other JSON types than ``value``'s, one of each kind a parser could trip on."""
    if isinstance(value, bool):
        return [("str", "true"), ("dict", {})]
    if isinstance(value, dict):
        return [("str", "x"), ("list", [])]
    if isinstance(value, list):
        return [("str", "x"), ("dict", {})]
    if isinstance(value, str):
        return [("int", 5), ("dict", {})]
    if isinstance(value, int | float):
        return [("str", "5"), ("dict", {})]
    return [("str", "x"), ("dict", {}), ("list", [])]  # null: anything is wrong there


def _paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key), item
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index), item
            yield from _paths(item, (*path, index))


def _replaced(data: Any, path: tuple[str | int, ...], new: Any) -> Any:
    out = copy.deepcopy(data)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    if new is _MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return out


def corruptions(data: Any, *, missing: bool = True) -> Iterator[Corruption]:
    """Every one-field corruption of ``data`` (see the module docstring), in document order.

    ``missing`` adds, for each key of each object, the copy without it.
    """
    for path, value in _paths(data):
        for how, new in _wrong(value):
            yield Corruption(path=path, how=how, data=_replaced(data, path, new))
        if missing and isinstance(path[-1], str):
            yield Corruption(path=path, how="missing", data=_replaced(data, path, _MISSING))
