"""One connection to the store, SQLite or PostgreSQL, at driver level: the same few calls on both.

SQL is written once with ``?`` placeholders (SQLite's); :meth:`Database.sql` turns them into psycopg's
``%s``. Statements therefore never hold a literal ``?`` or ``%``: values always go in parameters.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit is in the WAL, in the operating system's
hands, when it returns, so a row survives the process being killed (SIGKILL) right after, which is what
the store promises; only a power loss or an OS crash may lose the last commits, which FULL (an fsync per
commit) would keep, at a cost of milliseconds per group.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelplex._secret import scrub_url
from modelplex.errors import ModelplexError
from modelplex_store.schema import Dialect

#: How long a writer waits for another process's write lock (SQLite) before failing.
BUSY_TIMEOUT = 30.0
#: How long a PostgreSQL connection attempt may take: a database that is down is found out quickly.
CONNECT_TIMEOUT = 5
#: How long data sent to PostgreSQL may stay unacknowledged before the connection counts as lost.
LOST_AFTER_MS = 10_000


class StoreUnavailable(ModelplexError):
    """The database cannot be reached or written; the message is scrubbed of credentials. A
    :class:`~modelplex.ModelplexError`, so that the command says it in one line, as it does every
    other error, rather than with a traceback."""


def dialect_of(url: str) -> Dialect:
    """``postgresql`` for ``postgresql://`` and ``postgres://`` URLs, ``sqlite`` for the rest."""
    return "postgresql" if url.startswith(("postgresql://", "postgres://")) else "sqlite"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL (SQLAlchemy's
    spelling), or of a plain path."""
    for prefix in ("sqlite:///", "sqlite://"):
        if url.startswith(prefix):
            return Path(url[len(prefix):])
    return Path(url)


@functools.lru_cache(maxsize=256)
def _pg_sql(text: str) -> str:
    return text.replace("?", "%s")


class Database:
    """An open connection and its dialect. Not thread-safe: one thread uses it at a time."""

    __slots__ = ("conn", "dialect", "url")

    def __init__(self, url: str, dialect: Dialect, conn: Any) -> None:
        self.url = url
        self.dialect = dialect
        self.conn = conn

    def __repr__(self) -> str:
        return f"Database({scrub_url(self.url)!r})"

    def sql(self, text: str) -> str:
        """``text`` with the dialect's placeholders."""
        return text if self.dialect == "sqlite" else _pg_sql(text)

    def execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the cursor."""
        return self.conn.execute(self.sql(text), params)

    def executemany(self, text: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of ``rows``."""
        if self.dialect == "sqlite":
            self.conn.executemany(text, rows)
        else:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.sql(text), rows)

    @contextmanager
    def transaction(self, *, lock: int | None = None) -> Iterator[Database]:
        """A write transaction, committed on leaving, rolled back on an exception. SQLite takes its write
        lock at once (``BEGIN IMMEDIATE``: no deadlock between two readers turned writers); on
        PostgreSQL, ``lock`` names an advisory lock held until the end of the transaction."""
        self.conn.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            if lock is not None and self.dialect == "postgresql":
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            yield self
        except BaseException:
            self.rollback()
            raise
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        """Roll back whatever is open; a connection already broken is left as it is."""
        with contextlib.suppress(Exception):  # a dead connection has nothing to roll back
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        with contextlib.suppress(Exception):  # closing a broken one is not worth an error
            self.conn.close()


def connect(url: str) -> Database:
    """Open ``url``; raises :class:`StoreUnavailable` (scrubbed) when it cannot be opened.

    psycopg is imported here, only for a PostgreSQL URL.
    """
    dialect = dialect_of(url)
    try:
        if dialect == "sqlite":
            return Database(url, dialect, open_sqlite(sqlite_path(url)))
        import psycopg

        # A server that vanishes (a dead host, a cut network) is found out in seconds, not after the
        # operating system's two hours of silence: the writer then spools instead of holding calls.
        conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                               keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                               tcp_user_timeout=LOST_AFTER_MS)
        return Database(url, dialect, conn)
    except ImportError as exc:
        raise StoreUnavailable("a postgresql:// store needs psycopg: "
                               "pip install 'modelplex-store[postgresql]'") from exc
    except Exception as exc:
        raise StoreUnavailable(scrub_url(f"cannot open the store {url}: {type(exc).__name__}: {exc}")) \
            from None


def open_sqlite(path: Path) -> sqlite3.Connection:
    """A connection to the SQLite file ``path`` (made with its directory if missing), in WAL mode, with
    no implicit transactions (the caller says BEGIN)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn
