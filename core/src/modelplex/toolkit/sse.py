"""A Server-Sent Events decoder that can tell a finished stream from one cut off mid-event.

It follows the WHATWG event-stream rules (lines end in CRLF, LF or CR; ``data`` lines join with
``\\n``; one optional space after the colon; comments start with ``:``) and is fed bytes in any
chunking, so the events never depend on where the network split them.

The cost is linear in the bytes received however they are cut: the text of an unfinished line is
kept in pieces and only a new chunk is searched for a line end, so a long line arriving in many
chunks is not copied again with each one. The text one event holds (its data lines and its
unfinished line) is bounded too: past ``max_event`` characters the decoder raises
:class:`EventTooLargeError` instead of keeping what an endless line sends.
"""

from __future__ import annotations

import codecs

import attrs


class EventTooLargeError(ValueError):
    """One event (or line) is larger than the decoder's ``max_event``."""


@attrs.frozen(kw_only=True)
class SSEEvent:
    """One dispatched event: its ``data`` lines joined by newlines, its ``event`` type."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


_new = object.__new__
_set_data, _set_event, _set_id, _set_retry = (SSEEvent.__dict__[name].__set__
                                              for name in ("data", "event", "id", "retry"))


def sse_event(data: str, event: str, id: str | None, retry: int | None) -> SSEEvent:
    """``SSEEvent(data=data, ...)``, every field given, without attrs' ``__init__``: the decoder makes
    one per event, and a frozen class's ``__init__`` cost 7.7k instructions where setting its four
    slots costs 4.4k (callgrind; ``docs/hot-paths.md``, ``core/tests/test_fast_events.py``)."""
    made: SSEEvent = _new(SSEEvent)
    _set_data(made, data)
    _set_event(made, event)
    _set_id(made, id)
    _set_retry(made, retry)
    return made


class SSEDecoder:
    """``feed(bytes) -> [SSEEvent]``; after the last byte, :attr:`pending` says whether something
    was left incomplete (a line without its end, or fields without the blank line that sends them).
    ``max_event`` bounds the characters one event holds (``None``: no bound).
    """

    def __init__(self, max_event: int | None = None) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._max = max_event if max_event is not None else -1
        self._buffer = ""  # the unfinished last line, as the last split left it
        self._more: list[str] = []  # what came after it with no line end in it
        self._held = 0  # characters in _buffer and _more, with those of the event's data lines
        self._data_size = 0  # characters in the event's data lines
        self._cr = False  # the buffer ends in a CR that may be half a CRLF
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._fields = False  # a field line arrived since the last dispatch

    @property
    def pending(self) -> bool:
        """Whether anything is incomplete: a line, an event's fields, or a character's bytes."""
        return bool(self._buffer or self._more) or self._fields or bool(self._utf8.getstate()[0])

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """The events that ``chunk`` completes."""
        text = self._utf8.decode(chunk)
        if not text:
            return []
        if not self._cr and "\n" not in text and "\r" not in text:
            self._more.append(text)  # no line ends here: nothing to split yet
            self._held += len(text)
            if self._held > self._max >= 0:
                raise EventTooLargeError(f"an event of more than {self._max} characters")
            return []
        if self._more:
            text = self._buffer + "".join(self._more) + text
            self._more.clear()
        elif self._buffer:
            text = self._buffer + text
        return self._lines(text)

    def close(self) -> list[SSEEvent]:
        """The end of the stream: a final CR ends its line (it can no longer start a CRLF)."""
        rest = self._buffer + "".join(self._more) + self._utf8.decode(b"", final=True)
        self._more.clear()
        if not rest.endswith("\r"):
            self._buffer = rest
            return []
        return self._lines(rest[:-1] + "\n")

    def _lines(self, text: str) -> list[SSEEvent]:
        """The events that the complete lines of ``text`` send; its unfinished last line is kept.

        The chunk is split once (not line by line), so a chunk of many events costs one pass over it.
        """
        held = False  # the text ends in a CR, kept as the end of the unfinished line
        if "\r" in text:  # CRLF and a lone CR end lines too; a CR at the very end may be half a CRLF
            held = text.endswith("\r")
            text = text[:-1] if held else text
            text = text.replace("\r\n", "\n").replace("\r", "\n") + ("\r" if held else "")
        lines = text.split("\n")
        self._buffer = lines.pop()
        self._cr = held
        events: list[SSEEvent] = []
        data = self._data
        limit = self._max
        for line in lines:
            if not line:  # a blank line sends the event
                if self._fields:
                    event = self._dispatch()
                    if event is not None:
                        events.append(event)
                    data = self._data
            elif line.startswith("data:"):
                value = line[6:] if line.startswith(" ", 5) else line[5:]
                data.append(value)
                self._fields = True
                if limit >= 0:
                    self._data_size += len(value)
                    if self._data_size > limit:
                        raise EventTooLargeError(f"an event of more than {limit} characters")
            elif len(line) > limit >= 0:  # a field or comment line alone past the bound
                raise EventTooLargeError(f"a line of more than {limit} characters")
            elif line.startswith("event:"):
                self._event = line[7:] if line.startswith(" ", 6) else line[6:]
                self._fields = True
            elif line[0] != ":":  # a comment otherwise
                self._field(line)
        self._held = self._data_size + len(self._buffer)
        if self._held > limit >= 0:
            raise EventTooLargeError(f"an event of more than {limit} characters")
        return events

    def _field(self, line: str) -> None:
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        self._fields = True
        if name == "data":
            self._data.append(value)
            self._data_size += len(value)
            if self._data_size > self._max >= 0:
                raise EventTooLargeError(f"an event of more than {self._max} characters")
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        # ASCII digits only, as the standard says (int() refuses "²", a str.isdigit() digit), and few
        # enough for int() to take: a wait of more than 18 digits of milliseconds means nothing.
        elif name == "retry" and value.isascii() and value.isdigit() and len(value) <= 18:
            self._retry = int(value)

    def _dispatch(self) -> SSEEvent | None:
        self._fields = False
        data, event = self._data, self._event
        self._data, self._event = [], ""
        self._data_size = 0
        if not data:
            return None  # an event with no data line is not dispatched
        return sse_event(data[0] if len(data) == 1 else "\n".join(data), event or "message", self._id,
                         self._retry)
