"""The conversations of one store database, for any number of clients of this process.

One connection per store URL and process, opened on first use, used under a lock (the store's connections
are for one thread at a time). The schema is brought up to date on opening, as the recorder does. A reply's
``call_id`` is found in the same transaction that adds it: the call was tagged ``message=<its id>``, and
the recorder committed that call's row before the call returned (when recording is on and the database
was up; otherwise it stays ``NULL``, and ``modelplex logs --conversation ID`` still finds the calls).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from modelplex._conversation import ConversationMessage, ConversationRecord, ConversationSummary
from modelplex.errors import ConfigurationError
from modelplex_store.conversations.codec import (
    MESSAGE_COLUMNS,
    RECORD_COLUMNS,
    message_of,
    message_row,
    record_of,
    record_row,
)
from modelplex_store.db import Database, connect

_SAVE = (f"INSERT INTO conversations ({', '.join(RECORD_COLUMNS)}) VALUES ({', '.join('?' * 8)}) "  # noqa: S608
         "ON CONFLICT (id) DO UPDATE SET title = excluded.title, model = excluded.model, "
         "system = excluded.system, options = excluded.options, head = excluded.head, "
         "updated_at = excluded.updated_at")
_APPEND = f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)}) VALUES ({', '.join('?' * 14)})"  # noqa: S608
#: The most a reply waits for its usage row to be committed (journaled calls return before that).
LINK_TIMEOUT = 5.0
# By conversation first: the calls_in_conversation index finds the few calls of one conversation.
_CALL = ("SELECT id FROM calls WHERE conversation_id = ? AND message_id = ? AND parent_id IS NULL "
         "ORDER BY started_at DESC LIMIT 1")

# Messages, the sum of the replies' costs, and how many replies had an unknown one.
_COUNTS = ("SELECT count(*), sum(cost_nanos), sum(CASE WHEN role = 'assistant' AND cost_nanos IS NULL "
           "THEN 1 ELSE 0 END) FROM messages WHERE conversation_id = ?")

_stores: dict[tuple[int, str], SqlConversations] = {}
_stores_lock = threading.Lock()


def for_config(config: Mapping[str, Any], env: Mapping[str, str]) -> SqlConversations | None:
    """The conversations of the store ``config`` (a config file's contents) and ``env`` name: the same
    object for the same URL within a process. ``None`` when the store is turned off (``[store] enabled =
    false``, ``MODELPLEX_STORE=off``): then nothing is written, conversations included."""
    from modelplex_store.config import resolve

    settings = resolve(config, env)
    if not settings.enabled:
        return None
    url = settings.url
    key = (os.getpid(), url)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if not _stores:
                import atexit

                atexit.register(_close_all)
            store = _stores[key] = SqlConversations(url)
        return store


def _close_all() -> None:
    """Close this process's connections at exit (psycopg warns about one merely collected)."""
    with _stores_lock:
        stores = list(_stores.values())
    for store in stores:
        store.close()


class SqlConversations:
    """:class:`modelplex._conversation.ConversationStore` on the store at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db: Database | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        from modelplex_store.api import location

        return f"SqlConversations({location(self.url)!r})"

    @contextmanager
    def _connection(self) -> Iterator[Database]:
        with self._lock:
            if self._db is None:
                from modelplex_store.migrations import migrate

                db = connect(self.url)
                migrate(db)
                self._db = db
            yield self._db

    def close(self) -> None:
        """Close the connection (the next use opens another)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def save(self, record: ConversationRecord) -> None:
        """Create or update the conversation's own fields."""
        with self._connection() as db, db.transaction():
            db.execute(_SAVE, record_row(record))

    def append(self, conversation_id: str, messages: Sequence[ConversationMessage],
               record: ConversationRecord) -> list[ConversationMessage]:
        """Add ``messages`` (each reply linked to its usage row) and save ``record``, in one transaction."""
        import attrs

        if any(m.call_id is None and m.role == "assistant" for m in messages):
            # The replies' usage rows, journaled as their calls returned, committed first.
            from modelplex_store.recorder import flush

            flush(LINK_TIMEOUT)
        out = []
        with self._connection() as db, db.transaction():
            db.execute(_SAVE, record_row(record))  # a new conversation comes with its first exchange
            for message in messages:
                if message.call_id is None and message.role == "assistant":
                    found = db.execute(_CALL, (conversation_id, message.id)).fetchone()
                    if found is not None:
                        message = attrs.evolve(message, call_id=found[0])
                db.execute(_APPEND, message_row(conversation_id, message))
                out.append(message)
        return out

    def _full_id(self, db: Database, id: str) -> str:
        # substr, not LIKE: an id's beginning is taken as it is, wildcards and all.
        rows = db.execute("SELECT id FROM conversations WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 3",
                          (len(id), id)).fetchall()
        exact = [r[0] for r in rows if r[0] == id]
        if exact:
            return str(exact[0])
        if len(rows) == 1 and id:
            return str(rows[0][0])
        if not rows or not id:
            raise ConfigurationError(f"no conversation {id!r} (see 'modelplex conversations list')")
        raise ConfigurationError(f"{id!r} is the beginning of several conversations' ids: give more of it")

    def load(self, id: str) -> tuple[ConversationRecord, list[ConversationMessage]]:
        """The conversation ``id`` (or the one whose id begins so) and all its messages, oldest first."""
        with self._connection() as db:
            full = self._full_id(db, id)
            row = db.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM conversations WHERE id = ?",  # noqa: S608
                             (full,)).fetchone()
            rows = db.execute(f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM messages "  # noqa: S608
                              "WHERE conversation_id = ? ORDER BY created_at, id", (full,)).fetchall()
        return record_of(row), [message_of(r) for r in rows]

    def latest(self) -> str | None:
        """The conversation updated last."""
        with self._connection() as db:
            row = db.execute("SELECT id FROM conversations ORDER BY updated_at DESC, id DESC LIMIT 1"
                             ).fetchone()
        return None if row is None else str(row[0])

    def list(self, limit: int = 20) -> list[ConversationSummary]:
        """The ``limit`` conversations updated last, with their message counts and costs."""
        with self._connection() as db:
            rows = db.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM conversations "  # noqa: S608
                              "ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,)).fetchall()
            out = []
            for row in rows:
                record = record_of(row)
                counts = db.execute(_COUNTS, (record.id,)).fetchone()
                out.append(ConversationSummary(record=record, messages=int(counts[0]),
                                               cost=_cost(counts[1], counts[2])))
        return out

    def delete(self, id: str) -> str:
        """Delete the conversation and its messages; the usage rows stay."""
        with self._connection() as db:
            full = self._full_id(db, id)
            with db.transaction():
                db.execute("DELETE FROM messages WHERE conversation_id = ?", (full,))
                db.execute("DELETE FROM conversations WHERE id = ?", (full,))
        return full


def _cost(nanos: int | None, unpriced: int | None) -> Decimal | None:
    """The sum of the replies' costs in dollars: unknown (``None``) when some reply's was."""
    return None if unpriced else Decimal(nanos or 0) / 1_000_000_000
