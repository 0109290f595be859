"""A Server-Sent Events decoder that can tell a finished stream from one cut off mid-event.

It follows the WHATWG event-stream rules (lines end in CRLF, LF or CR; ``data`` lines join with
``\\n``; one optional space after the colon; comments start with ``:``) and is fed bytes in any
chunking, so the events never depend on where the network split them.
"""

from __future__ import annotations

import codecs

import attrs


@attrs.frozen(kw_only=True)
class SSEEvent:
    """One dispatched event: its ``data`` lines joined by newlines, its ``event`` type."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """``feed(bytes) -> [SSEEvent]``; after the last byte, :attr:`pending` says whether something
    was left incomplete (a line without its end, or fields without the blank line that sends them).
    """

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._fields = False  # a field line arrived since the last dispatch

    @property
    def pending(self) -> bool:
        return bool(self._buffer) or self._fields or bool(self._utf8.getstate()[0])

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        self._buffer += self._utf8.decode(chunk)
        events: list[SSEEvent] = []
        while True:
            cr, lf = self._buffer.find("\r"), self._buffer.find("\n")
            if cr == -1 and lf == -1:
                break
            if cr != -1 and (lf == -1 or cr < lf):
                if cr == len(self._buffer) - 1:
                    break  # a CR at the end may be the first half of a CRLF: wait for more
                end, size = cr, 2 if self._buffer[cr + 1] == "\n" else 1
            else:
                end, size = lf, 1
            line, self._buffer = self._buffer[:end], self._buffer[end + size:]
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """The end of the stream: a final CR ends its line (it can no longer start a CRLF)."""
        self._buffer += self._utf8.decode(b"", final=True)
        if not self._buffer.endswith("\r"):
            return []
        self._buffer += "\n"
        return self.feed(b"")

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        self._fields = True
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        had_fields, self._fields = self._fields, False
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not had_fields or not data:
            return None  # an event with no data line is not dispatched
        return SSEEvent(data="\n".join(data), event=event or "message", id=self._id,
                        retry=self._retry)
