"""Recorded replies broken one field at a time, to prove a plugin's parser names what is wrong.

:func:`corruptions` takes a JSON document (a reply body, one stream chunk) and gives every copy of it
with one value replaced by a value of another JSON type, or one key removed. Replay each through the
client, and check the outcome with :func:`parse_failure`::

    for broken in corruptions(recording.response["body"]):
        try:
            await client.chat(...)           # with broken.document as the reply
        except ResponseParseError as exc:
            assert parse_failure(exc, broken) is None
        ...

A parser may accept a field of the wrong type (it ignores it, or warns); what it must never do is fail
with a bare ``AttributeError`` or ``TypeError``, or blame another place than the one broken.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from modelplex.errors import ModelplexError, ResponseParseError
from modelplex.toolkit import path_text

Step = str | int

# One stand-in of each other JSON type for a value of each type: enough to hit every type check.
_OTHERS: dict[str, tuple[Any, ...]] = {
    "object": ("x", []),
    "array": ("x", {}),
    "string": (7, {}),
    "number": ("x", []),
    "boolean": ("x",),
    "null": (7, {}),
}


def json_type(value: Any) -> str:
    """The JSON name of ``value``'s type: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "array"


@attrs.frozen(kw_only=True)
class Corruption:
    """``document`` with the value at ``path`` replaced by ``replacement`` or, if ``missing``,
    with that key removed."""

    path: tuple[Step, ...]
    document: Any
    replacement: Any = None
    missing: bool = False

    @property
    def where(self) -> str:
        """The path as a reply's error names it: ``choices[0].message``."""
        return path_text(self.path)

    def describe(self) -> str:
        """``choices[0].message: str instead of object`` or ``choices: removed``."""
        if self.missing:
            return f"{self.where}: removed"
        return f"{self.where}: {json_type(self.replacement)} instead"


def _paths(value: Any, prefix: tuple[Step, ...] = ()) -> Iterator[tuple[tuple[Step, ...], Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield (*prefix, key), inner
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index), inner
            yield from _paths(inner, (*prefix, index))


def _replaced(document: Any, path: tuple[Step, ...], value: Any, *, remove: bool = False) -> Any:
    out = copy.deepcopy(document)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


def corruptions(document: Any, *, skip: tuple[str, ...] = ()) -> Iterator[Corruption]:
    """Every copy of ``document`` with one value of another JSON type or one object key removed.

    ``skip`` holds :func:`fnmatch.fnmatch` patterns of paths (``choices[*].logprobs``) whose values
    are left alone, with everything under them.
    """
    for path, value in _paths(document):
        where = path_text(path)
        if any(fnmatch.fnmatchcase(where, pattern) for pattern in skip):
            continue
        for other in _OTHERS[json_type(value)]:
            yield Corruption(path=path, document=_replaced(document, path, other), replacement=other)
        if isinstance(path[-1], str):
            yield Corruption(path=path, document=_replaced(document, path, None, remove=True),
                             missing=True)


def matches(path: tuple[Step, ...], pattern: str) -> bool:
    """Whether ``path`` is ``pattern``, where ``[*]`` stands for any one index: ``choices[*].delta``."""
    regex = re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]")
    return re.fullmatch(regex, path_text(path)) is not None


_CATCH_ALL = ("AttributeError", "TypeError", "KeyError", "IndexError", "ValueError",
              "failed on the provider's response")


def parse_failure(error: BaseException, broken: Corruption) -> str | None:
    """What is wrong with ``error`` as the answer to ``broken``, or ``None`` if it is right: a
    :class:`~modelplex.errors.ResponseParseError` that names, in its message and its ``field``, the
    broken path or a path above it (where a missing key is noticed), and is not the catch-all."""
    if not isinstance(error, ResponseParseError):
        kind = "a Modelplex error" if isinstance(error, ModelplexError) else "a raw Python error"
        return f"{broken.describe()}: {kind}, {type(error).__name__}: {error}"
    text = str(error)
    if any(marker in text for marker in _CATCH_ALL):
        return f"{broken.describe()}: the catch-all: {text}"
    field = getattr(error, "field", None)
    if not isinstance(field, str):
        return f"{broken.describe()}: names no field: {text}"
    if f"{field}:" not in text:
        return f"{broken.describe()}: the message does not name {field!r}: {text}"
    above = {path_text(broken.path[:n]) for n in range(len(broken.path) + 1)}
    if field not in above:
        return f"{broken.describe()}: blames {field!r}: {text}"
    return None
