"""Version 2: conversations and their messages (see :mod:`modelplex_store.conversations`)."""

from __future__ import annotations

from modelplex_store.db import Database
from modelplex_store.schema import ddl


def upgrade(db: Database) -> None:
    """Create the version 2 tables and indexes."""
    for statement in ddl(2, db.dialect):
        db.execute(statement)
