"""Version 4: the gateway's virtual keys (``gateway_keys``: hashes only, never a key)."""

from __future__ import annotations

from modelplex_store.db import Database
from modelplex_store.schema import ddl


def upgrade(db: Database) -> None:
    """Create the version 4 table and index."""
    for statement in ddl(4, db.dialect):
        db.execute(statement)
