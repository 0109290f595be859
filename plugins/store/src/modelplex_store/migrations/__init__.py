"""The migrations: plain numbered steps, each taking the database one schema version up.

Step ``N`` lives in ``mNNNN.py`` as ``upgrade(db)``; most only apply :func:`modelplex_store.schema.ddl`
for their version (the tables, columns and indexes the schema marks with ``since=N``), and a step that
must move data does so there too. :func:`migrate` applies the missing steps in one transaction, under a
lock, so that processes starting together migrate once: the others wait, then find nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from modelplex_store.db import Database, connect
from modelplex_store.migrations import m0001, m0002, m0003, m0004, m0005, m0006
from modelplex_store.schema import SCHEMA_MIGRATIONS, VERSION

#: Each version's step.
STEPS: dict[int, Callable[[Database], None]] = {1: m0001.upgrade, 2: m0002.upgrade, 3: m0003.upgrade,
                                                  4: m0004.upgrade, 5: m0005.upgrade, 6: m0006.upgrade}
#: The PostgreSQL advisory lock key migrations hold (any fixed number; this one spells "mplx").
LOCK_KEY = 0x6D706C78


def current_version(db: Database) -> int:
    """The schema version of ``db``: 0 for an empty database."""
    try:
        row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except Exception:  # no such table: a new database (PostgreSQL needs its failed statement ended)
        db.rollback()
        return 0
    return int(row[0] or 0)


def connect_migrated(url: str) -> Database:
    """A connection to the store at ``url``, its schema brought to the newest; the connection is closed
    again when the migration fails."""
    db = connect(url)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def migrate(db: Database, target: int = VERSION) -> list[int]:
    """Bring ``db`` to schema ``target`` (by default the newest); returns the versions applied, none when
    it was there already. A database newer than ``target`` is left as it is."""
    if current_version(db) >= target:  # the usual case, without taking the lock
        return []
    with db.transaction(lock=LOCK_KEY):
        db.execute(SCHEMA_MIGRATIONS.create(db.dialect, 1))
        current = current_version(db)
        applied = []
        for version in range(current + 1, target + 1):
            STEPS[version](db)
            db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                       (version, time.time_ns() // 1000))
            applied.append(version)
    return applied
