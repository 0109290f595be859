"""``modelplex aliases set|list|rm``: short names for addresses, in ``[aliases]`` of the config file.

``modelplex aliases set fast groq/llama-3.1-8b-instant`` and then ``modelplex chat -m fast "hi"`` (or
``client.chat("fast", ...)``): see :mod:`modelplex._aliases`.
"""

from __future__ import annotations

import click

from modelplex._cli.output import echo_json, echo_table
from modelplex._cli.state import get_state


@click.group()
def aliases() -> None:
    """Short names for models and chains (modelplex chat -m NAME)."""


@aliases.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the aliases as a JSON object.")
@click.pass_context
def list_aliases(ctx: click.Context, as_json: bool) -> None:
    """Every alias and the address it stands for."""
    from modelplex._aliases import aliases_of

    found = aliases_of(get_state(ctx).client.async_client.config)
    if as_json:
        echo_json(found)
    elif not found:
        click.echo("no aliases; add one with: modelplex aliases set NAME PROVIDER/MODEL", err=True)
    else:
        echo_table(["ALIAS", "ADDRESS"], [[name, target] for name, target in sorted(found.items())])


@aliases.command("set")
@click.argument("name")
@click.argument("address")
@click.option("--force", is_flag=True, help="Save it even if no installed provider or chain matches.")
@click.pass_context
def set_alias(ctx: click.Context, name: str, address: str, force: bool) -> None:
    """Make NAME stand for ADDRESS (provider/model or chain/NAME)."""
    from modelplex._aliases import check_alias_name, check_target
    from modelplex._cli.models_default import check_address
    from modelplex._config_write import config_path, editing, table

    check_alias_name(name)
    check_target(name, address)
    client = get_state(ctx).client
    if not force:
        check_address(client, address)
    path = config_path(client.async_client.settings.env)
    with editing(path) as doc:
        table(doc, "aliases")[name] = address
    click.echo(f"{name} -> {address} (saved in [aliases] of {path})")


@aliases.command("rm")
@click.argument("name")
@click.pass_context
def remove_alias(ctx: click.Context, name: str) -> None:
    """Remove alias NAME."""
    from modelplex._config_write import config_path, remove

    path = config_path(get_state(ctx).client.async_client.settings.env)
    try:
        remove(path, "aliases", name)
    except KeyError:
        raise click.ClickException(f"no alias {name!r} in {path} (see 'modelplex aliases list')") from None
    click.echo(f"{name}: alias removed")
