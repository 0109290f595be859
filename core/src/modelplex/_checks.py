"""The small checks every request type shares, each raising :class:`InvalidRequestError` naming the field.

The value types call them when they are built (:mod:`modelplex._options`, :mod:`modelplex._messages`)
and :mod:`modelplex._validate` calls them before a call; they live apart so that both can import them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any, TypeGuard

from modelplex.errors import InvalidRequestError

# No model produces anything near ten million tokens in one reply (the largest today give about 128k);
# past this a number is a mistake (10**12, a timestamp), and it stays clear of 32-bit overflow.
MAX_TOKENS = 10_000_000


def kind(value: object) -> str:
    """The type name a message shows: ``NoneType``, ``str``, ``dict``."""
    return type(value).__name__


def wrong_type(field: str, expected: str, value: object) -> InvalidRequestError:
    """``field: expected <expected>, got <type>``."""
    return InvalidRequestError(f"expected {expected}, got {kind(value)}", field=field)


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or float, not a bool (``True`` is an int to Python and a mistake here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def number(field: str, value: object, *, low: float = -math.inf, high: float = math.inf) -> None:
    """A finite number in ``[low, high]``."""
    if not is_number(value):
        raise wrong_type(field, "a number", value)
    try:
        x = float(value)
    except OverflowError:  # an int past float's range (10**400) is past any range too
        x = math.inf
    if not low <= x <= high or not math.isfinite(x):  # the first is false for nan too
        raise InvalidRequestError(f"expected a finite number {_range(low, high)}, got "
                                  f"{_shown(value)}", field=field)


def integer(field: str, value: object, *, low: int, high: int = MAX_TOKENS) -> None:
    """An int in ``[low, high]``."""
    if not is_int(value):
        raise wrong_type(field, "an int", value)
    if not low <= value <= high:
        raise InvalidRequestError(f"expected an int from {low} to {high}, got {_shown(value)}",
                                  field=field)


def _shown(value: int | float) -> str:
    """``repr(value)`` cut short: Python refuses to print an int of more than 4300 digits."""
    if isinstance(value, int) and value.bit_length() > 200:  # about 60 digits
        return f"an int of {value.bit_length()} bits"
    return repr(value)


def _range(low: float, high: float) -> str:
    if math.isinf(low):
        return f"<= {high:g}"
    if math.isinf(high):
        return f">= {low:g}"
    return f"from {low:g} to {high:g}"


def optional_str(field: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise wrong_type(field, "str or None", value)


def string(field: str, value: object) -> None:
    if not isinstance(value, str):
        raise wrong_type(field, "str", value)


def optional_bool(field: str, value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise wrong_type(field, "bool or None", value)


def one_of(field: str, value: object, allowed: Collection[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        raise InvalidRequestError(f"expected one of {names}, got {value!r}", field=field)


def json_value(field: str, value: object) -> None:
    """A value ``json.dumps`` turns into standard JSON: str keys, no NaN or infinity, no other types."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequestError(f"expected a JSON value, got {value!r} (JSON has no NaN or "
                                      "infinity)", field=field)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidRequestError(f"expected str keys (a JSON object), got key {key!r}",
                                          field=field)
            json_value(f"{field}.{key}", item)
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            json_value(f"{field}[{i}]", item)
        return
    raise wrong_type(field, "a JSON value (str, number, bool, None, list or dict)", value)


def json_object(field: str, value: object) -> None:
    """A mapping of JSON values (``extra``, a schema)."""
    if not isinstance(value, Mapping):
        raise wrong_type(field, "a mapping (a JSON object)", value)
    json_value(field, value)


def as_items(field: str, value: Any, expected: str) -> tuple[Any, ...]:
    """``value`` as a tuple when it is a list, a tuple or another iterable that is not a str, bytes or
    mapping (whose iteration would be a mistake); an error naming ``field`` otherwise."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise wrong_type(field, expected, value)
    return tuple(value)
