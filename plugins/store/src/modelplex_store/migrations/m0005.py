"""Version 5: a virtual key's tokens-a-minute limit (``gateway_keys.tpm``)."""

from __future__ import annotations

from modelplex_store.db import Database
from modelplex_store.schema import ddl


def upgrade(db: Database) -> None:
    """Add the version 5 column."""
    for statement in ddl(5, db.dialect):
        db.execute(statement)
