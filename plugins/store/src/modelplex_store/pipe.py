"""Frames between a process and its writer process: a 4-byte big-endian length, then a :mod:`marshal`
payload (tuples of ``str``, ``int``, ``float`` and ``None``: what rows hold). The pipe joins two
processes of one program, never anything else: marshal is the fastest codec of the standard library for
these values, and a frame is never read from a source that could forge one.
"""

from __future__ import annotations

import marshal
import os
import struct
from typing import Any

_LENGTH = struct.Struct(">I")
#: The marshal format written, here and into the journal: version 2, the last without references.
#: Versions 3 and 4 note each object written in a hash table allocated and freed for each ``dumps``,
#: so that one written twice is written once: a few strings, in a call's facts. Version 2 runs more
#: instructions (each string is encoded into a bytes object first) but takes less time: a call's facts
#: 0.97 µs against 1.25 (median, in place, at 100 calls in flight), 260 bytes against 183. Every
#: version reads all of them back.
MARSHAL_VERSION = 2


def write_frame(fd: int, value: Any) -> None:
    """Write ``value`` as one frame to ``fd`` (blocking until all of it is written)."""
    write_all(fd, encode(value))


def write_all(fd: int, data: bytes | bytearray) -> None:
    """Write all of ``data`` to the blocking ``fd``."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> Any:
    """The next frame's value from ``fd``; raises :class:`EOFError` once the other end closed (a frame
    cut short counts as closed: its writer died mid-way)."""
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        raise EOFError
    payload = _read_exactly(fd, _LENGTH.unpack(head)[0])
    if payload is None:
        raise EOFError
    return marshal.loads(payload)  # noqa: S302 (see the module's docstring)


def encode(value: Any) -> bytes:
    """``value`` as one frame's bytes (for a writer that cannot block: :func:`write_frame` does)."""
    payload = marshal.dumps(value, MARSHAL_VERSION)
    return _LENGTH.pack(len(payload)) + payload


def decode(buffer: bytearray) -> list[Any]:
    """The values of the whole frames at the start of ``buffer``, removed from it (a frame not yet
    whole stays)."""
    values = []
    start, size = 0, len(buffer)
    while size - start >= _LENGTH.size:
        (length,) = _LENGTH.unpack_from(buffer, start)
        end = start + _LENGTH.size + length
        if end > size:
            break
        values.append(marshal.loads(buffer[start + _LENGTH.size:end]))  # noqa: S302
        start = end
    del buffer[:start]
    return values
