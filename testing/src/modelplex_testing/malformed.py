"""Judging a parser's answer to a reply broken one field at a time (:mod:`modelplex_testing.corrupt`).

A parser may read a field of the wrong type (it ignores it, or warns); what it must never do is fail
with the core's catch-all for a plugin that crashed, or blame another place than the one broken. Where
the wire format fixes a field's type, it must refuse another type naming exactly that field::

    TYPES = {"choices": {"array"}, "choices[*].delta": {"object", "null"}}
    for case in corruptions(body):
        outcome = ...  # None for a reply, else the exception, with case.data as the reply
        assert verdict(case, outcome, types=TYPES) is None
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from modelplex.errors import ResponseParseError
from modelplex_testing.corrupt import Corruption, path_text

# What corrupt.py put in place of a value, as JSON names it.
_JSON_TYPE = {"str": "string", "dict": "object", "list": "array", "int": "number", "bool": "boolean"}
_CATCH_ALL = "failed on the provider's response"


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
    return "object" if isinstance(value, Mapping) else "array"


def skipping(cases: Iterable[Corruption], patterns: Iterable[str]) -> Iterator[Corruption]:
    """``cases`` less those under a path that matches one of ``patterns`` (:func:`fnmatch.fnmatch`,
    ``*logprobs*``): fields no parser reads, where a corruption proves nothing but costs a replay."""
    patterns = tuple(patterns)
    return (case for case in cases
            if not any(fnmatch.fnmatchcase(case.where, pattern) for pattern in patterns))


def shape(value: Any, prefix: str = "") -> frozenset[str]:
    """The paths in ``value`` with indices left out: stream events of one shape (most text deltas)
    break the same ways, so a test breaks the first of each shape only."""
    if isinstance(value, Mapping):
        return frozenset({f"{prefix}.{key}" for key in value}).union(
            *(shape(inner, f"{prefix}.{key}") for key, inner in value.items()))
    if isinstance(value, list):
        return frozenset().union(*(shape(inner, f"{prefix}[]") for inner in value))
    return frozenset()


def matches(where: str, pattern: str) -> bool:
    """Whether the path ``where`` is ``pattern``, in which ``[*]`` stands for any one index
    (``choices[*].delta`` is ``choices[0].delta``, not ``choices[0].x.delta``)."""
    regex = re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]")
    return re.fullmatch(regex, where) is not None


def must_refuse(case: Corruption, types: Mapping[str, Iterable[str]],
                required: Iterable[str] = ()) -> bool:
    """Whether ``case`` breaks a field whose JSON type the format fixes (``types``: path pattern ->
    the types taken there), or removes a ``required`` key."""
    if case.how == "missing":
        return any(matches(case.where, pattern) for pattern in required)
    got = _JSON_TYPE[case.how]
    return any(matches(case.where, pattern) and got not in set(allowed)
               for pattern, allowed in types.items())


def verdict(case: Corruption, outcome: BaseException | None, *,
            types: Mapping[str, Iterable[str]] | None = None, required: Iterable[str] = ()) -> (
        str | None):
    """What is wrong with ``outcome`` (``None`` for a reply, else what was raised) as the answer to
    ``case``, or ``None`` if nothing is.

    Right answers: a reply, unless :func:`must_refuse`; or a
    :class:`~modelplex.errors.ResponseParseError` whose ``field`` (named in its message too) is the
    broken path or one above it, and exactly the broken path where :func:`must_refuse`.
    """
    what = f"{case.where} ({case.how})"
    strict = must_refuse(case, types or {}, required)
    if outcome is None:
        return f"{what}: read as if nothing were wrong" if strict else None
    if not isinstance(outcome, ResponseParseError):
        return f"{what}: {type(outcome).__name__}: {outcome}"
    text, field = str(outcome), outcome.field
    if _CATCH_ALL in text:
        return f"{what}: the catch-all: {text}"
    if not isinstance(field, str) or f"{field}:" not in text:
        return f"{what}: does not name the field: {text}"
    above = {path_text(case.path[:n]) for n in range(len(case.path) + 1)}
    if field not in above or (strict and field != case.where):
        return f"{what}: blames {field!r}: {text}"
    return None
