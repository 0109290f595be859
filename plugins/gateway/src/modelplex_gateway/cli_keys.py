"""``modelplex gateway keys create|list|revoke``: virtual keys in the store's database (the one
``[store] url`` or ``MODELPLEX_STORE_URL`` names, shared by every gateway instance)."""

from __future__ import annotations

import json
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from modelplex_gateway.keys.record import KeyRecord
    from modelplex_gateway.keys.store import KeyStore


def register(gateway: click.Group) -> None:
    """Add the ``keys`` group to ``gateway``."""
    gateway.add_command(keys)


def _store() -> KeyStore:
    from modelplex_store.config import from_environment

    from modelplex_gateway.keys.store import KeyStore

    return KeyStore(from_environment().url)


def _when(seconds: float | None) -> str:
    return "-" if seconds is None else time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(seconds))


def _line(record: KeyRecord) -> str:
    limits = [f"budget ${record.budget}/{record.budget_window}" if record.budget is not None else "",
              f"{record.rpm} rpm" if record.rpm else "", f"{record.tpm} tpm" if record.tpm else "",
              f"{record.concurrency} at once" if record.concurrency else ""]
    state = "revoked" if record.revoked_at is not None else "expired" if record.refusal(time.time()) else ""
    fields = (record.id, record.name or "-", ",".join(record.scopes or ["*"]), *limits,
              "admin" if record.admin else "", f"expires {_when(record.expires_at)}", state)
    return "  ".join(x for x in fields if x)


@click.group()
def keys() -> None:
    """Virtual keys: each shown once, kept as a hash, with scopes, budget, limits, tags and expiry."""


def _tags(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, tag = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r}: expected NAME=VALUE", param_hint="--tag")
        out[name] = tag
    return out


@keys.command()
@click.option("--name", help="A name to know the key by (not secret).")
@click.option("--scope", "scopes", multiple=True,
              help="An address it may use, a glob: provider/model, provider/*, chain/NAME, agent/NAME "
                   "(repeat; none: every one).")
@click.option("--tag", "tags", multiple=True, help="NAME=VALUE added to each call's tags (repeat).")
@click.option("--budget", help="Dollars it may spend per --window (issue 15's budgets, with the key as "
                               "scope).")
@click.option("--window", default="day", show_default=True,
              type=click.Choice(["hour", "day", "month", "total"]), help="The budget's window.")
@click.option("--rpm", type=click.IntRange(1), help="Requests a minute, across every gateway instance.")
@click.option("--tpm", type=click.IntRange(1),
              help="Tokens a minute (input and output, as the upstreams count them), across every gateway "
                   "instance: each call reserves its estimate and settles with its real usage.")
@click.option("--concurrency", type=click.IntRange(1), help="Requests at once.")
@click.option("--expires", help="When it stops working: 30d, 12h, 90m, or an ISO 8601 time.")
@click.option("--admin", is_flag=True, help="It may use the administrative routes (/admin/keys).")
@click.option("--json", "as_json", is_flag=True, help="Print the key and its settings as JSON.")
def create(name: str | None, scopes: tuple[str, ...], tags: tuple[str, ...], budget: str | None, window: str,
           rpm: int | None, tpm: int | None, concurrency: int | None, expires: str | None, admin: bool,
           as_json: bool) -> None:
    """Make a key and print it: this is the only time it is shown."""
    from modelplex_gateway.keys.expiry import expires_at

    options: dict[str, Any] = {"name": name, "scopes": list(scopes) or None, "tags": _tags(tags),
                               "admin": admin, "budget_window": window, "rpm": rpm, "tpm": tpm,
                               "concurrency": concurrency}
    try:
        if budget is not None:
            options["budget"] = Decimal(budget)
        if expires is not None:
            options["expires_at"] = expires_at(expires)
        store = _store()
        try:
            key, record = store.create(**options)
        finally:
            store.close()
    except (InvalidOperation, ValueError) as exc:
        raise click.UsageError(str(exc) if not isinstance(exc, InvalidOperation)
                               else f"--budget {budget!r}: expected dollars") from None
    if as_json:
        click.echo(json.dumps({"key": key, **record.describe()}))
        return
    click.echo(key)
    click.echo(f"id {record.id}: shown once, only its hash is kept. Revoke with 'modelplex gateway keys "
               f"revoke {record.id}'.", err=True)


@keys.command(name="list")
@click.option("--all", "everything", is_flag=True, help="Revoked keys too.")
@click.option("--json", "as_json", is_flag=True, help="As JSON (never a key or its hash).")
def list_keys(everything: bool, as_json: bool) -> None:
    """The keys, by id (a key itself is never shown again)."""
    store = _store()
    try:
        records = store.list(revoked=everything)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([r.describe() for r in records]))
        return
    if not records:
        click.echo("no keys; make one with 'modelplex gateway keys create'")
    for record in records:
        click.echo(_line(record))


@keys.command()
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke the key KEY_ID: every gateway instance refuses it within a second."""
    store = _store()
    try:
        record = store.revoke(key_id)
    finally:
        store.close()
    if record is None:
        raise click.ClickException(f"no key {key_id!r}; 'modelplex gateway keys list' shows them")
    click.echo(f"revoked {record.id} at {_when(record.revoked_at)}")
