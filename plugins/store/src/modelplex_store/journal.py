"""The journal: where a recording process puts each call before the call returns, so that the call need
not wait for the database (``[store] durability = "journal"``, the default with a writer process).

A process appends what each call's rows are built from (its :func:`~modelplex_store.rows.facts`) to a
file of its own, through a shared memory map (see :class:`Journal`): once copied there, they are the
kernel's, and survive the process (and its writer process) being killed with SIGKILL, as a SQLite
commit in WAL mode with ``synchronous=NORMAL`` does; a power loss may lose the last ones, as it may
lose that commit. The writer process delivers the same calls from the pipe; a segment is deleted once
every call in it is committed or spooled.

Files, in ``<data dir>/journal/<store digest>/``, mode 0600:

- ``<owner>.lock``: held (``flock``) by the recording process and, through the descriptor it inherits,
  by its writer process, while either lives;
- ``<owner>.<n>.journal``: the segments, in order, each :data:`SEGMENT_BYTES` long (or as long as a
  frame longer than that) from the start, its frames followed by zeros; a new one once the next frame
  does not fit in the current;
- ``<owner>.spare``: the next segment, zeros, made ahead by the writer process (:func:`make_spare`) and
  renamed by the recording process when it needs one (``<owner>.spare.<pid>.part`` while it is made).

A frame is a 4-byte big-endian length (never 0: a length of 0 is the zeros past the last frame), a
4-byte CRC-32 of the payload, and the payload: marshal (:data:`~modelplex_store.pipe.MARSHAL_VERSION`) of
the call's facts, written by the optional C part (``_frames.c``) where it was built, the same bytes
(before 2026-12-04, of its rows, ``(calls, content)``, appended with ``write(2)``: still read, from a
journal an older version left). A frame cut short or failing its check ends a
segment's reading: only a process killed while copying it, or a crash of the machine, leaves one, and
what follows it was never acknowledged to a caller.

Whoever starts a writer of the store (a writer process, a writer thread) first adopts the journals
nobody holds any more (:func:`orphans`): their owner and its writer died before delivering them.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import mmap
import os
import secrets
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import NotImplementedType
from typing import Any

from modelplex_store.pipe import MARSHAL_VERSION
from modelplex_store.rows import FACTS_VERSION, FRAMES, Facts, Record, facts

# Not built (no compiler where it was installed): Journal.add and add_call frame in Python.
_frame: Callable[..., bytes | NotImplementedType | None] | None = None if FRAMES is None else FRAMES.frame
_frame_call: Callable[..., bytes | NotImplementedType | None] | None = (
    None if FRAMES is None else FRAMES.frame_call)

try:
    import fcntl
except ImportError:  # Windows: no journal; calls wait for their commit
    fcntl = None  # type: ignore[assignment]

#: A segment's length: once the next frame does not fit, the next segment is begun; closed segments are
#: deleted once delivered.
SEGMENT_BYTES = 1 << 20
_HEAD = struct.Struct(">II")
_LOCK, _SEGMENT, _SPARE = ".lock", ".journal", ".spare"


def directory(data_dir: Path, url: str) -> Path:
    """The journal directory of the store at ``url`` (its name a digest: a URL may hold a password)."""
    return data_dir / "journal" / hashlib.sha256(url.encode()).hexdigest()[:16]


def available() -> bool:
    """Whether journals work here (they need ``flock``)."""
    return fcntl is not None


def loads(payload: bytes) -> Facts | Record:
    """What a payload holds: a call's facts, or the rows an older version journaled (marshal: the journal
    and the pipe are this program's own)."""
    value = marshal.loads(payload)  # noqa: S302
    if value[0] == FACTS_VERSION:
        return value  # type: ignore[no-any-return]
    calls, content = value
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
        if not length or end > len(data) or zlib.crc32(payload) != crc:  # 0: the segment's unwritten end
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


def spare_path(folder: Path, owner: str) -> Path:
    return folder / f"{owner}{_SPARE}"


def make_spare(folder: Path, owner: str) -> bool | None:
    """Make ``owner``'s next segment ahead: true once made, false when one waits already (or the journal
    is gone), ``None`` when it could not be made (no room: try again later).

    Called by the writer process, on its own core: a segment's zeros cost the recording process's event
    loop 190-280 µs to write, and up to 2.7 ms where the disk's page cache was busy (a pass of the loop
    that long, every megabyte of calls), where renaming one made ahead costs it a system call. The
    zeros are written under another name and renamed whole: a spare is never seen half made."""
    spare = spare_path(folder, owner)
    if spare.exists() or not lock_path(folder, owner).exists():
        return False
    part = folder / f"{owner}{_SPARE}.{os.getpid()}.part"
    try:
        fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _allocate(fd, SEGMENT_BYTES)
        finally:
            os.close(fd)
        os.rename(part, spare)
    except OSError:  # the recording process makes its own meanwhile
        with contextlib.suppress(OSError):
            part.unlink()
        return None
    return True


def remove(folder: Path, owner: str) -> None:
    """Delete ``owner``'s segments and spares, then its lock file."""
    for path in [*segments(folder, owner), *folder.glob(f"{owner}{_SPARE}*")]:
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


def _allocate(fd: int, size: int) -> None:
    """Give the file ``fd`` ``size`` bytes of zeros now, written: a segment is written through a memory
    map, and a page of it the disk had no room for would kill the process (``SIGBUS``) instead of
    failing a write.

    Written, not ``posix_fallocate``d: the map's first write to each page of a fallocated file is a
    page fault on the calling loop, 256 a segment, which cost 20-35 µs each in place at 100 calls in
    flight (1.4-2.2 µs a call). Written pages are in the page cache already, in folios as large as the
    writes, and a fault maps a whole folio where it does not straddle a page table's 2 MiB: by
    :data:`_ZEROS_AT_ONCE`, a segment faults 16-31 times wherever the map lands (by 1 MiB, once or 256
    times; ``test_journal.py`` counts them)."""
    zeros = memoryview(bytes(min(size, _ZEROS_AT_ONCE)))
    done = 0
    while done < size:
        done += os.pwrite(fd, zeros[:size - done], done)


#: The zeros of a new segment are written this many bytes at a time (see :func:`_allocate`).
_ZEROS_AT_ONCE = 1 << 16


class Journal:
    """The journal of one recording process (see the module's docstring). Not thread-safe: its owner
    calls it under a lock.

    A segment is made at its full size (:data:`SEGMENT_BYTES`, its disk taken at once) and written
    through a shared memory map: a call's frame is copied into the kernel's page cache with no system
    call (a ``write(2)`` was half of what journaling cost a call), and is the kernel's as soon as it is
    copied, as a written one is: it survives the process being killed. The zeros past the last frame
    end the segment's reading. A disk without room for the next segment makes calls wait for their
    commits (:meth:`append` says so), until one can be made."""

    def __init__(self, folder: Path) -> None:
        assert fcntl is not None
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.folder = folder
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.lock_fd = os.open(lock_path(folder, self.owner), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
        self._number = -1
        self._map: mmap.mmap | None = None
        self._size = self._at = 0  # the current segment's size, and where its next frame goes
        self._last = 0  # the highest sequence number in the current segment
        self._closed: list[tuple[Path, int]] = []  # closed segments and their highest sequence number
        self._next = self._next_segment  # bound once: _frames.frame_call is given it for every call
        try:
            self._rotate(SEGMENT_BYTES)
        except OSError:
            self.close(delivered=True)
            raise

    def _path(self, number: int) -> Path:
        return self.folder / f"{self.owner}.{number}{_SEGMENT}"

    def _close_segment(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
            self._closed.append((self._path(self._number), self._last))

    def _rotate(self, size: int) -> None:
        """Close the current segment and make the next, ``size`` bytes long: the spare the writer process
        made ahead (:func:`make_spare`) when there is one."""
        self._close_segment()
        self._number += 1
        path = self._path(self._number)
        fd = self._take_spare(path) if size == SEGMENT_BYTES else -1
        if fd < 0:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if os.fstat(fd).st_size != size:
                _allocate(fd, size)
            self._map = mmap.mmap(fd, size)  # it keeps a descriptor of its own
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        finally:
            os.close(fd)
        self._size, self._at = size, 0

    def _take_spare(self, path: Path) -> int:
        """The spare, renamed ``path`` and opened, or -1 when none waits."""
        try:
            os.rename(spare_path(self.folder, self.owner), path)
        except OSError:  # none made yet (or the writer process is a thread of this one)
            return -1
        try:
            return os.open(path, os.O_RDWR)
        except OSError:  # out of descriptors: gone again, so that a segment made here takes its name
            with contextlib.suppress(OSError):
                path.unlink()
            return -1

    def add(self, seq: int, value: Facts) -> bytes | None:
        """Frame ``value`` (the facts of the call numbered ``seq``) at once and return its payload (what
        :func:`loads` reads back); ``None`` if it could not be written (no room on the disk for a new
        segment): the caller then waits for the commit instead. Raises what ``marshal.dumps`` raises
        for a value it cannot write, having written nothing.

        Framed by ``_frames.frame`` (C) where it was built, else by marshal and :meth:`append`: the same
        bytes (``test_frames.py``)."""
        page = self._map
        if _frame is not None and page is not None:
            payload = _frame(page, self._at, value)
            if payload is None:  # the segment is full
                page = self._next()
                if page is None:
                    return None
                payload = _frame(page, 0, value)
            if payload is not None and payload is not NotImplemented:
                self._at += _HEAD.size + len(payload)
                self._last = seq
                return payload
        payload = marshal.dumps(value, MARSHAL_VERSION)
        return payload if self.append(seq, payload) else None

    def add_call(self, seq: int, call: Any, outcome: Any, content: bool) -> bytes | None:
        """:meth:`add` of the call's :func:`~modelplex_store.rows.facts`, read and framed at once by
        ``_frames.frame_call`` where it was built (no tuple made: see ``_frames.c``), the same bytes."""
        if _frame_call is not None and self._map is not None:
            payload = _frame_call(self._map, self._at, call, outcome, content, self._next)
            if payload is None:  # no room on the disk for the next segment
                return None
            if payload is not NotImplemented:
                self._at += _HEAD.size + len(payload)
                self._last = seq
                return payload
        return self.add(seq, facts(call, outcome, content=content))

    def _next_segment(self) -> mmap.mmap | None:
        """For ``_frames.frame_call``, where a frame does not fit: the next segment's map, begun (``None``
        when it could not be: no room)."""
        try:
            self._rotate(SEGMENT_BYTES)
        except OSError:
            return None
        return self._map

    def append(self, seq: int, payload: bytes) -> bool:
        """Write ``payload`` (the call numbered ``seq``) at once; false if it could not be (no room on the
        disk for a new segment): the caller then waits for the commit instead."""
        length = len(payload)
        at = self._at
        end = at + _HEAD.size + length
        if end > self._size or self._map is None:
            try:
                self._rotate(max(SEGMENT_BYTES, _HEAD.size + length))
            except OSError:
                return False
            at, end = 0, _HEAD.size + length
        page = self._map
        assert page is not None
        # The payload first, then its head: a process killed between the two leaves a frame whose
        # length is 0 (the end) or whose check fails, never one that reads as whole.
        page[at + _HEAD.size:end] = payload
        _HEAD.pack_into(page, at, length, zlib.crc32(payload))
        self._at = end
        self._last = seq
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
        if self._map is not None:
            self._map.close()
            self._map = None
        if delivered:
            remove(self.folder, self.owner)
        if self.lock_fd >= 0:
            os.close(self.lock_fd)
            self.lock_fd = -1

    def forget(self) -> None:
        """In a forked child: let go of the parent's files without touching them."""
        if self._map is not None:
            with contextlib.suppress(OSError, ValueError):
                self._map.close()  # this process's view of it alone
            self._map = None
        if self.lock_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)
        self.lock_fd = -1
