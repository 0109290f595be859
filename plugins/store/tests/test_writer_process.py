"""The writer process and the journal (``writer_process.py``, ``writer_main.py``, ``journal.py``; issue
14's cost of recording): rows are committed by a process of their own; a journaled call returns without
waiting for the database, its row in the journal's files, and a call with ``durability = "commit"``
once its row is committed; a writer process killed mid-load is replaced and every row arrives once; one
that cannot start or keeps dying gives way to a thread, losing nothing; a journal that cannot be
written makes calls wait for their commits; a recording process killed with SIGKILL loses nothing it
had recorded, and when its writer process is killed with it, the next writer of the store delivers its
journal; closing ends the process and deletes the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import marshal
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import closing as closed
from pathlib import Path

import pytest
from exchange import call, journaled, recorder
from modelplex_store import journal
from modelplex_store.writer_process import MAX_STARTS

HERE = Path(__file__).resolve().parent


def written(path: Path) -> tuple[int, int]:
    """Rows in ``calls`` and their input tokens, read with plain sqlite3."""
    with closed(sqlite3.connect(path)) as db:
        count, inputs = db.execute("SELECT count(*), coalesce(sum(input), 0) FROM calls").fetchone()
    return count, inputs


def gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether process ``pid`` has ended within ``timeout`` seconds (a zombie has: an orphan's is reaped
    by whatever adopted it, which in a container may be nobody). Its main thread a zombie is not yet
    enough: its other threads may still be exiting, and they hold its files (the journal's lock among
    them) until the last is gone, so a zombie counts once it is its only thread left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            zombie = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
            if zombie and os.listdir(f"/proc/{pid}/task") == [str(pid)]:
                return True
        except FileNotFoundError:  # reaped meanwhile
            return True
        except (OSError, IndexError):
            pass
        time.sleep(0.02)
    return False


async def record_all(rec: object, first: int, count: int) -> None:
    waiters = [rec.record(*call(n)) for n in range(first, first + count)]  # type: ignore[attr-defined]
    await asyncio.gather(*(w for w in waiters if w is not None))


def test_rows_are_written_by_a_process_of_their_own_and_committed_before_a_call_returns(
        tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data", durability="commit")
    assert rec.config.writer == "process"  # the default

    async def main() -> None:
        for n in range(1, 21):
            done = rec.record(*call(n))
            assert done is not None
            await done
            assert written(path) == (n, n * (n + 1) // 2)

    asyncio.run(main())
    pid = rec.writer_pid
    assert pid is not None and pid != os.getpid()
    stats = rec.stats()
    assert (stats.recorded, stats.pending, stats.lost) == (20, 0, 0) and stats.groups >= 1
    rec.close()
    assert gone(pid), "the writer process outlived its recorder's close"


def test_a_journaled_call_returns_without_waiting_for_the_database_and_its_row_arrives(
        tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")
    assert rec.config.durability == "journal"  # the default
    folder = journal.directory(rec.config.data_dir, rec.config.url)

    async def main() -> None:
        await record_all(rec, 1, 1)
        assert rec.flush()  # the store made and migrated
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the database cannot be written
        try:
            assert all(rec.record(*call(n)) is None for n in range(2, 22))  # nothing to wait for
            assert written(path) == (1, 1)
            assert sorted(r["input"] for r in journaled(rec)) == list(range(1, 22))
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert rec.flush()

    try:
        asyncio.run(main())
        assert written(path) == (21, 21 * 22 // 2)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = list(folder.iterdir())
        assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    finally:
        rec.close()
    assert list(folder.iterdir()) == []  # every call delivered: the journal is deleted


def pipe_writes(monkeypatch: pytest.MonkeyPatch, pid: int) -> list[int]:
    """The sizes of this process's writes, from now on, into the pipe that writer process ``pid`` reads
    its calls from (its standard input), found by the pipe's inode in ``/proc``."""
    pipe = os.readlink(f"/proc/{pid}/fd/0")
    writes: list[int] = []
    real = os.write

    def counting(fd: int, data: bytes | bytearray | memoryview) -> int:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") == pipe:
                writes.append(len(data))
        return real(fd, data)

    monkeypatch.setattr(os, "write", counting)
    return writes


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="the pipe is found through /proc")
def test_calls_journaled_over_many_passes_of_the_loop_go_to_the_writer_process_together(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal has them: calls wait up to SEND_AFTER to share one write into the pipe (and one
    wake-up of the writer process), not one for each pass of the loop that ended one."""
    from modelplex_store.writer_process import SEND_AFTER

    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")

    async def main() -> None:
        await record_all(rec, 1, 1)
        assert rec.flush()
        assert rec.writer_pid is not None
        writes = pipe_writes(monkeypatch, rec.writer_pid)
        started = time.monotonic()
        for n in range(2, 42):
            assert rec.record(*call(n)) is None
            await asyncio.sleep(0)  # the next pass of the loop
        passes = time.monotonic() - started
        # One write per SEND_AFTER at most (and one that was due when they began), not one per pass.
        assert len(writes) <= passes // SEND_AFTER + 1 < 40, (writes, passes)
        await asyncio.sleep(SEND_AFTER * 3)
        assert writes, "the calls were never sent"
        assert rec.flush()

    try:
        asyncio.run(main())
        assert written(path) == (41, 41 * 42 // 2)
    finally:
        rec.close()


def test_a_call_on_the_home_loop_is_recorded_without_asking_asyncio_for_the_running_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """asyncio's lookup of the running loop makes a getpid() system call each time: on the home loop's
    thread the recorder knows its loop; a call on another loop's thread still asks, and is recorded
    through the home."""
    import threading

    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")
    asked: list[int] = []
    lookup = asyncio._get_running_loop

    def counted() -> asyncio.AbstractEventLoop | None:
        asked.append(threading.get_ident())
        return lookup()

    async def main() -> None:
        assert rec.record(*call(1)) is None  # the first call makes this loop the home
        monkeypatch.setattr(asyncio, "_get_running_loop", counted)
        for n in range(2, 12):
            assert rec.record(*call(n)) is None
        assert asked == []
        other = threading.Thread(target=lambda: asyncio.run(record_one(12)))
        other.start()
        await asyncio.to_thread(other.join)
        assert asked and threading.get_ident() not in asked  # the other loop's thread asked
        assert rec.flush()

    async def record_one(n: int) -> None:
        assert rec.record(*call(n)) is None

    try:
        asyncio.run(main())
        assert written(path) == (12, 12 * 13 // 2)
    finally:
        rec.close()


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH") or not Path("/proc/self/task").is_dir(),
                    reason="scheduling policies are Linux's, and the threads are found through /proc")
@pytest.mark.parametrize("durability", ["journal", "commit"])
def test_a_writer_process_no_call_waits_for_runs_as_background_work(tmp_path: Path, durability: str) -> None:
    """Journaling, every thread of the writer process (the database's writer, the checkpointer) runs
    under SCHED_BATCH, whose waking never preempts the recording process's event loop; with calls
    waiting for their commits it is on their path, and keeps the default policy."""
    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data", durability=durability)
    # A child inherits its parent's policy: the default unless this test runs under another (chrt).
    own = os.sched_getscheduler(0)

    async def main() -> None:
        await record_all(rec, 1, 5)
        assert rec.flush()

    try:
        asyncio.run(main())
        pid = rec.writer_pid
        assert pid is not None
        threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
        assert len(threads) >= 2  # the writer's thread started, after the policy was set
        policies = {os.sched_getscheduler(tid) for tid in threads}
        assert policies == {os.SCHED_BATCH if durability == "journal" else own}, policies
        assert os.sched_getscheduler(0) == own  # the recording process's own is untouched
        assert written(path) == (5, 15)
    finally:
        rec.close()


def test_the_writer_process_makes_the_next_segment_ahead_and_the_recording_process_takes_it(
        tmp_path: Path) -> None:
    """A segment's zeros are written by the writer process, on its own core, not on the recording
    process's event loop: it makes the next segment ahead, the recording process renames it once the
    current one is full, and a new one is made; closing deletes the last with the journal."""
    from modelplex_store.pipe import MARSHAL_VERSION
    from modelplex_store.rows import facts

    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")
    folder = journal.directory(tmp_path / "data", f"sqlite:///{path}")
    frame = len(marshal.dumps(facts(*call(10_000)), MARSHAL_VERSION)) + 8
    count = journal.SEGMENT_BYTES // frame + 50  # one segment's worth and more

    def waiting_spare() -> Path:
        (lock,) = folder.glob("*.lock")
        spare = journal.spare_path(folder, lock.name[:-len(".lock")])
        deadline = time.monotonic() + 20
        while not spare.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert spare.exists(), "the writer process made no spare"
        return spare

    async def main() -> None:
        await record_all(rec, 1, 1)
        spare = waiting_spare()
        made_ahead = spare.stat().st_ino
        await record_all(rec, 2, count)
        segments = journal.segments(folder, spare.name[:-len(".spare")])
        assert made_ahead in {p.stat().st_ino for p in segments}  # taken (the first may be gone)
        assert rec.flush()
        assert waiting_spare().stat().st_ino != made_ahead  # and the next one made

    try:
        asyncio.run(main())
        assert written(path) == (count + 1, (count + 1) * (count + 2) // 2)
    finally:
        rec.close()
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="the pipe is found through /proc")
def test_a_call_that_waits_for_its_commit_is_sent_in_the_pass_that_ended_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data", durability="commit")

    async def main() -> None:
        first = rec.record(*call(1))
        assert first is not None
        await first
        assert rec.writer_pid is not None
        writes = pipe_writes(monkeypatch, rec.writer_pid)
        for n in range(2, 7):
            done = rec.record(*call(n))
            assert done is not None and len(writes) == n - 2, writes
            await asyncio.sleep(0)  # one pass: sent in it, not SEND_AFTER later
            assert len(writes) == n - 1, writes
            await done
            assert written(path) == (n, n * (n + 1) // 2)

    try:
        asyncio.run(main())
    finally:
        rec.close()


@pytest.mark.parametrize("durability", ["journal", "commit"])
def test_a_writer_process_killed_mid_load_is_replaced_and_every_row_arrives_once(
        tmp_path: Path, durability: str) -> None:
    path = tmp_path / "store.db"
    total = 3000

    async def main() -> int:
        rec = recorder(f"sqlite:///{path}", tmp_path / "data", durability=durability)
        try:
            await record_all(rec, 1, 1)
            first = rec.writer_pid
            assert first is not None
            load = asyncio.ensure_future(record_all(rec, 2, 999))
            while rec.stats().recorded < 200:  # noqa: ASYNC110 (some groups committed: polled)
                await asyncio.sleep(0.001)
            # The database's write lock held: what the writer process holds now stays unwritten.
            lock = sqlite3.connect(path, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            more = asyncio.ensure_future(record_all(rec, 1001, total - 1000))
            await asyncio.sleep(0.3)  # handed over
            # Journaled calls have returned; the others wait for their commits.
            assert more.done() == (durability == "journal")
            os.kill(first, signal.SIGKILL)
            await asyncio.sleep(0.1)
            lock.execute("ROLLBACK")
            lock.close()
            await load
            await more
            assert rec.writer_pid not in (None, first)
            assert rec.flush()
            assert rec.stats().pending == 0
            return first
        finally:
            rec.close()

    first = asyncio.run(main())
    assert gone(first)
    assert written(path) == (total, total * (total + 1) // 2)


def test_a_flush_from_within_the_loop_replaces_a_writer_process_that_died(tmp_path: Path) -> None:
    """``flush()`` called by a coroutine reads the pipe itself (the loop cannot): finding the writer
    process gone, it starts another and hands it the calls not acknowledged, rather than waiting out
    its timeout for answers that will never come."""
    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")

    async def main() -> tuple[bool, float, int | None, int | None]:
        await record_all(rec, 1, 1)
        assert rec.flush()
        first = rec.writer_pid
        assert first is not None
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the 50 calls below stay unacknowledged
        await record_all(rec, 2, 50)
        await asyncio.sleep(0.3)  # handed over
        os.kill(first, signal.SIGKILL)
        assert gone(first)
        lock.execute("ROLLBACK")
        lock.close()
        started = time.monotonic()
        flushed = rec.flush(20.0)
        return flushed, time.monotonic() - started, first, rec.writer_pid

    try:
        flushed, took, first, now = asyncio.run(main())
    finally:
        rec.close()
    assert flushed and took < 10.0, took
    assert now not in (None, first)
    assert written(path) == (51, 51 * 52 // 2)


@pytest.mark.parametrize("executable", ["missing", "/bin/false"], ids=["cannot-start", "keeps-dying"])
def test_a_writer_process_that_cannot_run_gives_way_to_a_thread_and_nothing_is_lost(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executable: str) -> None:
    # The interpreter the writer process is started with: absent, or a program that ends at once.
    program = str(tmp_path / executable) if executable == "missing" else executable
    monkeypatch.setattr(sys, "executable", program)
    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")
    try:
        # Journaled calls return before the writer process is found dead: the flush that follows
        # finds it so, then gives the calls to a thread.
        def record_and_flush() -> bool:
            asyncio.run(record_all(rec, 1, 300))
            return rec.flush()

        with pytest.warns(RuntimeWarning, match="writing through a thread of this process"):
            flushed = record_and_flush()
        assert flushed
        assert rec.writer_pid is None
        stats = rec.stats()
        assert (stats.recorded, stats.lost, stats.pending) == (300, 0, 0)
    finally:
        rec.close()
    assert written(path) == (300, 300 * 301 // 2)


def test_the_restarts_a_writer_process_gets_are_bounded() -> None:
    assert MAX_STARTS >= 2  # one death is met by a new process, not by giving up


PARENT = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, sys.argv[2])
    from exchange import call, recorder
    from pathlib import Path

    async def main():
        rec = recorder(f"sqlite:///{sys.argv[1]}", Path(sys.argv[1]).parent / "data", durability=sys.argv[3])
        done = rec.record(*call(1))
        if done is not None:
            await done
        assert rec.flush()  # on the loop's own thread: it reads the writer process's answers itself
        print("ready", rec.writer_pid, flush=True)
        sys.stdin.readline()
        waiters = [rec.record(*call(n)) for n in range(2, 502)]
        await asyncio.sleep(0.5)  # handed over; the store is locked, so none is written yet
        waiting = sum(1 for w in waiters if w is not None)
        print("sent", len(waiters), waiting, flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
""")


@contextlib.contextmanager
def loaded_parent(path: Path,
                  durability: str) -> Iterator[tuple[subprocess.Popen[str], int, sqlite3.Connection]]:
    """:data:`PARENT` started on the SQLite store at ``path``, its first call written, then the database's
    write lock taken (the writer process waits for it: its busy timeout is 30 s) and 500 calls handed
    over: the parent, its writer process's id, and the connection holding the lock (the caller ends
    it). The parent is killed on the way out."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(path), str(HERE), durability],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert parent.stdin is not None and parent.stdout is not None
    try:
        ready = parent.stdout.readline().split()
        assert ready[0] == "ready", ready
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        parent.stdin.write("go\n")
        parent.stdin.flush()
        # Journaled calls returned at once; the others wait for their commits.
        assert parent.stdout.readline().split() == ["sent", "500", "0" if durability == "journal" else "500"]
        yield parent, int(ready[1]), lock
    finally:
        parent.kill()
        parent.wait()


@pytest.mark.parametrize("durability", ["journal", "commit"])
def test_a_recording_process_killed_with_sigkill_loses_nothing_it_handed_over(
        tmp_path: Path, durability: str) -> None:
    path = tmp_path / "store.db"
    with loaded_parent(path, durability) as (parent, writer, lock):
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        time.sleep(0.3)
        assert written(path) == (1, 1)  # nothing written while the lock is held
        lock.execute("ROLLBACK")
        lock.close()
        assert gone(writer), "the writer process did not end after its parent"
    assert written(path) == (501, 501 * 502 // 2)


def killed_together(path: Path, data: Path) -> Path:
    """A recording process and its writer process killed with SIGKILL at once while the database was
    locked: only the first call committed, the rest in a journal nobody holds. Returns its folder."""
    with loaded_parent(path, "journal") as (parent, writer, lock):
        # The parent first: alive, it would answer its writer process's end by starting another, which
        # inherits the journal's lock and holds it a while after the parent is gone.
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        with contextlib.suppress(ProcessLookupError):  # ended already on its own
            os.kill(writer, signal.SIGKILL)
        assert gone(writer)
        lock.execute("ROLLBACK")
        lock.close()
    assert written(path) == (1, 1)
    return journal.directory(data, f"sqlite:///{path}")


def test_a_journal_whose_process_and_writer_process_were_killed_is_delivered_by_the_next_writer(
        tmp_path: Path) -> None:
    """Both processes killed with SIGKILL at once (a container's OOM kill, ``kill -9`` of the process
    group), the database locked meanwhile: nothing was committed, and nobody is left to deliver. The
    next writer of the store, in another process, finds the journal nobody holds and delivers it: every
    call once (the first, committed before, is not counted twice), and the journal is deleted."""
    path = tmp_path / "store.db"
    folder = killed_together(path, tmp_path / "data")
    assert len(list(folder.glob("*.journal"))) == 1  # left behind, nobody holding its lock
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")
    try:
        asyncio.run(record_all(rec, 502, 1))
        deadline = time.monotonic() + 20
        while written(path)[0] < 502 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rec.flush()
    finally:
        rec.close()
    assert written(path) == (502, 502 * 503 // 2)
    assert list(folder.iterdir()) == []


def test_a_command_reading_the_store_first_delivers_a_journal_left_behind(tmp_path: Path) -> None:
    """Both processes killed at once, and no recording process started since: ``modelplex usage`` (any
    command that reads the store) delivers the journal nobody holds before it reads, so it counts the
    calls that returned before the kill, once each, and the journal is gone."""
    from click.testing import CliRunner

    from modelplex._cli import cli

    path = tmp_path / "store.db"
    folder = killed_together(path, tmp_path / "data")
    assert journal.left_behind(folder) == 1
    env = {"MODELPLEX_STORE_URL": f"sqlite:///{path}", "MODELPLEX_DATA_DIR": str(tmp_path / "data"),
           "MODELPLEX_CONFIG": os.devnull}
    result = CliRunner().invoke(cli, ["usage", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"]["calls"] == 501
    assert written(path) == (501, 501 * 502 // 2)
    assert list(folder.iterdir()) == []
    again = CliRunner().invoke(cli, ["usage", "--json"], env=env, catch_exceptions=False)
    assert json.loads(again.output)["total"]["calls"] == 501  # nothing left to deliver twice


DISK_FULL = textwrap.dedent("""
    import asyncio, resource, signal, sys
    sys.path.insert(0, sys.argv[2])
    from exchange import call, journaled, recorder
    from pathlib import Path

    from modelplex_store import journal
    journal.SEGMENT_BYTES = 4096  # a few dozen calls a segment

    async def main():
        rec = recorder(f"sqlite:///{sys.argv[1]}", Path(sys.argv[1]).parent / "data")
        await asyncio.gather(*(w for w in [rec.record(*call(1))] if w is not None))
        assert rec.flush()
        # From now on, no file of this process grows past 2 KiB (its writer process, started
        # already, is not limited): the journal's first segment, made whole at the start, fills up
        # after a few dozen calls, and the next cannot be made.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, resource.RLIM_INFINITY))
        waiters = [rec.record(*call(n)) for n in range(2, 101)]
        # The journal's frames, read back whole before the loop hears of a commit (and deletes them).
        held = len(journaled(rec))
        waiting = [w for w in waiters if w is not None]
        await asyncio.gather(*waiting)
        print(len(waiters) - len(waiting), len(waiting), held, rec.flush(), rec.stats().lost, flush=True)
        rec.close()
        # Lifted again before the process ends: what it writes on the way out (coverage's data) fits.
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    asyncio.run(main())
""")


def test_a_journal_that_cannot_be_written_makes_calls_wait_for_their_commits(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    done = subprocess.run([sys.executable, "-c", DISK_FULL, str(path), str(HERE)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    journaled_calls, waited, held, flushed, lost = done.stdout.split()
    assert int(journaled_calls) > 0 and int(waited) > 0, done.stdout  # some fit, the rest waited
    # The journal holds exactly the calls journaled (and the first), every frame whole, and nothing of
    # the segment that could not be made.
    assert int(held) == int(journaled_calls) + 1
    assert (flushed, lost) == ("True", "0")
    assert written(path) == (100, 100 * 101 // 2)
    folder = journal.directory(tmp_path / "data", f"sqlite:///{path}")
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX")
def test_a_forked_child_records_through_its_own_writer_and_leaves_its_parents_alone(tmp_path: Path) -> None:
    """A child forked after its parent recorded (a pre-forking server) holds no end of the parent's
    pipes: the parent's writer process ends when the parent closes it, the child still running; the
    child's calls go through a writer process of its own; the child's exit does not close the parent's."""
    path = tmp_path / "store.db"
    rec = recorder(f"sqlite:///{path}", tmp_path / "data")
    try:
        asyncio.run(record_all(rec, 1, 10))
        parents = rec.writer_pid
        assert parents is not None
        release_r, release_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: record, wait to be released, leave without cleaning up
            code = 1
            try:
                os.close(release_w)
                asyncio.run(record_all(rec, 11, 10))
                assert rec.writer_pid not in (None, parents)
                os.read(release_r, 1)
                rec.close()
                code = 0
            finally:
                os._exit(code)
        os.close(release_r)
        asyncio.run(record_all(rec, 21, 10))  # the parent goes on recording through its own
        assert rec.writer_pid == parents
    finally:
        rec.close()
    try:
        assert gone(parents), "the parent's writer process waits on a pipe end its forked child kept"
    finally:
        os.write(release_w, b"x")
        os.close(release_w)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert written(path) == (30, 30 * 31 // 2)
