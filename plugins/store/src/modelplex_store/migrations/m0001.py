"""Version 1: the calls, their contents, the rollups and their indexes."""

from __future__ import annotations

from modelplex_store.db import Database
from modelplex_store.schema import ddl


def upgrade(db: Database) -> None:
    """Create the version 1 tables and indexes."""
    for statement in ddl(1, db.dialect):
        db.execute(statement)
