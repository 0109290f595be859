"""Mistral's messages: the shared encoding, with Mistral's own thinking sent back as the content
chunks it came as, and tool-call ids in the form Mistral takes (:mod:`modelplex_mistral.ids`).

Mistral takes an assistant's thinking back in its content, a ``thinking`` chunk before the text
(recording ``09_thinking_replayed``: the second turn's prompt counts it). Only thinking Mistral
produced for the model now asked goes back; the shared encoder drops any other with a warning.
"""

from __future__ import annotations

from typing import Any

from modelplex_openai_compat import Call, own_assistants
from modelplex_openai_compat import encode_messages as encode_compat

from modelplex import ProviderWarning
from modelplex_mistral.ids import with_nine_char_ids


def _with_thinking(wire: dict[str, Any], thinking: list[str]) -> None:
    chunks: list[dict[str, Any]] = [{"type": "thinking", "thinking": [{"type": "text", "text": t}]}
                                    for t in thinking]
    text = wire.get("content")
    if text:
        chunks.append({"type": "text", "text": text})
    wire["content"] = chunks


def encode_messages(call: Call) -> tuple[list[dict[str, Any]], list[ProviderWarning]]:
    """The shared messages, each assistant's own thinking back as chunks, ids of nine characters."""
    messages, warnings = encode_compat(call)
    for mine, wire in own_assistants(call, messages):
        thinking = [p.text for p in mine if p.text]
        if thinking:
            _with_thinking(wire, thinking)
    with_nine_char_ids(messages)
    return messages, warnings
