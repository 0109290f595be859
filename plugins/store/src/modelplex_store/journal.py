"""The journal: where a recording process puts each call's rows before the call returns, so that the
call need not wait for the database (``[store] durability = "journal"``, the default with a writer
process).

A process appends each call's rows to a file of its own with one ``write(2)``: once it returns, the rows
are the kernel's, and survive the process (and its writer process) being killed with SIGKILL, as a
SQLite commit in WAL mode with ``synchronous=NORMAL`` does; a power loss may lose the last ones, as it
may lose that commit. The writer process delivers the same rows from the pipe; a segment is deleted
once every call in it is committed or spooled.

Files, in ``<data dir>/journal/<store digest>/``, mode 0600:

- ``<owner>.lock``: held (``flock``) by the recording process and, through the descriptor it inherits,
  by its writer process, while either lives;
- ``<owner>.<n>.journal``: the segments, in order; a new one once the current reaches
  :data:`SEGMENT_BYTES`.

A frame is a 4-byte big-endian length, a 4-byte CRC-32 of the payload, and the payload (marshal of
``(calls, content)``, a :class:`~modelplex_store.rows.Record`'s fields). A frame cut short or failing its
check ends a segment's reading: only a crash of the machine mid-write leaves one, and what follows it was
never acknowledged to a caller.

Whoever starts a writer of the store (a writer process, a writer thread) first adopts the journals
nobody holds any more (:func:`orphans`): their owner and its writer died before delivering them.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import secrets
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from modelplex_store.rows import Record

try:
    import fcntl
except ImportError:  # Windows: no journal; calls wait for their commit
    fcntl = None  # type: ignore[assignment]

#: A segment this long is closed and the next one begun; closed segments are deleted once delivered.
SEGMENT_BYTES = 1 << 20
_HEAD = struct.Struct(">II")
_LOCK, _SEGMENT = ".lock", ".journal"


def directory(data_dir: Path, url: str) -> Path:
    """The journal directory of the store at ``url`` (its name a digest: a URL may hold a password)."""
    return data_dir / "journal" / hashlib.sha256(url.encode()).hexdigest()[:16]


def available() -> bool:
    """Whether journals work here (they need ``flock``)."""
    return fcntl is not None


def encode(calls: Any, content: Any) -> bytes:
    """One frame of a journal segment."""
    payload = marshal.dumps((calls, content))
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def payload_of(frame: bytes) -> bytes:
    """The payload of a frame :func:`encode` made (what the pipe carries)."""
    return frame[_HEAD.size:]


def decode(payload: bytes) -> tuple[Any, Any]:
    """``(calls, content)`` of a payload (marshal: the journal and the pipe are this program's own)."""
    calls, content = marshal.loads(payload)  # noqa: S302
    return calls, content


def record_of(payload: bytes) -> Record:
    """The :class:`~modelplex_store.rows.Record` a payload holds."""
    calls, content = decode(payload)
    return Record(calls=calls, content=content)


def read_segment(path: Path) -> list[bytes]:
    """The payloads of a segment's whole, intact frames, in order."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    payloads, at = [], 0
    while at + _HEAD.size <= len(data):
        length, crc = _HEAD.unpack_from(data, at)
        end = at + _HEAD.size + length
        payload = data[at + _HEAD.size:end]
        if end > len(data) or zlib.crc32(payload) != crc:
            break
        payloads.append(payload)
        at = end
    return payloads


def segments(folder: Path, owner: str) -> list[Path]:
    """``owner``'s segments, oldest first."""
    found = []
    for path in folder.glob(f"{owner}.*{_SEGMENT}"):
        number = path.name[len(owner) + 1:-len(_SEGMENT)]
        if number.isdigit():
            found.append((int(number), path))
    return [path for _, path in sorted(found)]


def lock_path(folder: Path, owner: str) -> Path:
    return folder / f"{owner}{_LOCK}"


def remove(folder: Path, owner: str) -> None:
    """Delete ``owner``'s segments, then its lock file."""
    for path in segments(folder, owner):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    with contextlib.suppress(FileNotFoundError):
        lock_path(folder, owner).unlink()


def orphans(folder: Path) -> Iterator[tuple[str, int]]:
    """The owners whose lock nobody holds (their process and its writer process are gone), each with
    a descriptor holding its lock now: close it once its segments are delivered and removed."""
    if fcntl is None or not folder.is_dir():
        return
    for path in sorted(folder.glob(f"*{_LOCK}")):
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue  # removed meanwhile by its adopter
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # alive
            continue
        yield path.name[:-len(_LOCK)], fd


def left_behind(folder: Path) -> int:
    """How many journals in ``folder`` nobody holds now (see :func:`orphans`); their locks let go again."""
    found = 0
    for _, fd in orphans(folder):
        os.close(fd)
        found += 1
    return found


class Journal:
    """The journal of one recording process (see the module's docstring). Not thread-safe: its owner
    calls it under a lock."""

    def __init__(self, folder: Path) -> None:
        assert fcntl is not None
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.folder = folder
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.lock_fd = os.open(lock_path(folder, self.owner), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
        self._number = -1
        self._fd = -1
        self._size = 0
        self._last = 0  # the highest sequence number in the current segment
        self._closed: list[tuple[Path, int]] = []  # closed segments and their highest sequence number
        self._rotate()

    def _path(self, number: int) -> Path:
        return self.folder / f"{self.owner}.{number}{_SEGMENT}"

    def _rotate(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._closed.append((self._path(self._number), self._last))
        self._number += 1
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL
        self._fd = os.open(self._path(self._number), flags, 0o600)
        self._size = 0

    def append(self, seq: int, frame: bytes) -> bool:
        """Write ``frame`` (the call numbered ``seq``) at once; false if it could not be (a full disk):
        the caller then waits for the commit instead."""
        try:
            written = os.write(self._fd, frame)
        except OSError:
            return False
        if written != len(frame):  # a short write (a full disk): cut it off, so no torn frame stays
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            return False
        self._size += written
        self._last = seq
        if self._size >= SEGMENT_BYTES:
            with contextlib.suppress(OSError):
                self._rotate()
        return True

    def release(self, upto: int) -> None:
        """Every call up to ``upto`` is committed or spooled: delete the closed segments it covers."""
        closed = self._closed
        while closed and closed[0][1] <= upto:
            with contextlib.suppress(FileNotFoundError):
                closed.pop(0)[0].unlink()

    def close(self, delivered: bool) -> None:
        """Close the files; with ``delivered`` (every call acknowledged) delete them too. Otherwise they
        stay for the writer process, or once both are gone for the next writer of the store."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if delivered:
            remove(self.folder, self.owner)
        if self.lock_fd >= 0:
            os.close(self.lock_fd)
            self.lock_fd = -1

    def forget(self) -> None:
        """In a forked child: let go of the parent's files without touching them."""
        for fd in (self._fd, self.lock_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self.lock_fd = -1
