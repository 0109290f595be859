"""Tool-call ids as Mistral takes them: exactly nine letters and digits.

Mistral answers 400 to any other id on an assistant's ``tool_calls`` or a ``tool`` message
("Tool call id was ... but must be a-z, A-Z, 0-9, with a length of 9"), so a conversation begun
with another provider (``call_05822893``, ``toolu_bdrk_01ADw...``) cannot be continued as it is.
After the shared encoder has made every id unique and paired each result with its call, each id
Mistral would refuse is replaced by nine characters made from it: the same id always becomes the
same nine characters (a prompt cache still matches), a call and its results keep matching, and no
two ids of a request collide. Ids Mistral gave stay as they are.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

_MISTRAL_ID = re.compile(r"[A-Za-z0-9]{9}")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def takes(call_id: str) -> bool:
    """Whether Mistral takes ``call_id`` as it is."""
    return _MISTRAL_ID.fullmatch(call_id) is not None


def _nine(call_id: str, salt: int) -> str:
    number = int.from_bytes(hashlib.sha256(f"{call_id}\0{salt}".encode()).digest()[:12], "big")
    out = []
    for _ in range(9):
        number, digit = divmod(number, len(_ALPHABET))
        out.append(_ALPHABET[digit])
    return "".join(out)


class NineCharIds:
    """The ids of one request mapped to Mistral's form, each the same wherever it appears."""

    def __init__(self, kept: set[str]) -> None:
        self._map: dict[str, str] = {}
        self._used = set(kept)  # ids Mistral takes, which stay: no made id may equal one

    def __call__(self, call_id: str) -> str:
        """The id Mistral is sent for ``call_id``."""
        if takes(call_id):
            return call_id
        found = self._map.get(call_id)
        if found is None:
            salt = 0
            found = _nine(call_id, salt)
            while found in self._used:
                salt += 1
                found = _nine(call_id, salt)
            self._map[call_id] = found
            self._used.add(found)
        return found


def with_nine_char_ids(messages: list[dict[str, Any]]) -> None:
    """Every tool-call id of ``messages`` (the shared encoder's, unique and paired) in Mistral's
    nine-character form, in place."""
    kept = {c["id"] for m in messages for c in m.get("tool_calls") or () if takes(c.get("id") or "")}
    kept |= {m["tool_call_id"] for m in messages if takes(m.get("tool_call_id") or "")}
    ids = NineCharIds(kept)
    for message in messages:
        for wire in message.get("tool_calls") or ():
            wire["id"] = ids(wire.get("id") or "")
        if message.get("role") == "tool" and "tool_call_id" in message:
            message["tool_call_id"] = ids(message["tool_call_id"])
