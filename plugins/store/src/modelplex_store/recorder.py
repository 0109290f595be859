"""The recorder: what the ``modelplex_after_call`` hook does with a call.

A call returns to its caller only once its row is durable: it survives the process being killed with
SIGKILL. By default that is once the row is in this process's journal (:mod:`~modelplex_store.journal`,
copied into a memory map), and the call does not wait for the database; with ``[store] durability =
"commit"`` (or a writer thread), the hook returns an awaitable that completes once the row is committed
(or, the store being down, spooled). The event loop never waits on a disk. The writer is a process of
its own by default (:class:`~modelplex_store.writer_process.ProcessWriter`: the event loop reads each
call's facts, the writer process builds and writes the rows), or a thread of this one (``writer =
"thread"``, :class:`~modelplex_store.writer.Writer`, which builds them too).

One writer per store URL and process, shared by every client and event loop of the process (made again
in a forked child, whose parent's threads did not follow it).

A call is left out with the tag ``store=off`` (``tags={"store": "off"}``); tags never reach a provider.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

from modelplex._logging import log
from modelplex_store.config import StoreConfig, from_environment
from modelplex_store.rows import OFF_TAG
from modelplex_store.writer import StoreStats, Writer

if TYPE_CHECKING:
    from modelplex_store.writer_process import ProcessWriter

_writers: dict[tuple[int, str, bool], Writer | ProcessWriter] = {}
_writers_lock = threading.Lock()
#: This process's id, kept here: ``os.getpid()`` is a system call, and ``_writer`` runs for every call.
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def _writer(config: StoreConfig) -> Writer | ProcessWriter:
    key = (_pid, config.url, config.content)
    writer = _writers.get(key)
    if writer is None:
        with _writers_lock:
            writer = _writers.get(key)
            if writer is None:
                if config.writer == "process":
                    from modelplex_store.writer_process import ProcessWriter

                    writer = _writers[key] = ProcessWriter(config)
                else:
                    writer = _writers[key] = Writer(config)
    return writer


class Recorder:
    """Records calls into the store that ``config`` names (or nowhere, when it is disabled)."""

    __slots__ = ("config",)

    def __init__(self, config: StoreConfig) -> None:
        self.config = config

    def __repr__(self) -> str:
        return f"Recorder({self.config!r})"

    @classmethod
    def from_config(cls, env: Mapping[str, str] | None = None) -> Recorder:
        """The recorder the environment and the config file describe. A config that cannot be read turns
        recording off, with an error logged and a warning: a usage log never fails a call."""
        try:
            return cls(from_environment(env))
        except Exception as exc:
            import warnings

            message = f"modelplex-store: recording is off: {type(exc).__name__}: {exc}"
            log("error", "store_config_invalid", error=message)
            warnings.warn(message, RuntimeWarning, stacklevel=2)
            from pathlib import Path

            return cls(StoreConfig(url="", data_dir=Path(), enabled=False))

    def record(self, call: Any, outcome: Any) -> Awaitable[None] | None:
        """Queue ``call``'s row: ``None`` once it is durable already (journaled), or when the store is off
        or the call asked not to be recorded; else an awaitable that completes once it is written."""
        if not self.config.enabled or call.tags.get(OFF_TAG) == "off":
            return None
        return _writer(self.config).record(call, outcome)

    @property
    def writer_pid(self) -> int | None:
        """The id of the process writing this store's rows (started on the first call), or ``None``:
        none started yet, or rows are written from a thread of this process."""
        if not self.config.enabled:
            return None
        key = (os.getpid(), self.config.url, self.config.content)
        writer = _writers.get(key)
        return getattr(writer, "pid", None)

    def stats(self) -> StoreStats:
        """This process's counters for the store: recorded, spooled, lost, pending."""
        if not self.config.enabled:
            return StoreStats()
        return _writer(self.config).stats()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every call queued so far is written; false if ``timeout`` passed first."""
        if not self.config.enabled:
            return True
        return _writer(self.config).flush(timeout)

    def close(self) -> None:
        """Write what is queued and stop this store's writer (a later call starts a new one)."""
        key = (os.getpid(), self.config.url, self.config.content)
        with _writers_lock:
            writer = _writers.pop(key, None)
        if writer is not None:
            writer.close()


def flush(timeout: float = 10.0) -> bool:
    """Wait until every call this process recorded so far is in its store (``modelplex_store.flush()``):
    a journaled call returns before the database has its row, and a query made at once, in this
    process or another, may not see it yet. False if ``timeout`` passed first."""
    import time

    deadline = time.monotonic() + timeout
    pid = os.getpid()
    return all(writer.flush(max(0.0, deadline - time.monotonic()))
               for key, writer in list(_writers.items()) if key[0] == pid)


def stats() -> StoreStats:
    """This process's counters of the installed store plugin (``modelplex_store.stats()``): calls
    recorded, spooled while the store was down, lost past the spool's bound, pending (all 0 while
    recording is off)."""
    from modelplex_store.plugin import PLUGIN

    # With recording off, the entry point's object only adds commands: nothing was counted.
    recorder = getattr(PLUGIN, "recorder", None)
    return recorder.stats() if isinstance(recorder, Recorder) else StoreStats()
