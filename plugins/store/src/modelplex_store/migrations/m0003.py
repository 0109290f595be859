"""Version 3: the budget ledger (counters, reservations, alerts fired, budget changes) and the admission
decisions of each call (``calls.admission``, ``calls.denied_by``)."""

from __future__ import annotations

from modelplex_store.db import Database
from modelplex_store.schema import ddl


def upgrade(db: Database) -> None:
    """Create the version 3 tables, columns and index."""
    for statement in ddl(3, db.dialect):
        db.execute(statement)
