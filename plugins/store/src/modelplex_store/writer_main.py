"""The writer process: ``python -m modelplex_store.writer_main``, one per store and recording process,
started by :class:`~modelplex_store.writer_process.ProcessWriter`.

It runs the store's :class:`~modelplex_store.writer.Writer` (group commits, the spool, the retries) on
the calls its parent read (their :func:`~modelplex_store.rows.facts`), building their rows, so that the
rows and the database's work (the statements, the rollups, the commits) run on another core than the
parent's event loop and never take its GIL. Frames (:mod:`modelplex_store.pipe`):

- in, on standard input: first the settings (a dict: ``url``, ``data_dir``, ``content``,
  ``spool_max_rows``, and ``owner``, the parent's journal, or ``None``), then ``(seq, payloads,
  hurry)``: calls numbered from ``seq`` on, each a call's facts as its journal holds them
  (:mod:`modelplex_store.journal`), ``hurry`` true when one of its parent's calls waits for its commit
  (else, its parent journaling, a group waits up to :data:`LINGER` for more);
- in its parent's journal folder, ahead of need: the next segment
  (:func:`~modelplex_store.journal.make_spare`);
- out, on the standard output it was given: after every group, ``(seq, recorded, spooled, lost, groups,
  last_error, spool_waiting, last_loss)``, ``seq`` the highest of the group (``0`` for none): every call
  sent up to it is committed or spooled, as the writer takes calls in the order they came.

It ends when its standard input closes (its parent closed it, or died), once all it read is written
and what its parent's journal still holds (a parent killed with SIGKILL wrote rows there it had not
sent yet) is delivered again and the journal deleted: the store keeps each call once, by id. It also
delivers, first, the journals nobody holds any more (:meth:`Writer.adopt_orphans`). SIGINT and SIGTERM
are ignored, as a terminal's Ctrl-C or a service manager reaches the whole process group: the parent's
end is its signal.
Its own warnings and logs are silent; the parent reports what the acknowledgements carry.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

from modelplex_store import journal as journals
from modelplex_store.config import StoreConfig
from modelplex_store.pipe import encode, read_frame, write_frame
from modelplex_store.writer import Item, Writer, journal_items

#: How long the writer process waits, once its input closed, for what it read to be written.
CLOSE_TIMEOUT = 300.0
#: Seconds a group waits for more calls when its parent journals and none of its calls waits: a group's
#: commit and rollup upserts are shared by its calls (the writer alone, a thread, SQLite: 33 µs a row in
#: groups of 30, 20 in groups of 100, 15 in groups of 2,000). 50 ms rather than 20: the writer process's
#: CPU a call at 100 in flight against the bench server, 30-33 µs → 22-24 (commits written less often).
LINGER = 0.05
#: Seconds before making the parent's next segment again, once one could not be made.
SPARE_RETRY = 1.0


def background() -> None:
    """Run as background work (Linux's ``SCHED_BATCH``, inherited by the threads started after): its
    parent journals, and no call waits for this process. The policy keeps the process's weight, its
    share of a busy core, but its waking never preempts the task running there: the parent wakes it
    with every frame it sends, and the scheduler puts a woken task beside its waker, so that under the
    default policy it took the parent's core from its event loop there and then, in the middle of the
    loop's pass. On a machine kept busy (two other processes spinning on its two cores) at 100 calls
    in flight, the write of a frame took 74-361 µs (median of a run) against 60-69.
    A parent whose calls wait for their commits keeps it at the default: it is on their path."""
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is not None:
        with contextlib.suppress(OSError):  # refused (a sandbox): it runs as before
            os.sched_setscheduler(0, policy, os.sched_param(0))


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    warnings.simplefilter("ignore")  # the parent reports losses (see the docstring)
    acks = os.dup(1)
    os.dup2(2, 1)  # a stray print goes to standard error, never into the acknowledgements
    try:
        settings = read_frame(0)
    except (EOFError, ValueError):
        return 2
    if settings.get("owner") is not None:
        background()
    config = StoreConfig(url=settings["url"], data_dir=Path(settings["data_dir"]), enabled=True,
                         content=settings["content"], spool_max_rows=settings["spool_max_rows"])
    sending = threading.Lock()
    writer: Writer

    def done(group: list[Item]) -> None:
        seqs = [token for _, _, token in group if type(token) is int]
        ack = (max(seqs, default=0), writer.recorded, writer.spooled, writer.lost, writer.groups,
               writer.last_error, writer.spool_waiting(), writer.last_loss)
        try:
            with sending:
                if seqs:
                    write_frame(acks, ack)
                else:  # counters only (a spool delivered): dropped rather than wait for room in the pipe
                    os.set_blocking(acks, False)
                    try:
                        os.write(acks, encode(ack))  # whole or nothing: a frame is under PIPE_BUF
                    except BlockingIOError:
                        pass
                    finally:
                        os.set_blocking(acks, True)
        except OSError:  # the parent is gone: the rows still go in, nobody is told
            pass

    owner = settings.get("owner")
    folder = journals.directory(config.data_dir, config.url)
    writer = Writer(config, done=done, linger=LINGER if owner is not None else 0.0)
    spare_after = 0.0
    try:
        while True:
            # The parent's next segment, made here rather than on its event loop (not again for a
            # second after one could not be: a full disk).
            if (owner is not None and time.monotonic() >= spare_after
                    and journals.make_spare(folder, owner) is None):
                spare_after = time.monotonic() + SPARE_RETRY
            try:
                first, payloads, hurry = read_frame(0)
            except EOFError:
                break
            read = [(journals.loads(payload), seq) for seq, payload in enumerate(payloads, first)]
            writer.submit_records(read, hurry=hurry)
        if owner is not None:  # its spare, if any, is deleted with it
            writer.submit_records(journal_items(folder, owner))
    finally:
        writer.close(CLOSE_TIMEOUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
