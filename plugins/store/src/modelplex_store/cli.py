"""``modelplex logs``, ``modelplex usage [export]`` and ``modelplex store path|migrate|vacuum|prune``, added
to the ``modelplex`` command by the store plugin's ``modelplex_register_commands`` hook.

Every command opens the configured store (``[store] url`` of the config file, ``MODELPLEX_STORE_URL``,
else the SQLite file in the user data directory) through :func:`modelplex_store.open`. A failure is the
``modelplex`` command's one ``error: ...`` line, naming the store (its password masked) and what to
change, with exit code 1. Importing this module opens nothing and imports no database driver.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from decimal import Decimal

    from modelplex_store.api import Store
    from modelplex_store.queries import CallRecord, UsageReport, UsageRow

_SINCE_HELP = "a span before now (30m, 24h, 7d, 2w), an ISO date (2026-11-01) or date and time, UTC"


def register(cli: click.Group) -> None:
    """Add the store's commands to ``cli`` (the ``modelplex`` group)."""
    cli.add_command(logs)
    cli.add_command(usage)
    cli.add_command(store)
    from modelplex_store import cli_budgets

    cli_budgets.register(cli)


def _when(value: str | None, option: str) -> int | None:
    """``--since``/``--until``/``--before`` as microseconds; a bad value is a usage error naming it."""
    if value is None:
        return None
    from modelplex_store.when import to_micros

    try:
        return to_micros(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None


_FIX = "check [store] url in the config file or MODELPLEX_STORE_URL, and that the database is up"


@contextmanager
def _opened(*, migrate: bool = True) -> Iterator[Store]:
    """The configured store, open; its failures as one line naming it (password masked) and the fix.
    First, what recording processes killed with their writer processes left in their journals is
    delivered (:func:`~modelplex_store.writer.deliver_left_behind`): a reader sees their calls. Not by
    ``store migrate`` (``migrate`` false), which must find the schema as it is."""
    from modelplex_store.api import StoreUnavailable
    from modelplex_store.api import open as open_store
    from modelplex_store.config import from_environment
    from modelplex_store.writer import deliver_left_behind

    try:
        config = from_environment()
    except Exception:  # a broken config file: open_store below says what is wrong with it
        config = None
    if migrate and config is not None and config.url:
        deliver_left_behind(config)
    try:
        with open_store(migrate=migrate) as opened:
            yield opened
    except StoreUnavailable as exc:
        raise click.ClickException(f"{exc}; {_FIX}") from None


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _echo_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int]) -> None:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        click.echo("  ".join(cells).rstrip())


def _money(value: Decimal | None, unpriced: int = 0) -> str:
    """An exact amount (to the nano-dollar: a cheap call's cost is not rounded to $0), the calls at an
    unknown price beside it."""
    from modelplex_store.queries import money_text

    if value is None:
        return "unknown" if unpriced else "-"
    text = f"${money_text(value)}"
    return f"{text} +{unpriced} unpriced" if unpriced else text


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"


def _count(value: int) -> str:
    return f"{value:,}"


# -- logs -------------------------------------------------------------------------------------------
@click.command()
@click.option("-n", "limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many calls, the most recent first.")
@click.option("--model", help="Only this model: NAME, PROVIDER/NAME or chain/NAME.")
@click.option("--provider", help="Only this provider.")
@click.option("--status", type=click.Choice(["ok", "error", "cancelled"]), help="Only calls that ended so.")
@click.option("--since", help=f"Only calls started since then: {_SINCE_HELP}.")
@click.option("--until", help="Only calls started before then (same forms as --since).")
@click.option("--conversation", help="Only the calls of this conversation id.")
@click.option("--caller", help="Only the calls of this caller.")
@click.option("--search", metavar="TEXT", help="Only calls whose model, provider, error class or tags "
              "(and bodies, where they are stored) hold TEXT, ignoring case.")
@click.option("--json", "as_json", is_flag=True, help="Print the calls as JSON, every field.")
def logs(limit: int, model: str | None, provider: str | None, status: str | None, since: str | None,
         until: str | None, conversation: str | None, caller: str | None, search: str | None,
         as_json: bool) -> None:
    """Recent calls from the usage log.

    Newest first: when, which model, how it ended, tokens, cost, latency and time to first token.
    """
    start, end = _when(since, "--since"), _when(until, "--until")
    with _opened() as opened:
        records = opened.logs(limit, model=model, provider=provider, status=status, since=start,
                              until=end, conversation=conversation, caller=caller, search=search)
    if as_json:
        _echo_json([r.to_json() for r in records])
        return
    if not records:
        click.echo("No calls match." if any((model, provider, status, since, until, conversation, caller,
                                              search)) else "No calls recorded yet.")
        return
    _echo_table(["STARTED (UTC)", "MODEL", "STATUS", "INPUT", "OUTPUT", "COST", "LATENCY", "TTFT"],
                [_log_row(r) for r in records], frozenset({3, 4, 5, 6, 7}))


def _log_row(record: CallRecord) -> list[str]:
    status = record.status if record.error_class is None else f"{record.status}: {record.error_class}"
    if record.partial:
        status += " (partial)"
    model = f"{record.provider}/{record.model}" if record.provider and record.model else record.requested
    cost = _money(record.cost) if record.cost is not None else ("-" if record.cost_status != "unknown"
                                                                else "unknown")
    return [record.started_at.strftime("%Y-%m-%d %H:%M:%S"), model or "-", status,
            _count(record.total_input), _count(record.total_output), cost, _ms(record.latency_ms),
            _ms(record.ttft_ms)]


# -- usage ------------------------------------------------------------------------------------------
@click.group(invoke_without_command=True)
@click.option("--by", type=click.Choice(["model", "provider", "day", "caller"]), default="model",
              show_default=True, help="What each row sums.")
@click.option("--since", help=f"From then: {_SINCE_HELP}; rounded down to its hour (default: the start).")
@click.option("--until", help="Until then (same forms); rounded up to its hour (default: now).")
@click.option("--provider", help="Only this provider's calls.")
@click.option("--model", help="Only this model's calls: NAME or PROVIDER/NAME.")
@click.option("--caller", help="Only this caller's calls.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def usage(ctx: click.Context, by: str, since: str | None, until: str | None, provider: str | None,
          model: str | None, caller: str | None, as_json: bool) -> None:
    """Usage per model, provider, day or caller.

    Calls, errors, tokens per bucket, cost (calls at an unknown price counted apart, never as $0),
    p50/p95 latency and time to first token, read from the hourly and daily rollups.
    """
    if ctx.invoked_subcommand is not None:
        return
    start, end = _when(since, "--since"), _when(until, "--until")
    with _opened() as opened:
        report = opened.usage(by=by, since=start, until=end,  # type: ignore[arg-type]
                              provider=provider, model=model, caller=caller)
    if as_json:
        _echo_json(report.to_json())
        return
    _print_usage(report)


def _print_usage(report: UsageReport) -> None:
    if not report.rows:
        click.echo("No calls in this window.")
        return
    headers = [report.by.upper(), "CALLS", "ERRORS", "INPUT", "CACHE READ", "CACHE WRITE", "CACHE 1H",
               "OUTPUT", "REASONING", "COST", "P50", "P95", "TTFT P50", "TTFT P95"]
    rows = [_usage_row(r.key or "-", r) for r in report.rows]
    if len(report.rows) > 1:
        rows.append(_usage_row("total", report.total))
    _echo_table(headers, rows, frozenset(range(1, len(headers))))
    start = _iso_text(report.since) if report.since is not None else "the first call"
    end = _iso_text(report.until) if report.until is not None else "now"
    click.echo(f"\nFrom {start} to {end} (whole hours, UTC); percentiles estimated from the rollups' "
               "latency histograms.")


def _usage_row(key: str, row: UsageRow) -> list[str]:
    return [key, _count(row.calls), _count(row.errors), _count(row.input), _count(row.cache_read),
            _count(row.cache_write), _count(row.cache_write_1h), _count(row.output), _count(row.reasoning),
            _money(row.cost, row.unpriced_calls), _ms(row.latency_p50_ms), _ms(row.latency_p95_ms),
            _ms(row.ttft_p50_ms), _ms(row.ttft_p95_ms)]


@usage.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True,
              help="CSV with a header line, or one JSON object per line.")
@click.option("--since", help=f"From then: {_SINCE_HELP} (default: the first call).")
@click.option("--until", help="Until then, same forms (default: now).")
def export(fmt: str, since: str | None, until: str | None) -> None:
    """Every recorded call (attempts of routed calls included), oldest first, to stdout: streamed, so a
    million rows take little memory."""
    start, end = _when(since, "--since"), _when(until, "--until")
    with _opened() as opened:
        for chunk in opened.export(fmt, since=start, until=end):  # type: ignore[arg-type]
            click.echo(chunk, nl=False)


# -- store ------------------------------------------------------------------------------------------
@click.group()
def store() -> None:
    """The usage log's database: where it is, its schema, its size."""


@store.command()
def path() -> None:
    """Where the store is: the SQLite file, or the PostgreSQL URL with its password masked."""
    from modelplex_store.api import configured_url, location

    click.echo(location(configured_url()))


@store.command()
def migrate() -> None:
    """Bring the store's schema up to date (the commands do so on first use too)."""
    with _opened(migrate=False) as opened:
        before, after = opened.migrate()
    click.echo(f"schema version {after}" + ("" if before == after else f" (was {before})"))


@store.command()
def vacuum() -> None:
    """Give the space of deleted rows back and refresh the planner's statistics."""
    with _opened() as opened:
        opened.vacuum()
    click.echo("vacuumed")


@store.command()
@click.option("--before", required=True, help=f"Delete the calls started before then: {_SINCE_HELP}.")
def prune(before: str) -> None:
    """Delete the calls (and their stored bodies) started before a date. The hourly and daily rollups
    stay, so 'modelplex usage' still covers the pruned time; 'modelplex store vacuum' gives the space
    back."""
    moment = _when(before, "--before")
    assert moment is not None
    with _opened() as opened:
        removed = opened.prune(moment)
    click.echo(f"deleted {removed:,} call(s) started before {_iso_text(moment)}")


def _iso_text(micros: int) -> str:
    from modelplex_store.when import iso

    return iso(micros) or ""

