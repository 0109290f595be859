"""The one cattrs converter for every public type: ``unstructure`` to JSON-ready data and back.

cattrs is imported on first use, not with ``import modelplex``.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import functools
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import cattrs

T = TypeVar("T")


@functools.cache
def converter() -> cattrs.Converter:
    import cattrs

    from modelplex._events import StreamEvent
    from modelplex._messages import Part
    from modelplex._responses import FinishReason
    from modelplex._secret import MASK, Secret

    conv = cattrs.Converter(omit_if_default=False, forbid_extra_keys=True)
    conv.register_unstructure_hook(FinishReason, lambda e: e.value)
    # A key never leaves the process through serialisation (a usage log, a dashboard, a cache).
    conv.register_unstructure_hook(Secret, lambda s: MASK)
    conv.register_structure_hook(Secret, _structure_secret)
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    conv.register_structure_hook(bytes, lambda v, _: base64.b64decode(v) if isinstance(v, str) else bytes(v))
    # Money travels as a string: a JSON number would be read back as a float.
    conv.register_unstructure_hook(decimal.Decimal, str)
    conv.register_structure_hook(decimal.Decimal, _structure_decimal)
    conv.register_unstructure_hook(datetime.date, lambda d: d.isoformat())
    conv.register_structure_hook(datetime.date, _structure_date)

    for union in (Part, StreamEvent):
        members = {m.__attrs_attrs__.type.default: m for m in union.__args__}
        conv.register_unstructure_hook(union, lambda obj: conv.unstructure(obj, unstructure_as=type(obj)))

        def _structure(value: Any, _: Any, members: dict[str, type[Any]] = members) -> Any:
            kind = value.get("type") if isinstance(value, dict) else None
            if kind not in members:
                raise ValueError(f"unknown type {kind!r}; expected one of {sorted(members)}")
            return conv.structure(value, members[kind])

        conv.register_structure_hook(union, _structure)
    return conv


def _structure_decimal(value: Any, _: Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"a Decimal is written as a string, not {type(value).__name__}")
    try:
        result = decimal.Decimal(value)
    except decimal.InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return result


def _structure_date(value: Any, _: Any) -> datetime.date:
    if not isinstance(value, str):
        raise ValueError(f"a date is written as an ISO string (2025-01-31), not {type(value).__name__}")
    return datetime.date.fromisoformat(value)


def _structure_secret(value: Any, _: Any) -> Any:
    from modelplex._secret import MASK, Secret

    if not isinstance(value, str) or value == MASK:
        raise ValueError("a serialised Secret is masked; API keys are never serialised, give the key again")
    return Secret(value)


def unstructure(obj: object) -> Any:
    """Turn any public Modelplex value into plain dicts, lists and scalars (bytes become base64)."""
    return converter().unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from what :func:`unstructure` made.

    Bad data raises one ``ValueError`` naming every offending field path and why.
    """
    import cattrs

    try:
        return converter().structure(data, cls)
    except cattrs.BaseValidationError as exc:
        problems = cattrs.transform_error(exc, format_exception=lambda e, _: f"{type(e).__name__}: {e}")
        raise ValueError(f"cannot build {getattr(cls, '__name__', cls)}: " + "; ".join(problems)) from None
