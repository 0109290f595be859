"""``modelplex models``: what the installed providers say they offer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from modelplex._cli.output import echo_json, echo_table, error_message
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex


def _listing_providers(client: modelplex.Client) -> list[str]:
    """Every loaded provider that can list models, and every configured alias served by one."""
    registry = client.registry
    names = [n for n in registry.names if "modelplex_list_models" in registry.records[n].hooks]
    settings = client.async_client.settings
    for alias in sorted(settings.configured_names() - set(names)):
        plugin = settings.plugin_for(alias)
        record = registry.records.get(plugin)
        if plugin != alias and record is not None and "modelplex_list_models" in record.hooks:
            names.append(alias)
    return names


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _row(model: modelplex.ModelInfo) -> list[str]:
    import attrs

    caps = [a.name for a in attrs.fields(type(model.capabilities))
            if getattr(model.capabilities, a.name) is True]
    return [model.address, _cell(model.context_window), _cell(model.max_output),
            ", ".join(caps) or "-"]


@click.command()
@click.option("--provider", "-p", metavar="NAME", help="Only this provider's models.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of model descriptions.")
@click.pass_context
def models(ctx: click.Context, provider: str | None, as_json: bool) -> None:
    """List the models the installed providers know: limits and capabilities.

    A provider whose listing fails is reported on stderr and the others are still shown.
    """
    from modelplex import ModelplexError, unstructure

    client = get_state(ctx).client
    found: list[modelplex.ModelInfo] = []
    if provider is not None:
        found = client.list_models(provider)  # its failure is the command's failure
        failed = 0
        tried = 1
    else:
        tried = failed = 0
        for name in _listing_providers(client):
            tried += 1
            try:
                found.extend(client.list_models(name))
            except ModelplexError as exc:
                failed += 1
                click.echo(f"error: listing the models of {name!r} failed: {error_message(exc)}",
                           err=True)
    if as_json:
        echo_json([{**unstructure(m), "address": m.address} for m in found])
    elif found:
        echo_table(["ADDRESS", "CONTEXT", "MAX OUTPUT", "CAPABILITIES"], [_row(m) for m in found])
    elif not tried:
        click.echo("No installed provider lists models (see 'modelplex plugins').")
    elif not failed:
        click.echo("No models.")
    if tried and failed == tried:
        ctx.exit(1)
