"""Virtual keys in the store's database (``gateway_keys``, schema version 4 of modelplex-store): made,
found by hash, listed and revoked. Synchronous, one connection under a lock; the gateway calls it from a
worker thread (:func:`anyio.to_thread.run_sync`), the command line directly."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from modelplex_gateway.keys.material import key_hash, new_id, new_key
from modelplex_gateway.keys.record import KEY_WINDOWS, KeyRecord, check_scope

_COLUMNS = ("hash", "id", "name", "scopes", "tags", "admin", "budget", "budget_window", "rpm",
            "concurrency", "created_at", "expires_at", "revoked_at", "tpm")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM gateway_keys"  # noqa: S608 - the columns are constants
_INSERT = (f"INSERT INTO gateway_keys ({', '.join(_COLUMNS)}) "  # noqa: S608 - constants, values bound
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")


def _micros(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1_000_000)


def _seconds(micros: int | None) -> float | None:
    return None if micros is None else micros / 1_000_000


def _record(row: Sequence[Any]) -> KeyRecord:
    data = dict(zip(_COLUMNS, row, strict=True))
    return KeyRecord(id=data["id"], hash=data["hash"], name=data["name"],
                     scopes=None if data["scopes"] is None else json.loads(data["scopes"]),
                     tags=json.loads(data["tags"] or "{}"), admin=bool(data["admin"]),
                     budget=None if data["budget"] is None else Decimal(data["budget"]),
                     budget_window=data["budget_window"] or "day", rpm=data["rpm"], tpm=data["tpm"],
                     concurrency=data["concurrency"], created_at=_seconds(data["created_at"]) or 0.0,
                     expires_at=_seconds(data["expires_at"]), revoked_at=_seconds(data["revoked_at"]))


def _positive(name: str, value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return value


class KeyStore:
    """The keys of the store at ``url`` (a SQLite path or URL, or ``postgresql://``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        from modelplex._secret import scrub_url

        return f"KeyStore({scrub_url(self.url)!r})"

    def _conn(self) -> Any:
        if self._db is None:
            from modelplex_store.migrations import connect_migrated

            self._db = connect_migrated(self.url)
        return self._db

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            db = self._conn()
            try:
                cursor = db.execute(sql, params)
                return list(cursor.fetchall()) if cursor.description is not None else []
            except Exception:
                # A broken connection (a database restarted) is opened afresh by the next call.
                self._db = None
                db.close()
                raise

    def create(self, *, name: str | None = None, scopes: Sequence[str] | None = None,
               tags: Mapping[str, str] | None = None, admin: bool = False, budget: Decimal | None = None,
               budget_window: str = "day", rpm: int | None = None, tpm: int | None = None,
               concurrency: int | None = None, expires_at: float | None = None,
               now: float | None = None) -> tuple[str, KeyRecord]:
        """Make a key: returns the key (to show once; it is not kept) and its record."""
        if budget is not None and (not budget.is_finite() or budget < 0):
            raise ValueError(f"a key's budget must be dollars >= 0, got {budget}")
        if budget_window not in KEY_WINDOWS:
            raise ValueError(f"a key's budget window must be one of {', '.join(KEY_WINDOWS)}")
        key = new_key()
        record = KeyRecord(
            id=new_id(), hash=key_hash(key), name=name,
            scopes=None if scopes is None else [check_scope(s) for s in scopes],
            tags=dict(tags or {}), admin=admin, budget=budget, budget_window=budget_window,
            rpm=_positive("rpm", rpm), tpm=_positive("tpm", tpm),
            concurrency=_positive("concurrency", concurrency),
            created_at=time.time() if now is None else now, expires_at=expires_at)
        self._run(_INSERT,
                  (record.hash, record.id, record.name,
                   None if record.scopes is None else json.dumps(list(record.scopes)),
                   json.dumps(dict(record.tags), sort_keys=True), int(record.admin),
                   None if budget is None else str(budget), budget_window, rpm, concurrency,
                   _micros(record.created_at), _micros(expires_at), None, tpm))
        return key, record

    def find(self, hash: str) -> KeyRecord | None:
        """The key whose hash is ``hash`` (revoked and expired ones too: the caller says why they fail)."""
        rows = self._run(f"{_SELECT} WHERE hash = ?", (hash,))
        return _record(rows[0]) if rows else None

    def get(self, key_id: str) -> KeyRecord | None:
        """The key of public id ``key_id``."""
        rows = self._run(f"{_SELECT} WHERE id = ?", (key_id,))
        return _record(rows[0]) if rows else None

    def list(self, *, revoked: bool = False) -> list[KeyRecord]:
        """The keys, oldest first; revoked ones only when asked for."""
        where = "" if revoked else " WHERE revoked_at IS NULL"
        return [_record(r) for r in self._run(f"{_SELECT}{where} ORDER BY created_at, id")]

    def revoke(self, key_id: str, *, now: float | None = None) -> KeyRecord | None:
        """Revoke the key ``key_id`` (at once in this store; every gateway refuses it within a second);
        ``None`` when there is no such key. Revoking twice keeps the first time."""
        when = _micros(time.time() if now is None else now)
        self._run("UPDATE gateway_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                  (when, key_id))
        return self.get(key_id)

    def any_key(self) -> bool:
        """Whether a key was ever made here (a revoked one counts: revoking the last key must not open the
        gateway to its machine's callers again)."""
        return bool(self._run("SELECT 1 FROM gateway_keys LIMIT 1"))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()
