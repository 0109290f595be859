"""Budget changes through the command line or the API: the config file's ``[[budgets]]`` edited (its
comments and layout kept), and each change recorded in the store's ``budget_changes`` table with who made
it, when, and the budget before and after (JSON; ``NULL`` before a budget is created or after it is
removed). The config file stays the one place budgets are declared; the table is their history. A change
the store cannot record is not made.
"""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from modelplex.errors import ConfigurationError
from modelplex_store.budgets.model import Budget, budgets_from
from modelplex_store.db import Database, connect
from modelplex_store.migrations import migrate
from modelplex_store.rows import uuid7


@attrs.frozen(kw_only=True)
class BudgetChange:
    """One row of ``budget_changes``."""

    at: float
    who: str
    budget: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def whoami() -> str:
    """The operating system's user name, the default ``who`` of a change."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container without one)
        return "unknown"


def _table(budget: Budget) -> dict[str, Any]:
    data = budget.describe()
    if not data["exempt"]:
        del data["exempt"]
    return data


def set_budget(config: Path, budget: Budget, *, store_url: str, who: str | None = None) -> BudgetChange:
    """Add ``budget`` to the config file, or replace the one of the same name; record the change."""
    from modelplex._config_write import editing

    before: dict[str, Any] | None = None
    with editing(config) as doc:
        import tomlkit

        entries = doc.get("budgets")
        if entries is None:
            entries = tomlkit.aot()
            doc["budgets"] = entries
        found = [i for i, e in enumerate(entries) if e.get("name") == budget.name]
        if found:
            before = budgets_from({"budgets": [dict(entries[found[0]])]})[0].describe()
            entries[found[0]] = tomlkit.item(_table(budget))
        else:
            entries.append(tomlkit.item(_table(budget)))
        # Recorded before the file is written: a change the store cannot record is not made.
        return record(store_url, who or whoami(), budget.name, before, budget.describe())


def remove_budget(config: Path, name: str, *, store_url: str, who: str | None = None) -> BudgetChange:
    """Remove budget ``name`` from the config file; record the change."""
    from modelplex._config_write import editing

    with editing(config) as doc:
        entries = doc.get("budgets") or []
        found = [i for i, e in enumerate(entries) if e.get("name") == name]
        if not found:
            raise ConfigurationError(f"no budget named {name!r} in {config}; 'modelplex budgets' lists them")
        before = budgets_from({"budgets": [dict(entries[found[0]])]})[0].describe()
        del entries[found[0]]
        if not entries:
            del doc["budgets"]
        return record(store_url, who or whoami(), name, before, None)


def record(store_url: str, who: str, budget: str, before: Mapping[str, Any] | None,
           after: Mapping[str, Any] | None, *, at: float | None = None) -> BudgetChange:
    """Write one ``budget_changes`` row in the store at ``store_url``."""
    when = time.time() if at is None else at
    db = connect(store_url)
    try:
        migrate(db)
        with db.transaction():
            db.execute("INSERT INTO budget_changes (id, at, who, budget, before_json, after_json) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (uuid7(int(when * 1e6)), int(when * 1e6), who, budget,
                        None if before is None else json.dumps(before, sort_keys=True),
                        None if after is None else json.dumps(after, sort_keys=True)))
    finally:
        db.close()
    return BudgetChange(at=when, who=who, budget=budget, before=None if before is None else dict(before),
                        after=None if after is None else dict(after))


def history(db: Database, budget: str | None = None) -> list[BudgetChange]:
    """The recorded changes, oldest first (of one budget, if named)."""
    sql = "SELECT at, who, budget, before_json, after_json FROM budget_changes"
    rows = db.execute(sql + (" WHERE budget = ?" if budget else "") + " ORDER BY at, id",
                      (budget,) if budget else ()).fetchall()
    return [BudgetChange(at=r[0] / 1e6, who=r[1], budget=r[2],
                         before=None if r[3] is None else json.loads(r[3]),
                         after=None if r[4] is None else json.loads(r[4])) for r in rows]
