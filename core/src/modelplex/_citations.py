"""Citations: the spans of a reply that a provider ties to the documents or tool results it was given
(Cohere's ``citations``), kept on :attr:`ChatResponse.citations` and, in a stream, as
:class:`CitationAdded` events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import attrs


@attrs.frozen(kw_only=True)
class CitationSource:
    """What a citation points at: ``kind`` is the provider's (``document``, ``tool``), ``id`` the
    document's or tool call's id, ``text`` and ``title`` the cited document's where the provider
    repeats them."""

    kind: str | None = None
    id: str | None = None
    text: str | None = None
    title: str | None = None


def _sources(items: Iterable[CitationSource]) -> tuple[CitationSource, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class Citation:
    """``text``, the characters ``start`` to ``end`` (exclusive) of the reply's text, is supported by
    ``sources``. ``kind`` is the provider's own (Cohere's ``TEXT_CONTENT``, ``PLAN``), ``None`` if none."""

    text: str
    start: int | None = None
    end: int | None = None
    sources: tuple[CitationSource, ...] = attrs.field(default=(), converter=_sources)
    kind: str | None = None


@attrs.frozen(kw_only=True)
class CitationAdded:
    """A stream event: one citation of the reply, complete."""

    citation: Citation
    type: Literal["citation"] = "citation"
