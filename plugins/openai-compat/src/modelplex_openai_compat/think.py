"""Reasoning inline in the content, between ``<think>`` and ``</think>`` (DeepSeek-R1 on many hosts).

One splitter serves streams and whole replies alike, so both give the same reasoning and text.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["text", "reasoning"]
OPEN, CLOSE = "<think>", "</think>"


class ThinkSplitter:
    """Feed content pieces; get ``(kind, text)`` runs back. A tag split across pieces is held until
    it is whole. Whitespace right after either tag is dropped (the reasoning's and the answer's
    leading newlines)."""

    def __init__(self) -> None:
        self._inside = False
        self._held = ""
        self._strip = False  # drop leading whitespace of what follows a tag

    def feed(self, piece: str) -> list[tuple[Kind, str]]:
        text = self._held + piece
        self._held = ""
        out: list[tuple[Kind, str]] = []
        while text:
            tag = CLOSE if self._inside else OPEN
            at = text.find(tag)
            if at == -1:
                keep = _partial_tag(text, tag)
                body, self._held = text[:len(text) - keep], text[len(text) - keep:]
                self._emit(out, body)
                break
            self._emit(out, text[:at])
            text = text[at + len(tag):]
            self._inside = not self._inside
            self._strip = True
        return out

    def flush(self) -> list[tuple[Kind, str]]:
        """The end of the content: a held partial tag was text after all."""
        out: list[tuple[Kind, str]] = []
        held, self._held = self._held, ""
        self._emit(out, held)
        return out

    def _emit(self, out: list[tuple[Kind, str]], text: str) -> None:
        if self._strip:
            text = text.lstrip()
            if not text:
                return
            self._strip = False
        if text:
            out.append(("reasoning" if self._inside else "text", text))


def _partial_tag(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could begin ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def split_think(content: str) -> tuple[str, str]:
    """``(reasoning, text)`` of a whole reply."""
    splitter = ThinkSplitter()
    runs = splitter.feed(content) + splitter.flush()
    reasoning = "".join(t for k, t in runs if k == "reasoning")
    text = "".join(t for k, t in runs if k == "text")
    return reasoning, text
