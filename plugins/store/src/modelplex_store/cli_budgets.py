"""``modelplex budgets [set|rm|history]``: where each budget stands, and its changes, recorded.

``modelplex budgets`` shows each budget of the config file's ``[[budgets]]`` (and each counter of a
per-value one) in its current window: limit, spent, reserved, what is left, calls (unpriced ones
apart), the window and when it resets, and the alert thresholds fired; ``--json`` for all of it.
``set`` and ``rm`` edit ``[[budgets]]`` (keeping the file's comments) and record who, when, before and
after in the store's ``budget_changes`` table; ``history`` lists those records.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

_FIX = "check [budget_ledger] and [store] in the config file, and that the database or Redis is up"


def register(cli: click.Group) -> None:
    """Add ``budgets`` to ``cli``; alerts fired in this process print a line on stderr from now on."""
    from modelplex_store.budgets import alerts

    alerts.CLI = True
    cli.add_command(budgets)


def _config() -> tuple[dict[str, Any], Path]:
    from modelplex._config import config_source, load_config
    from modelplex._config_write import config_path

    env = os.environ
    return load_config(*config_source(None, env)), config_path(env)


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _store_url(config: Mapping[str, Any]) -> str:
    from modelplex_store.config import resolve

    return resolve(config, os.environ).url


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print every budget's state as JSON.")
@click.pass_context
def budgets(ctx: click.Context, as_json: bool) -> None:
    """Show each budget: limit, spent, reserved, window, reset time, alerts fired."""
    if ctx.invoked_subcommand is not None:
        return
    from modelplex_store.budgets.ledger import LedgerUnavailable
    from modelplex_store.budgets.model import budgets_from
    from modelplex_store.budgets.plugin import ledger_for, ledger_settings
    from modelplex_store.budgets.status import statuses

    config, _ = _config()
    declared = budgets_from(config)
    url, prefix, _lease = ledger_settings(config, os.environ)
    ledger = ledger_for(url, prefix)

    async def read() -> list[Any]:
        try:
            return await statuses(declared, ledger)
        finally:
            await ledger.aclose()

    try:
        found = asyncio.run(read())
    except LedgerUnavailable as exc:
        raise click.ClickException(f"{exc}; {_FIX}") from None
    per_call = [b for b in declared if b.window == "call"]
    if as_json:
        click.echo(json.dumps([s.to_json() for s in found] + [b.describe() for b in per_call], indent=2))
        return
    if not declared:
        click.echo("No budgets: add [[budgets]] to the config file, or: modelplex budgets set NAME --limit 5")
        return
    for s in found:
        b = s.budget
        who = f" [{s.subject}]" if s.subject else ""
        kind = "hard" if b.hard else "soft"
        click.echo(f"{b.name}{who}  {b.scope}  {kind}, ${b.limit:f} per {b.window}")
        unpriced = f" (+{s.unpriced_calls} unpriced)" if s.unpriced_calls else ""
        click.echo(f"  spent ${s.spent:f}  reserved ${s.reserved:f}  left ${s.left:f}  "
                   f"calls {s.calls}{unpriced}")
        since = "" if b.window in ("total", "run") else f"since {_when(s.window_start)}, "
        fired = ", ".join(f"{t}%" for t in s.fired) or "none"
        click.echo(f"  window: {since}resets {_when(s.resets_at)}; alerts fired: {fired} "
                   f"(of {', '.join(f'{t}%' for t in b.alerts)})")
    shown = {s.budget.name for s in found}
    for b in declared:
        if b.window != "call" and b.name not in shown:  # a per-value budget no one has spent under yet
            kind = "hard" if b.hard else "soft"
            click.echo(f"{b.name}  {b.scope}  {kind}, ${b.limit:f} per {b.window}: "
                       "nothing spent in this window")
    for b in per_call:
        kind = "hard" if b.hard else "soft"
        click.echo(f"{b.name}  {b.scope}  {kind}, ${b.limit:f} per call (nothing counted)")


@budgets.command("set")
@click.argument("name")
@click.option("--limit", required=True, help="Dollars per window, e.g. 5 or 0.50.")
@click.option("--window", type=click.Choice(["call", "run", "hour", "day", "month", "total"]), default="day",
              show_default=True, help="Calendar windows in UTC; run: per value of the 'run' tag.")
@click.option("--scope", default="all", show_default=True,
              help="all, provider:P, model:GLOB, tag:NAME=VALUE, agent:A, conversation:C, caller:C, key:K "
                   "(VALUE * for a counter per value).")
@click.option("--soft", is_flag=True, help="Alert only, never refuse a call.")
@click.option("--alerts", default="50,80,100", show_default=True, help="Thresholds, percent of the limit.")
@click.option("--who", help="Who makes the change (default: the operating system's user).")
def set_(name: str, limit: str, window: str, scope: str, soft: bool, alerts: str, who: str | None) -> None:
    """Add or change budget NAME in the config file, and record the change."""
    from modelplex_store.budgets.changes import set_budget
    from modelplex_store.budgets.model import Budget

    try:
        thresholds = [int(t) for t in alerts.split(",") if t.strip()]
    except ValueError:
        raise click.BadParameter("a comma-separated list of whole percentages",
                                 param_hint="'--alerts'") from None
    budget = Budget(name=name, limit=limit, window=window, scope=scope, hard=not soft,  # type: ignore[arg-type]
                    alerts=thresholds)
    config, path = _config()
    change = set_budget(path, budget, store_url=_store_url(config), who=who)
    click.echo(f"{'changed' if change.before else 'added'} budget {name!r} in {path}")


@budgets.command("rm")
@click.argument("name")
@click.option("--who", help="Who makes the change (default: the operating system's user).")
def rm(name: str, who: str | None) -> None:
    """Remove budget NAME from the config file, and record the change."""
    from modelplex_store.budgets.changes import remove_budget

    config, path = _config()
    remove_budget(path, name, store_url=_store_url(config), who=who)
    click.echo(f"removed budget {name!r} from {path}")


@budgets.command("history")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def history(name: str | None, as_json: bool) -> None:
    """The recorded changes to budgets (of NAME), oldest first: who, when, before and after."""
    from modelplex_store.budgets.changes import history as changes
    from modelplex_store.db import connect
    from modelplex_store.migrations import migrate

    config, _ = _config()
    db = connect(_store_url(config))
    try:
        migrate(db)
        found = changes(db, name)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps([{"at": c.at, "who": c.who, "budget": c.budget, "before": c.before,
                                "after": c.after} for c in found], indent=2))
        return
    for c in found:
        what = "added" if c.before is None else "removed" if c.after is None else "changed"
        after = c.after
        detail = "" if after is None else f": ${after['limit']} per {after['window']}, {after['scope']}"
        click.echo(f"{_when(c.at)}  {c.who}  {what} {c.budget!r}{detail}")
