"""Tool-call ids as a wire takes them, mapped per request: :class:`ToolCallIds`."""

from __future__ import annotations

import hashlib
import re

_NOT_PLAIN = re.compile(r"[^A-Za-z0-9_-]")


class ToolCallIds:
    """The ids of one request's tool calls and results, in the form a wire takes.

    Feed the conversation in order: :meth:`call` for each call, :meth:`result` for each result. An
    id the wire takes (``[A-Za-z0-9_-]``, 1 to ``max_length`` characters) that no earlier call of the
    request has is kept as it is. Any other (another provider's ``functions.get_weather:0``, vLLM's
    46-character ids, ``call_0`` coming again in a later turn, an empty id) gets a plain id made from
    it and from how often it came before: the same conversation always gives the same ids (a prompt
    cache still matches), and no two calls share one. A result takes the id of the latest call before
    it with its id, so the call and its result still match; a result that answers no call gets the
    id such a call would have got. Ids are only ever mapped, never used to carry anything.
    """

    def __init__(self, max_length: int = 40) -> None:
        if max_length < 20:
            raise ValueError("ToolCallIds: max_length must leave room for a digest (20 or more)")
        self.max_length = max_length
        self._latest: dict[str, str] = {}  # original id -> the wire id of its latest call
        self._count: dict[str, int] = {}  # original id -> how many calls had it so far
        self._used: set[str] = set()

    def takes(self, call_id: str) -> bool:
        """Whether the wire takes ``call_id`` as it is."""
        return 0 < len(call_id) <= self.max_length and not _NOT_PLAIN.search(call_id)

    def call(self, call_id: str) -> str:
        """The wire id of the next call with ``call_id``."""
        seen = self._count.get(call_id, 0)
        self._count[call_id] = seen + 1
        wire = call_id if self.takes(call_id) and call_id not in self._used else self._made(call_id, seen)
        self._used.add(wire)
        self._latest[call_id] = wire
        return wire

    def result(self, call_id: str) -> str:
        """The wire id for a result answering ``call_id``: that of the latest call with it."""
        found = self._latest.get(call_id)
        if found is not None:
            return found
        return call_id if self.takes(call_id) else self._made(call_id, 0, taken=False)

    def _made(self, call_id: str, seen: int, *, taken: bool = True) -> str:
        salt = 0
        while True:
            digest = hashlib.sha256(f"{call_id}\0{seen}\0{salt}".encode()).hexdigest()[:12]
            stem = _NOT_PLAIN.sub("_", call_id)[: self.max_length - len(digest) - 1].strip("_")
            made = f"{stem or 'call'}_{digest}"
            if not taken or made not in self._used:
                return made
            salt += 1
