"""``modelplex plugins``: the installed provider plugins, the call-lifecycle plugins (usage log, budgets,
telemetry: they own no provider but see every call), what each implements, and what failed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.output import echo_json
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    from modelplex._plugins import LifecycleRecord, PluginFailure, PluginRecord, Registry

_EVERY_PLUGIN_HOOK = "modelplex_provider_info"


def _hooks(registry: Registry, record: PluginRecord) -> list[str]:
    """The hooks the plugin implements: its provider hooks, then others (command registration)."""
    plugin = registry.pm.get_plugin(record.name)
    callers = (registry.pm.get_hookcallers(plugin) if plugin is not None else None) or []
    others = sorted(c.name for c in callers
                    if c.name not in record.hooks and c.name != _EVERY_PLUGIN_HOOK)
    return [*record.hooks, *others]


def _record_json(registry: Registry, record: PluginRecord) -> dict[str, Any]:
    return {"provider": record.name, "distribution": record.distribution,
            "version": record.version, "module": record.module,
            "description": record.info.description, "spec_version": record.info.spec_version,
            "hooks": _hooks(registry, record)}


def _lifecycle_json(record: LifecycleRecord) -> dict[str, Any]:
    return {"name": record.name, "distribution": record.distribution, "version": record.version,
            "module": record.module, "hooks": list(record.hooks)}


def _failure_json(failure: PluginFailure) -> dict[str, Any]:
    return {"provider": failure.name, "distribution": failure.distribution,
            "version": failure.version, "kind": failure.kind, "reason": failure.reason}


def _origin(distribution: str | None, version: str | None, fallback: str) -> str:
    if distribution is None:
        return fallback
    return f"{distribution} {version}" if version else distribution


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plugins and failures as JSON.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List the installed provider plugins, the call-lifecycle plugins, and those that could not be
    loaded, with the reason."""
    registry: Registry = get_state(ctx).client.registry
    records = [registry.records[name] for name in registry.names]
    lifecycle = [registry.lifecycle_plugins[name] for name in sorted(registry.lifecycle_plugins)]
    failures = [registry.failures[name] for name in sorted(registry.failures)]
    if as_json:
        echo_json({"plugins": [_record_json(registry, r) for r in records],
                   "lifecycle": [_lifecycle_json(r) for r in lifecycle],
                   "failures": [_failure_json(f) for f in failures]})
        return
    if not records:
        click.echo("No provider plugins loaded." if failures else "No provider plugins installed.")
    for record in records:
        origin = _origin(record.distribution, record.version, f"registered as {record.module}")
        click.echo(f"{record.name}  ({origin})")
        if record.info.description:
            click.echo(f"  {record.info.description}")
        hooks = ", ".join(h.removeprefix("modelplex_") for h in _hooks(registry, record))
        click.echo(f"  hooks: {hooks or '-'}")
    if lifecycle:
        click.echo("")
        click.echo("Call lifecycle and extensions (no provider; those with call hooks see every call):")
    for life in lifecycle:
        origin = _origin(life.distribution, life.version, f"registered as {life.module}")
        click.echo(f"{life.name}  ({origin})")
        click.echo(f"  hooks: {', '.join(h.removeprefix('modelplex_') for h in life.hooks) or '-'}")
    if failures:
        click.echo("")
        click.echo("Not loaded:")
    for failure in failures:
        origin = _origin(failure.distribution, failure.version, "unknown distribution")
        click.echo(f"{failure.name}  ({origin})  {failure.kind}: {failure.reason}")
