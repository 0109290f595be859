"""The journal's files: frames written through a memory map into segments made whole at the start, read
back until the zeros past the last one or a frame a killed process left half-copied; and a journal an
older version wrote (rows, appended with ``write(2)``) still delivered."""

from __future__ import annotations

import marshal
import mmap
import os
import resource
import sqlite3
import stat
import struct
import warnings
import zlib
from contextlib import closing
from pathlib import Path

import pytest
from exchange import call
from modelplex_store import journal
from modelplex_store.config import StoreConfig
from modelplex_store.rows import facts, record
from modelplex_store.writer import deliver_left_behind

pytestmark = pytest.mark.skipif(not journal.available(), reason="journals need flock (POSIX)")


def payloads(n: int, start: int = 1) -> list[bytes]:
    return [marshal.dumps(facts(*call(i))) for i in range(start, start + n)]


def test_frames_read_back_in_order_from_a_segment_made_whole_at_the_start(tmp_path: Path) -> None:
    made = journal.Journal(tmp_path)
    try:
        written = payloads(5)
        for seq, payload in enumerate(written, 1):
            assert made.append(seq, payload)
        (path,) = journal.segments(tmp_path, made.owner)
        assert path.stat().st_size == journal.SEGMENT_BYTES  # its disk taken before the first frame
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert journal.read_segment(path) == written  # read while it is being written, too
    finally:
        made.close(delivered=True)
    assert list(tmp_path.iterdir()) == []


def test_a_segment_is_made_in_the_page_cache_so_its_frames_do_not_fault_a_page_each(tmp_path: Path) -> None:
    """Its zeros written, not fallocated: filling a segment through the map faults 16-31 times wherever
    the map lands, not once for each of its 256 pages (a fault cost 20-35 µs in place: see
    ``_allocate``)."""
    made = journal.Journal(tmp_path)
    try:
        frame = payloads(1)[0]
        frames = [frame] * ((journal.SEGMENT_BYTES - 64) // (len(frame) + 8))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for seq, payload in enumerate(frames, 1):
            made.append(seq, payload)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
        (path,) = journal.segments(tmp_path, made.owner)  # one segment, filled
        assert path.stat().st_blocks * 512 >= journal.SEGMENT_BYTES  # its disk taken, as before
        assert faults < journal.SEGMENT_BYTES // mmap.PAGESIZE // 4, faults
        assert journal.read_segment(path) == frames
    finally:
        made.close(delivered=True)


def test_the_next_segment_begins_where_a_frame_does_not_fit_and_a_long_frame_has_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "SEGMENT_BYTES", 1024)
    made = journal.Journal(tmp_path)
    try:
        long = marshal.dumps(("f1", "x" * 3000))
        every = [*payloads(12), long, *payloads(2, 13)]
        for seq, payload in enumerate(every, 1):
            assert made.append(seq, payload)
        paths = journal.segments(tmp_path, made.owner)
        read = [journal.read_segment(p) for p in paths]
        assert [p for segment in read for p in segment] == every
        assert len(read) > 3 and [long] in read
        assert max(p.stat().st_size for p in paths) >= len(long) + 8
        made.release(len(read[0]))  # the calls of the first segment are committed: it goes
        assert journal.segments(tmp_path, made.owner) == paths[1:]
    finally:
        made.close(delivered=True)


def test_the_next_segment_is_the_spare_made_ahead_or_made_at_once_when_none_waits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer process makes the next segment ahead (``make_spare``, one at a time); the journal renames
    it when the current one is full, the same file (its inode), and makes its own when none waits."""
    monkeypatch.setattr(journal, "SEGMENT_BYTES", 2048)
    made = journal.Journal(tmp_path)
    try:
        spare = journal.spare_path(tmp_path, made.owner)
        assert journal.make_spare(tmp_path, made.owner) is True
        assert journal.make_spare(tmp_path, made.owner) is False  # one waits already
        assert spare.stat().st_size == 2048 and stat.S_IMODE(spare.stat().st_mode) == 0o600
        assert spare.read_bytes() == bytes(2048)
        assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []  # renamed whole
        made_ahead = spare.stat().st_ino
        assert journal.segments(tmp_path, made.owner) == [made._path(0)]  # a spare is no segment

        every = payloads(30)
        for seq, payload in enumerate(every, 1):
            assert made.append(seq, payload)
        paths = journal.segments(tmp_path, made.owner)
        assert len(paths) >= 3  # two rotations: the first took the spare, the second had none
        assert paths[1].stat().st_ino == made_ahead and not spare.exists()
        assert all(p.stat().st_size == 2048 for p in paths)
        assert [f for p in paths for f in journal.read_segment(p)] == every
    finally:
        made.close(delivered=True)
    assert list(tmp_path.iterdir()) == []


def test_a_spare_and_one_half_made_go_with_their_journal_and_none_is_made_for_one_gone(
        tmp_path: Path) -> None:
    """Deleting a journal (delivered, or adopted once its process died) deletes its spare, and the part
    of one a writer process killed while making it left; a journal deleted meanwhile gets none."""
    made = journal.Journal(tmp_path)
    assert journal.make_spare(tmp_path, made.owner) is True
    (tmp_path / f"{made.owner}.spare.12345.part").write_bytes(b"\0" * 100)
    made.close(delivered=True)
    assert list(tmp_path.iterdir()) == []
    assert journal.make_spare(tmp_path, made.owner) is False
    assert list(tmp_path.iterdir()) == []


def test_a_spare_that_cannot_be_made_is_said_so_and_leaves_nothing(tmp_path: Path) -> None:
    """``None``: the writer process tries again later (``SPARE_RETRY``); the journal makes its own."""
    made = journal.Journal(tmp_path)
    try:
        (tmp_path / f"{made.owner}.spare.{os.getpid()}.part").mkdir()  # where its zeros would go
        assert journal.make_spare(tmp_path, made.owner) is None
        assert not journal.spare_path(tmp_path, made.owner).exists()
        frames = payloads(5)
        for seq, payload in enumerate(frames, 1):
            assert made.append(seq, payload)
        assert journal.read_segment(journal.segments(tmp_path, made.owner)[0]) == frames
    finally:
        (tmp_path / f"{made.owner}.spare.{os.getpid()}.part").rmdir()
        made.close(delivered=True)


@pytest.mark.parametrize("cut", ["payload half-copied", "head without payload", "head half-written"])
def test_a_frame_a_killed_process_left_half_copied_ends_the_reading(tmp_path: Path, cut: str) -> None:
    """The copy is the payload first, then its head; a process killed at any point of it leaves the
    frames before it readable and nothing of it (its call never returned)."""
    made = journal.Journal(tmp_path)
    whole = payloads(3)
    for seq, payload in enumerate(whole, 1):
        made.append(seq, payload)
    (path,) = journal.segments(tmp_path, made.owner)
    at = sum(8 + len(p) for p in whole)
    torn = payloads(1, 4)[0]
    head = struct.pack(">II", len(torn), zlib.crc32(torn))
    with open(path, "r+b") as file:
        file.seek(at)
        if cut == "payload half-copied":
            file.write(head + torn[:len(torn) // 2])
        elif cut == "head without payload":
            file.write(head)
        else:
            file.write(head[:2])
    made.close(delivered=False)
    assert journal.read_segment(path) == whole


def test_a_journal_an_older_version_left_is_delivered(tmp_path: Path) -> None:
    """Until 2026-12-04 a journal held each call's rows, appended with ``write(2)`` into a file that grew
    frame by frame: a process of that version killed with its writer leaves one, which this version's
    writer delivers, each call once."""
    db, data = tmp_path / "store.db", tmp_path / "data"
    config = StoreConfig(url=f"sqlite:///{db}", data_dir=data)
    folder = journal.directory(data, config.url)
    folder.mkdir(parents=True)
    owner = "4242-0badf00d"
    (folder / f"{owner}.lock").write_bytes(b"")
    frames = b""
    for n in (1, 2, 3):
        rows = record(*call(n))
        payload = marshal.dumps((rows.calls, rows.content))
        frames += struct.pack(">II", len(payload), zlib.crc32(payload)) + payload
    (folder / f"{owner}.0.journal").write_bytes(frames)
    assert deliver_left_behind(config) == 1
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*), sum(input) FROM calls").fetchone() == (3, 6)
    assert list(folder.iterdir()) == []


def test_a_forked_child_lets_go_of_its_parents_map_without_touching_the_file(tmp_path: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("os.fork is POSIX")
    made = journal.Journal(tmp_path)
    first, second = payloads(2)
    try:
        made.append(1, first)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                made.forget()
                code = 0
            finally:
                os._exit(code)
        assert os.waitpid(pid, 0)[1] == 0
        assert made.append(2, second)  # the parent's map is its own still
        (path,) = journal.segments(tmp_path, made.owner)
        assert journal.read_segment(path) == [first, second]
    finally:
        made.close(delivered=True)


def test_facts_the_writer_cannot_build_are_a_loss_counted_and_the_rest_is_written(tmp_path: Path) -> None:
    """A frame that reads but does not build (a bug of ours, a journal of a later version) costs its
    call's row, counted and said, and never the writer: the calls beside it are written."""
    from modelplex_store.writer import Writer

    db = tmp_path / "store.db"
    writer = Writer(StoreConfig(url=f"sqlite:///{db}", data_dir=tmp_path / "data"))
    good = facts(*call(7))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        writer.submit_records([((*good[:3], "chat"), 1), (good, 2)])
        flushed = writer.flush(20)
    writer.close()
    assert flushed
    assert [str(w.message) for w in said if "row of a chat call failed" in str(w.message)]
    assert (writer.recorded, writer.lost) == (1, 1)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*), sum(input) FROM calls").fetchone() == (1, 7)


def test_a_lingering_writer_gathers_calls_into_one_group_unless_one_waits(tmp_path: Path) -> None:
    """The writer process of a journaling parent lets a group wait for more calls (``LINGER``): nobody
    waits for them, and a commit costs as much for a few calls as for many. A call that waits for its
    commit (``hurry``) is written at once, with whatever lingered."""
    import time

    from modelplex_store.writer import Writer

    writer = Writer(StoreConfig(url=f"sqlite:///{tmp_path / 'store.db'}", data_dir=tmp_path / "data"),
                    linger=2.0)
    try:
        writer.submit_records([(facts(*call(1)), None)])  # opens the store, at once
        assert writer.flush(20)
        before = writer.groups
        for n in range(2, 7):
            writer.submit_records([(facts(*call(n)), None)], hurry=False)
            time.sleep(0.02)
        assert writer.flush(20)
        assert (writer.groups, writer.recorded) == (before + 1, 6)  # five calls, one group
        writer.submit_records([(facts(*call(7)), None)], hurry=False)
        time.sleep(0.05)
        started = time.monotonic()
        writer.submit_records([(facts(*call(8)), None)])  # a call that waits
        assert writer.flush(20)
        assert time.monotonic() - started < 1.5
        assert (writer.groups, writer.recorded) == (before + 2, 8)
    finally:
        writer.close()
