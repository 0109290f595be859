"""Embedding requests and responses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from modelplex._catalog.cost import Cost
from modelplex._checks import as_items
from modelplex._json import JSON
from modelplex._responses import ProviderWarning, Usage
from modelplex._trace import RoutingTrace
from modelplex._tuples import as_tuple


def _inputs(value: Any) -> tuple[str, ...]:
    # A bare string is one input, not a sequence of one-character inputs.
    return (value,) if isinstance(value, str) else as_items("inputs", value, "a str or a sequence of str")


@attrs.frozen(kw_only=True)
class EmbedRequest:
    """``task_type`` is a hint some providers take (Gemini's ``RETRIEVAL_QUERY``, ...).

    The client checks a request before sending it (``inputs`` non-empty strings, ``dimensions`` an
    int >= 1); see :func:`modelplex._validate.check_embed`.
    """

    model: str
    inputs: tuple[str, ...] = attrs.field(converter=_inputs)
    dimensions: int | None = None
    task_type: str | None = None
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


def _vectors(vectors: Iterable[Iterable[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(v) for v in vectors)


@attrs.frozen(kw_only=True)
class EmbedResponse:
    provider: str
    model: str
    vectors: tuple[tuple[float, ...], ...] = attrs.field(converter=_vectors)
    usage: Usage = attrs.field(factory=Usage)
    warnings: tuple[ProviderWarning, ...] = attrs.field(default=(), converter=as_tuple)
    trace: RoutingTrace | None = attrs.field(default=None, eq=False)  # set by the client, as on ChatResponse
    cost: Cost | None = attrs.field(default=None, eq=False)  # likewise
