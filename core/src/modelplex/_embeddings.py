"""Embedding requests and responses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from modelplex._json import JSON
from modelplex._responses import ProviderWarning, Usage
from modelplex._trace import RoutingTrace
from modelplex._tuples import as_tuple


@attrs.frozen(kw_only=True)
class EmbedRequest:
    """``task_type`` is a hint some providers take (Gemini's ``RETRIEVAL_QUERY``, ...)."""

    model: str
    inputs: tuple[str, ...] = attrs.field(converter=as_tuple)
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
