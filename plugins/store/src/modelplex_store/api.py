"""The store from Python: :func:`open` gives a :class:`Store`, whose methods are the queries the
``modelplex logs``, ``usage`` and ``store`` commands make (and the dashboard will)::

    import modelplex_store

    with modelplex_store.open() as store:          # the configured store; or open("postgresql://...")
        for call in store.logs(10, status="error", since="7d"):
            print(call.started_at, call.provider, call.model, call.error_class)
        report = store.usage(by="model", since="30d")
        for row in report.rows:
            print(row.key, row.calls, row.cost, row.unpriced_calls, row.latency_p95_ms)
        with open("audit.csv", "w") as out:
            for chunk in store.export("csv", since="2026-11-01"):
                out.write(chunk)

The API is synchronous (a query takes milliseconds; an application on an event loop runs it in a
thread: ``await anyio.to_thread.run_sync(store.usage)``). A :class:`Store` holds one connection: use it
from one thread at a time, and close it (or use it as a context manager). Times are given as in the
command line (``"7d"``, ``"24h"``, ``"2026-11-01"``), as datetimes (naive ones are UTC), dates, or
integer microseconds since the epoch. A database that cannot be reached or read raises
:class:`StoreUnavailable`, its message naming the store with its password masked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType

from modelplex._secret import scrub, scrub_url
from modelplex_store import queries
from modelplex_store.db import Database, StoreUnavailable, connect, dialect_of, sqlite_path
from modelplex_store.export import FORMATS, ExportFormat, export_calls
from modelplex_store.migrations import current_version
from modelplex_store.migrations import migrate as migrate_db
from modelplex_store.queries import CallRecord, UsageBy, UsageReport
from modelplex_store.when import When, now_micros, to_micros

__all__ = ["Store", "StoreUnavailable", "configured_url", "location", "open"]


def configured_url() -> str:
    """The store's URL as this process is configured: ``MODELPLEX_STORE_URL``, else ``[store] url`` of
    the config file, else the SQLite file in the data directory."""
    from modelplex_store.config import from_environment

    return from_environment().url


def location(url: str) -> str:
    """Where ``url`` points, for people: a SQLite file's absolute path, a PostgreSQL URL with its
    password masked."""
    if dialect_of(url) == "sqlite":
        return str(sqlite_path(url).expanduser().resolve())
    return scrub_url(url)


#: How long a query waits for this process's journaled calls to be committed (a database that is down
#: spools them at once: the wait ends either way).
SETTLE_TIMEOUT = 5.0


def _settle() -> None:
    """This process's own calls are in the store before a query reads it: a journaled call returns
    before its commit, and a program that reads the log right after its calls expects to find them.
    (Nothing to do, and nothing imported, in a process that records nothing.)"""
    import sys

    recorder = sys.modules.get("modelplex_store.recorder")
    if recorder is not None:
        recorder.flush(SETTLE_TIMEOUT)


def _micros(value: When | None, now: int) -> int | None:
    return None if value is None else to_micros(value, now=now)


@contextlib.contextmanager
def _reading(url: str, what: str) -> Iterator[None]:
    """Driver errors while ``what`` as :class:`StoreUnavailable`, naming the store, password masked."""
    try:
        yield
    except (StoreUnavailable, ValueError, TypeError):
        raise
    except Exception as exc:
        raise StoreUnavailable(scrub_url(scrub(f"{what} in the store {url} failed: "
                                               f"{type(exc).__name__}: {exc}"))) from None


class Store:
    """An open store (see the module's docstring). Made by :func:`open`."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def __repr__(self) -> str:
        return f"Store({self.path()!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    @property
    def database(self) -> Database:
        """The connection underneath, for queries of your own (read-only, please: the rollups must stay
        equal to the rows)."""
        return self._db

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def path(self) -> str:
        """Where the store is: the SQLite file, or the PostgreSQL URL with its password masked."""
        return location(self._db.url)

    def logs(self, n: int = 20, *, model: str | None = None, provider: str | None = None,
             status: str | None = None, since: When | None = None, until: When | None = None,
             conversation: str | None = None, search: str | None = None, caller: str | None = None,
             attempts: bool = False) -> list[CallRecord]:
        """The ``n`` most recent calls matching every filter given, newest first: see
        :func:`modelplex_store.queries.logs`."""
        _settle()
        now = now_micros()
        with _reading(self._db.url, "reading the calls"):
            return queries.logs(self._db, n, model=model, provider=provider, status=status,
                        since=_micros(since, now), until=_micros(until, now), conversation=conversation,
                        search=search, caller=caller, attempts=attempts)

    def usage(self, *, by: UsageBy = "model", since: When | None = None, until: When | None = None,
              provider: str | None = None, model: str | None = None,
              caller: str | None = None) -> UsageReport:
        """Calls, errors, tokens, cost (unpriced calls apart) and p50/p95 latency and time to first token
        per model, provider, day or caller, from the rollups, on whole hours; only the calls of
        ``provider``, ``model`` and ``caller`` where given: see :func:`modelplex_store.queries.usage`."""
        _settle()
        now = now_micros()
        with _reading(self._db.url, "summing the usage"):
            return queries.usage(self._db, by=by, since=_micros(since, now), until=_micros(until, now),
                         provider=provider, model=model, caller=caller)

    def export(self, fmt: ExportFormat = "csv", *, since: When | None = None,
               until: When | None = None) -> Iterator[str]:
        """Every call started in the window, oldest first, as chunks of CSV or JSON-lines text,
        streamed with bounded memory: see :mod:`modelplex_store.export`."""
        if fmt not in FORMATS:  # said now, not at the first chunk
            raise ValueError(f"export format {fmt!r}: give csv or jsonl")
        _settle()
        now = now_micros()
        return self._chunks(export_calls(self._db, fmt, since=_micros(since, now), until=_micros(until, now)))

    def _chunks(self, chunks: Iterator[str]) -> Iterator[str]:
        with _reading(self._db.url, "exporting the calls"):
            yield from chunks

    def prune(self, before: When) -> int:
        """Delete the calls started before ``before``, with their attempts and stored bodies; returns how
        many calls went. The rollups stay: summaries still cover the pruned time. The file does not
        shrink until :meth:`vacuum`."""
        moment = to_micros(before)
        sql_calls = "SELECT id FROM calls WHERE parent_id IS NULL AND started_at < ?"
        with _reading(self._db.url, "pruning"), self._db.transaction() as db:
            db.execute(f"DELETE FROM call_contents WHERE call_id IN ({sql_calls})", (moment,))  # noqa: S608
            db.execute(f"DELETE FROM calls WHERE parent_id IN ({sql_calls})", (moment,))  # noqa: S608
            cursor = db.execute("DELETE FROM calls WHERE parent_id IS NULL AND started_at < ?", (moment,))
            return int(cursor.rowcount)

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (SQLite: ``VACUUM`` and a WAL
        checkpoint) and refresh the planner's statistics (``ANALYZE``)."""
        with _reading(self._db.url, "vacuuming"):
            if self._db.dialect == "sqlite":
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._db.execute("ANALYZE")
            else:
                for table in ("calls", "call_contents", "rollups"):
                    self._db.execute(f"VACUUM ANALYZE {table}")

    def version(self) -> int:
        """The database's schema version (0: empty)."""
        with _reading(self._db.url, "reading the schema version"):
            return current_version(self._db)

    def migrate(self) -> tuple[int, int]:
        """Bring the schema up to date; returns the version before and after."""
        with _reading(self._db.url, "migrating"):
            before = current_version(self._db)
            migrate_db(self._db)
            return before, current_version(self._db)


def open(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open the store at ``url`` (``sqlite:///path``, a file path or ``postgresql://...``); ``None``:
    the configured one (``MODELPLEX_STORE_URL``, ``[store] url``, else ``logs.db`` in the data
    directory). With ``migrate`` (the default) its schema is brought up to date first, as the recorder
    would on its first call.

    :raises StoreUnavailable: the database cannot be opened (the message names it, password masked).
    """
    target = configured_url() if url is None else url
    if not target:
        raise StoreUnavailable("no store is configured: set [store] url or MODELPLEX_STORE_URL")
    db = connect(target)
    store = Store(db)
    if migrate:
        try:
            store.migrate()
        except BaseException:
            db.close()
            raise
    return store

