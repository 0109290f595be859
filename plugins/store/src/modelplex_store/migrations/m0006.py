"""Version 6: the indexes by conversation and by parent call keep only the rows that have one."""

from __future__ import annotations

from modelplex_store.db import Database
from modelplex_store.schema import ddl


def upgrade(db: Database) -> None:
    """Replace the two indexes by their partial versions."""
    for statement in ddl(6, db.dialect):
        db.execute(statement)
