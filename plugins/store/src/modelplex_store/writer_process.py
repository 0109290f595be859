"""Recording through a writer process: the calls' side of :mod:`modelplex_store.writer_main`.

The store's writer thread (:class:`~modelplex_store.writer.Writer`) shares its process's GIL and core
with the event loop: the statements, the rollups and the commits took some 70 µs of the loop's CPU a
call, and each hand-over between the loop and a thread waits for the GIL, up to the interpreter's switch
interval (5 ms) while the loop is busy: a call at 100 in flight waited 6-8 ms for its row. Here the
process keeps only what it must, on the event loop itself: it reads what each call's rows need as the
call ends (:func:`~modelplex_store.rows.facts`), sends what the calls of :data:`SEND_AFTER` read down a
pipe together without blocking, and reads the writer process's acknowledgements as the loop polls its
sockets (``add_reader``): no thread of this process takes part. The writer process builds the rows,
writes them as the writer thread would and acknowledges each group once committed (or spooled). A call
returns once its row is durable: in this process's journal (:mod:`modelplex_store.journal`, written in
the call's own step, before the hook returns: the call waits for nothing), or, with ``durability =
"commit"``, once acknowledged. A process killed with SIGKILL loses nothing it recorded: the writer
process writes all it read and what the journal still holds, then ends.

The pipe is served by one event loop, its *home*: the first one that records, and the next one once it
has stopped or closed. Calls on other asyncio loops are recorded through it (their waiters are woken
thread-safely); calls outside asyncio (trio) are written by a writer thread of this process.

A writer process that dies is started again and given every call not yet acknowledged (the store
ignores a call it already has: rows are written once, by id). One that keeps dying
(:data:`MAX_STARTS` starts in :data:`START_WINDOW` seconds), or cannot be started, is replaced by a
writer thread, with the calls still waiting: recording never stops a call.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import marshal
import os
import select
import subprocess
import sys
import threading
import time
import warnings
import weakref
from threading import get_ident
from typing import Any

from modelplex._logging import log
from modelplex._secret import scrub, scrub_url
from modelplex_store import journal as journals
from modelplex_store.config import StoreConfig
from modelplex_store.pipe import MARSHAL_VERSION, decode, encode, write_all
from modelplex_store.rows import facts
from modelplex_store.wake import Waiter, late, wake_all
from modelplex_store.writer import StoreStats, Writer

#: Starts of the writer process within :data:`START_WINDOW` seconds past which rows are written by a
#: thread of this process instead.
MAX_STARTS, START_WINDOW = 3, 60.0
#: Calls journaled and not yet acknowledged past which a call waits for its commit again: the bound on
#: what a writer process that falls behind leaves in this process's memory.
MAX_UNACKED = 20_000
#: How long the calls a loop journals wait to be sent to the writer process together, seconds: the
#: journal holds them already, and one pipe write (and one wake-up of the writer process) for the calls
#: of many passes of the loop costs it less than one for each pass (writer_main.LINGER gathers more). A
#: call that waits for its commit is sent at once, with those before it.
SEND_AFTER = 0.02
#: The counters a writer process acknowledges with (see writer_main.py), and what a new one starts from.
_ZERO: tuple[Any, ...] = (0, 0, 0, 0, None, 0, None)


_instances: weakref.WeakSet[ProcessWriter] = weakref.WeakSet()


def _forked() -> None:
    """In a forked child: the parent's pipes are the parent's. Closed here, so that its writer process
    still sees its input end when the parent closes it (the child makes its own writer, by pid)."""
    for writer in list(_instances):
        for fd in (writer._to_child, writer._from_child):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        writer._to_child = writer._from_child = -1
        if writer._journal is not None:
            writer._journal.forget()
            writer._journal = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


def _alive(loop: asyncio.AbstractEventLoop | None) -> bool:
    return loop is not None and not loop.is_closed() and loop.is_running()


class ProcessWriter:
    """A store's writer as seen by a recording process (see the module's docstring): the same
    ``submit``, ``stats``, ``flush`` and ``close`` as :class:`~modelplex_store.writer.Writer`."""

    def __init__(self, config: StoreConfig) -> None:
        self.config = config
        self._lock = threading.Lock()  # the queues and the counters
        self._adopting = threading.Lock()  # one loop at a time becomes the home
        # Calls are numbered in the order they are queued (seq, from 1). Every call not yet acknowledged,
        # in order, as its journal payload: the first numbered _acked + 1; those not yet sent, the first
        # numbered _seq - len(_outbox) + 1; and the calls that wait, (seq, waiter), in order. Payloads
        # alone, not a record per call: a list per call was kept alive until its acknowledgement, and
        # the garbage collector walked every one of them.
        self._pending: collections.deque[bytes] = collections.deque()
        self._outbox: list[bytes] = []
        self._waiters: collections.deque[tuple[int, Waiter]] = collections.deque()
        self._seq = self._acked = 0
        # flush() waits: what is sent now is written at once (writer_main.LINGER), as when closing.
        self._flushing = False
        self._flush_due = False  # a flush is scheduled on the home loop
        self._flush_soon = False  # ... at once, not SEND_AFTER later
        self._stopping = False
        self._child: tuple[Any, ...] = _ZERO  # the running writer process's counters
        self._base = [0, 0, 0, 0]  # recorded, spooled, lost, groups of writer processes that ended
        self._lost_here = 0
        self._starts: collections.deque[float] = collections.deque()
        self._thread_writer: Writer | None = None  # calls outside asyncio; all, once the process failed
        self._failed = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._to_child = self._from_child = -1
        self._out = bytearray()  # bytes for the writer process not yet taken by the pipe
        self._in = bytearray()  # acknowledgements read, not yet whole
        self._home: asyncio.AbstractEventLoop | None = None
        self._home_thread = 0
        self._writing = False  # add_writer armed on the home loop
        self._pid = os.getpid()
        self._journal: journals.Journal | None = None
        if config.durability == "journal" and journals.available():
            try:
                self._journal = journals.Journal(journals.directory(config.data_dir, config.url))
            except OSError as exc:  # calls wait for their commits instead
                log("warning", "store_journal_unavailable", error=scrub(f"{type(exc).__name__}: {exc}"))
        _instances.add(self)
        atexit.register(self.close)
        # Started now, not on the first call: a spool an earlier process left is delivered at once.
        if self._start():
            self._send_blocking()

    @property
    def pid(self) -> int | None:
        """The writer process's id (``None`` before the first call, or once rows go through a thread)."""
        proc = self._proc
        return None if proc is None or self._failed else proc.pid

    # -- the calls' side ---------------------------------------------------------------------------
    def record(self, call: Any, outcome: Any) -> Waiter | None:
        """Queue one call's rows: ``None`` once they are in the journal (the call need not wait), else a
        :class:`Waiter` woken once they are committed or spooled."""
        home = self._home
        # On the home loop's thread while it runs, it is the running loop: asyncio's lookup makes a
        # getpid() system call each time (its check for a forked child; a child records through a
        # ProcessWriter of its own, recorder._writer): 2.55 -> 2.35 µs a record in place. A loop that
        # keeps no ``_thread_id`` (uvloop) is looked up.
        if home is not None and getattr(home, "_thread_id", None) == get_ident():
            loop: asyncio.AbstractEventLoop | None = home
        else:
            loop = asyncio._get_running_loop()
        if loop is None or self._failed or self._stopping:
            return self._threads().record(call, outcome)
        if home is not loop and not _alive(home):
            home = self._adopt(loop)
            if home is None:  # the writer process failed to start: a thread has the calls now
                return self._threads().record(call, outcome)
        waiter: Waiter | None = None
        content = self.config.content
        try:
            with self._lock:
                # Numbered once journaled or marshalled: a call whose facts cannot be read takes no number.
                seq = self._seq + 1
                pending = self._pending
                journal = self._journal
                payload = (journal.add_call(seq, call, outcome, content)
                           if journal is not None and len(pending) < MAX_UNACKED else None)
                if payload is None:
                    payload = marshal.dumps(facts(call, outcome, content=content), MARSHAL_VERSION)
                    waiter = Waiter()
                    self._waiters.append((seq, waiter))
                self._seq = seq
                pending.append(payload)
                self._outbox.append(payload)
                soon = waiter is not None
                if self._flush_due and (self._flush_soon or not soon):
                    return waiter
                self._flush_due = True
                self._flush_soon = soon
        except Exception as exc:  # a call the row builder cannot read: lost, and said so
            self._lose(f"row of a {getattr(call, 'kind', '?')} call failed: {type(exc).__name__}: {exc}")
            return None
        if home is loop:
            if soon:
                loop.call_soon(self._flush)
            else:
                loop.call_later(SEND_AFTER, self._flush)
        elif home is not None:
            # Closed this instant (RuntimeError): the next home sends it (see _adopt).
            with contextlib.suppress(RuntimeError):
                home.call_soon_threadsafe(self._flush)
        return waiter

    def stats(self) -> StoreStats:
        """The counters, now: this process's and its writer processes' (and thread's) together."""
        self._pump()
        return self._counters()

    def _counters(self) -> StoreStats:
        with self._lock:
            recorded, spooled, lost, groups, last_error, waiting, _ = self._child
            base = self._base
            pending = len(self._pending) + waiting
            lost += self._lost_here
        thread = self._thread_writer.stats() if self._thread_writer is not None else StoreStats()
        return StoreStats(recorded=base[0] + recorded + thread.recorded,
                          spooled=base[1] + spooled + thread.spooled, lost=base[2] + lost + thread.lost,
                          pending=pending + thread.pending, groups=base[3] + groups + thread.groups,
                          late=late(), last_error=thread.last_error or last_error)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (to the store or the spool). From within the
        home loop (a coroutine reading what it recorded), the pipe is read here: the loop cannot."""
        deadline = time.monotonic() + timeout
        self._flushing = True
        home = self._home
        if home is not None and threading.get_ident() != self._home_thread and _alive(home):
            # The calls the home loop holds for SEND_AFTER are sent now (closed this instant: _pump).
            with contextlib.suppress(RuntimeError):
                home.call_soon_threadsafe(self._flush)
        try:
            while time.monotonic() < deadline:
                if threading.get_ident() == self._home_thread and _alive(self._home):
                    self._pump_here(deadline)
                else:
                    self._pump()
                with self._lock:
                    idle = not self._pending and not self._outbox
                if idle:
                    thread = self._thread_writer
                    return thread is None or thread.flush(max(0.0, deadline - time.monotonic()))
                time.sleep(0.002)
            return False
        finally:
            self._flushing = False

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued, let the writer process write it and end; close the writer thread."""
        if os.getpid() != self._pid:  # a forked child's copy (its atexit too): the parent's to close
            return
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        home = self._home
        if home is not None and not home.is_closed():
            if _alive(home) and threading.get_ident() != self._home_thread:
                detached = threading.Event()

                def detach() -> None:
                    self._detach(home)
                    detached.set()

                with contextlib.suppress(RuntimeError):
                    home.call_soon_threadsafe(detach)
                    detached.wait(timeout)
            else:  # on the home loop's own thread, or it is not running: nothing else touches it
                self._detach(home)
        self._finish(time.monotonic() + timeout)
        if self._thread_writer is not None:
            self._thread_writer.close(timeout)
        self._close_journal()
        atexit.unregister(self.close)

    def _close_journal(self) -> None:
        """Close the journal, deleting it when every call in it is acknowledged (or a thread wrote it)."""
        with self._lock:
            journal, self._journal = self._journal, None
            delivered = not self._pending
        if journal is not None:
            if self._failed and self._thread_writer is not None:  # the thread has the calls: written?
                delivered = self._thread_writer.flush(0.5)
            journal.close(delivered)

    def _pump(self) -> None:
        """With no home loop running (the loop that recorded has ended: ``asyncio.run`` returned), read
        what the writer process said, here, and send what waits: ``stats`` and ``flush`` stay current.
        A writer process that ended meanwhile is replaced."""
        if _alive(self._home) or self._stopping or self._failed or self._proc is None:
            return
        if not self._adopting.acquire(blocking=False):
            return  # a loop is becoming the home: it reads
        try:
            if _alive(self._home) or self._to_child < 0:
                return
            if self._home is not None and not self._home.is_closed():
                self._detach(self._home)
            self._take_outbox()
            if self._out:
                self._send_blocking()
            while True:
                read = self._read_acks()
                if read is None:
                    return
                if not read:
                    self._reap()
                    with self._lock:
                        left = bool(self._pending)
                    if left and self._start():
                        self._send_blocking()
                    return
        finally:
            self._adopting.release()

    def _pump_here(self, deadline: float) -> None:
        """On the home loop's thread, inside one of its callbacks: send what waits, read what the writer
        process says for a moment (``flush`` loops)."""
        if self._to_child < 0 or self._failed:
            return
        self._take_outbox()
        if self._out:
            self._send_blocking()
        wait = max(0.0, min(0.05, deadline - time.monotonic()))
        if select.select([self._from_child], [], [], wait)[0] and self._read_acks() is False:
            self._ended()  # as the loop's reader would: started again, sent what waits

    def _take_outbox(self) -> None:
        """The calls queued and not sent, into ``_out``."""
        with self._lock:
            batch, self._outbox = self._outbox, []
            first = self._seq - len(batch) + 1
            self._flush_due = self._flush_soon = False
            hurry = bool(self._waiters) or self._flushing or self._stopping
        if batch:
            self._out += encode((first, batch, hurry))

    def _send_blocking(self) -> None:
        """Write all of ``_out`` to the writer process, waiting for room in the pipe."""
        os.set_blocking(self._to_child, True)
        try:
            write_all(self._to_child, self._out)
        except OSError:
            pass  # it ended: read next, and replaced
        finally:
            self._out.clear()
            os.set_blocking(self._to_child, False)

    def _read_acks(self) -> bool | None:
        """Read what the writer process said and act on each whole acknowledgement: ``True`` when
        something was read, ``False`` at its end, ``None`` when nothing waits now."""
        try:
            data = os.read(self._from_child, 1 << 16)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            return False
        self._in += data
        for ack in decode(self._in):
            self._acknowledged(ack)
        return True

    # -- the home loop -----------------------------------------------------------------------------
    def _adopt(self, loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop | None:
        """Make ``loop`` (running on this thread) the home: start the writer process on first use, read
        its acknowledgements and send what waits. ``None`` if the writer process failed for good."""
        with self._adopting:
            old = self._home
            if old is loop or _alive(old):
                return old
            if old is not None and not old.is_closed():  # stopped, not closed: it must not read too
                self._detach(old)
            self._home, self._home_thread = loop, threading.get_ident()
            if self._proc is None and not self._start():
                return None
            self._attach()
            with self._lock:
                resend = bool(self._outbox)
                self._flush_due = self._flush_due or resend
                self._flush_soon = self._flush_soon or resend
            if resend:  # a flush the old home was asked for and never ran
                loop.call_soon(self._flush)
            return loop

    def _attach(self) -> None:
        assert self._home is not None
        self._home.add_reader(self._from_child, self._readable)
        self._writing = False
        self._write()

    def _detach(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._from_child >= 0:
            loop.remove_reader(self._from_child)
        if self._to_child >= 0 and self._writing:
            loop.remove_writer(self._to_child)
        self._writing = False

    def _flush(self) -> None:
        """On the home loop: send the calls queued since the last flush."""
        with self._lock:
            if self._stopping or self._failed:  # closing: close() sends; failed: the thread has them
                return
            batch, self._outbox = self._outbox, []
            first = self._seq - len(batch) + 1
            self._flush_due = self._flush_soon = False
            hurry = bool(self._waiters) or self._flushing
        if not batch:
            return
        self._out += encode((first, batch, hurry))
        self._write()

    def _write(self) -> None:
        """On the home loop: give the pipe what it takes now; the rest when it has room."""
        out = self._out
        while out:
            try:
                written = os.write(self._to_child, out)
            except BlockingIOError:
                break
            except OSError:  # the writer process is gone: its end is read soon, and it is replaced
                out.clear()
                break
            del out[:written]
        want = bool(out)
        if want != self._writing and self._home is not None:
            if want:
                self._home.add_writer(self._to_child, self._write)
            else:
                self._home.remove_writer(self._to_child)
            self._writing = want

    def _readable(self) -> None:
        """On the home loop: read acknowledgements; the writer process's end starts another."""
        if self._read_acks() is False:
            self._ended()

    def _acknowledged(self, ack: tuple[Any, ...]) -> None:
        upto, *counters = ack
        woken = []
        with self._lock:
            before = self._child
            self._child = tuple(counters)
            done = upto - self._acked
            if done > 0:  # not an older one (a writer process started again acknowledges from the start)
                pending = self._pending
                if done >= len(pending):
                    pending.clear()
                else:
                    for _ in range(done):
                        pending.popleft()
                self._acked = upto
            waiters = self._waiters
            while waiters and waiters[0][0] <= upto:
                woken.append(waiters.popleft()[1])
            if self._journal is not None:
                self._journal.release(upto)
        if counters[2] > before[2]:  # the writer process lost rows: said here, where someone listens
            self._report_loss(counters[2] - before[2], counters[6] or "rows lost")
        elif counters[4] is not None and before[4] is None:
            log("warning", "store_unavailable", store=scrub_url(self.config.url), error=counters[4])
        if not woken:
            return
        if threading.get_ident() == self._home_thread and self._home is not None:
            home = self._home
            others = [w for w in woken if w.key is not home]
            for waiter in woken:
                if waiter.key is home:
                    waiter._set()
            if others:
                wake_all(others)
        else:
            wake_all(woken)

    def _ended(self) -> None:
        """On the home loop: the writer process closed its end (it ended). Start another for the calls
        not acknowledged, unless closing with none."""
        assert self._home is not None
        self._detach(self._home)
        self._reap()
        with self._lock:
            left = len(self._pending)
        if self._stopping and not left:
            return
        log("warning", "store_writer_process_ended", waiting=left)
        if self._start():
            self._attach()

    # -- the writer process ------------------------------------------------------------------------
    def _start(self) -> bool:
        """Start a writer process, with its settings and every call read and not yet acknowledged
        waiting for it in ``_out``. Past :data:`MAX_STARTS`, or when none starts, hand the calls to a
        thread and return false."""
        now = time.monotonic()
        while self._starts and now - self._starts[0] > START_WINDOW:
            self._starts.popleft()
        if len(self._starts) >= MAX_STARTS:
            self._to_thread(f"the writer process ended {MAX_STARTS} times in {START_WINDOW:.0f} s")
            return False
        self._starts.append(now)
        journal = self._journal
        settings = {"url": self.config.url, "data_dir": str(self.config.data_dir),
                    "content": self.config.content, "spool_max_rows": self.config.spool_max_rows,
                    "owner": journal.owner if journal is not None else None}
        try:
            # The child imports what this process imports (a checkout put on sys.path, not installed).
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
            # It inherits the journal's lock: held while either process lives (journal.py).
            keep = (journal.lock_fd,) if journal is not None and journal.lock_fd >= 0 else ()
            proc = subprocess.Popen([sys.executable, "-m", "modelplex_store.writer_main"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, pass_fds=keep)
        except OSError as exc:
            self._to_thread(f"the writer process did not start: {type(exc).__name__}: {exc}")
            return False
        assert proc.stdin is not None and proc.stdout is not None
        self._proc = proc
        self._to_child, self._from_child = proc.stdin.fileno(), proc.stdout.fileno()
        os.set_blocking(self._to_child, False)
        os.set_blocking(self._from_child, False)
        with self._lock:
            resend = list(self._pending)
            first = self._acked + 1
            self._outbox = []  # in resend (and a flush due finds nothing: none is due)
            self._flush_due = self._flush_soon = False
        # The settings (the URL, a password in it too) go over the pipe: never in argv or the
        # environment, which other users of the machine can read.
        self._out = bytearray(encode(settings) + (encode((first, resend, True)) if resend else b""))
        self._in = bytearray()
        return True

    def _reap(self) -> None:
        """Close the pipes of the writer process that ended and count what it did."""
        proc = self._proc
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(1.0)  # it closed its end on the way out
        self._to_child = self._from_child = -1
        with self._lock:
            self._base = [b + c for b, c in zip(self._base, self._child[:4], strict=True)]
            self._child = _ZERO

    def _finish(self, deadline: float) -> None:
        """Closing, with no loop touching the pipes: send what is left, close the writer process's
        input, read its acknowledgements until it ends (a new one for what a dead one left)."""
        while self._proc is not None and self._to_child >= 0 and not self._failed:
            self._take_outbox()
            self._send_blocking()
            # Every acknowledgement first, the pipe still open: the journal is then deleted here, and
            # the writer process, at its input's end, finds none of it left to deliver again.
            while True:
                with self._lock:
                    left_over = bool(self._pending)
                left = deadline - time.monotonic()
                if not left_over or left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                    break
                if self._read_acks() is False:
                    break
            self._close_journal()
            assert self._proc.stdin is not None
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
            self._to_child = -1
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                    log("error", "store_writer_process_slow", waiting=len(self._pending))
                    return  # it goes on writing on its own; these calls' waiters expire
                if self._read_acks() is False:
                    break
            self._reap()
            with self._lock:
                left_over = bool(self._pending)
            if not left_over or not self._start():
                return

    def _threads(self) -> Writer:
        """The writer thread (made on first use)."""
        thread = self._thread_writer
        if thread is None:
            with self._lock:
                if self._thread_writer is None:
                    self._thread_writer = Writer(self.config)
                thread = self._thread_writer
        return thread

    def _to_thread(self, why: str) -> None:
        """From now on, write through a thread of this process, starting with the calls waiting."""
        log("error", "store_writer_process_failed", reason=scrub(why))
        warnings.warn(f"modelplex-store: {scrub(why)}; writing through a thread of this process",
                      RuntimeWarning, stacklevel=1)
        self._failed = True
        with self._lock:
            first, waiting, waiters = self._acked + 1, list(self._pending), dict(self._waiters)
            self._pending.clear()
            self._waiters.clear()
            self._acked = self._seq
            self._outbox = []
            self._flush_due = self._flush_soon = False
        self._threads().submit_records([(journals.loads(payload), waiters.get(seq))
                                        for seq, payload in enumerate(waiting, first)])

    def _lose(self, why: str) -> None:
        with self._lock:
            self._lost_here += 1
        self._report_loss(1, scrub_url(scrub(f"modelplex-store: 1 call row lost: {why}")))

    def _report_loss(self, count: int, message: str) -> None:
        log("error", "store_rows_lost", count=count, lost=self._counters().lost, reason=message)
        warnings.warn(message, RuntimeWarning, stacklevel=1)

