"""Cohere's ``usage`` as Modelplex's :class:`~modelplex.Usage`, and its finish reasons.

``usage`` is ``{"billed_units": {"input_tokens", "output_tokens"}, "tokens": {...}, "cached_tokens"}``.
``tokens`` counts what the model saw, Cohere's own system preamble included (some 500 tokens on every
call, ``cached_tokens`` mostly that preamble); ``billed_units`` counts what is charged. Usage here is what
is billed, so that a cost worked out from the catalog's prices is the invoice's; ``tokens`` is read only
when ``billed_units`` is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import FinishReason, Usage
from modelplex.toolkit import Reader

Step = str | int

FINISH = {"COMPLETE": FinishReason.STOP, "STOP_SEQUENCE": FinishReason.STOP,
          "MAX_TOKENS": FinishReason.LENGTH, "ERROR_LIMIT": FinishReason.LENGTH,
          "TOOL_CALL": FinishReason.TOOL_CALLS, "ERROR": FinishReason.ERROR, "TIMEOUT": FinishReason.ERROR,
          "ERROR_TOXIC": FinishReason.CONTENT_FILTER}


def finish_reason(raw: str | None) -> FinishReason:
    """The canonical finish reason; one Cohere adds later is OTHER (kept raw on the response too)."""
    return FINISH.get(raw, FinishReason.OTHER) if raw is not None else FinishReason.OTHER


def read_usage(read: Reader, usage: Mapping[str, Any], at: tuple[Step, ...]) -> Usage:
    """The billed tokens of one ``usage`` object found at ``at``."""
    counts = read.optional_obj(usage, "billed_units", at=at)
    where: tuple[Step, ...] = (*at, "billed_units")
    if counts is None:
        counts = read.optional_obj(usage, "tokens", at=at)
        where = (*at, "tokens")
    if counts is None:
        return Usage(estimated=True)  # nothing counted: unknown, never zero
    tokens_in = read.optional_number(counts, "input_tokens", at=where)
    tokens_out = read.optional_number(counts, "output_tokens", at=where)
    return Usage(input=int(tokens_in or 0), output=int(tokens_out or 0))
