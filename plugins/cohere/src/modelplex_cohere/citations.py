"""Cohere's citations as :class:`~modelplex.Citation` s.

A citation is ``{"start", "end", "text", "type": "TEXT_CONTENT" | "PLAN", "sources": [{"type":
"document" | "tool", "id", "document": {...} | "tool_output": {...}}]}``: the reply's characters
``start`` to ``end`` are supported by the documents or tool results it names.
"""

from __future__ import annotations

from typing import Any

from modelplex import Citation, CitationSource
from modelplex.toolkit import Reader

Step = str | int


def _source(read: Reader, wire: Any, at: tuple[Step, ...]) -> CitationSource:
    read.obj(wire, at=at)
    kind = read.optional_string(wire, "type", at=at)
    body = read.optional_obj(wire, "document", at=at) or read.optional_obj(wire, "tool_output", at=at) or {}
    text, title = body.get("text"), body.get("title")
    return CitationSource(kind=kind, id=read.optional_string(wire, "id", at=at),
                          text=text if isinstance(text, str) else None,
                          title=title if isinstance(title, str) else None)


def read_citation(read: Reader, wire: Any, at: tuple[Step, ...]) -> Citation:
    """One citation found at ``at``; a mistyped field names its path."""
    read.obj(wire, at=at)
    sources = read.optional_array(wire, "sources", at=at) or ()
    return Citation(text=read.optional_string(wire, "text", at=at) or "",
                    start=read.optional_integer(wire, "start", at=at),
                    end=read.optional_integer(wire, "end", at=at),
                    sources=[_source(read, s, (*at, "sources", i)) for i, s in enumerate(sources)],
                    kind=read.optional_string(wire, "type", at=at))
