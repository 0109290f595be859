"""``modelplex models default [ADDRESS]``: the model ``modelplex chat`` uses without ``-m``.

Kept as ``default_model`` at the top of the config file. Without one, ``chat`` uses the model the last
chat used (:mod:`modelplex._cli.last_used`); with neither, it asks for ``-m``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from modelplex._cli.output import echo_json
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex


@click.command("default")
@click.argument("address", required=False)
@click.option("--unset", is_flag=True, help="Remove the default model (chat then uses the last one used).")
@click.option("--force", is_flag=True, help="Save ADDRESS even if the catalog does not know the model.")
@click.option("--json", "as_json", is_flag=True, help="Show the default and the last used model as JSON.")
@click.pass_context
def default(ctx: click.Context, address: str | None, unset: bool, force: bool, as_json: bool) -> None:
    """Show the default model, or make ADDRESS (provider/model, chain/NAME or an alias) the default."""
    from modelplex._cli.last_used import last_used
    from modelplex._config_write import config_path, editing

    client = get_state(ctx).client
    inner = client.async_client
    if address is None and not unset:
        current = inner.config.get("default_model")
        if as_json:
            echo_json({"default_model": current, "last_used": last_used()})
        elif current:
            click.echo(f"{current} (default_model in {config_path(inner.settings.env)})")
        else:
            used = last_used()
            click.echo(f"no default model; chat uses the last one used: {used}" if used else
                       "no default model, and none used yet; set one with: modelplex models default "
                       "PROVIDER/MODEL")
        return
    if address is not None and unset:
        raise click.UsageError("give ADDRESS or --unset, not both")
    path = config_path(inner.settings.env)
    with editing(path) as doc:
        if unset:
            doc.pop("default_model", None)
        else:
            assert address is not None
            if not force:
                check_address(client, address)
            doc["default_model"] = address
    click.echo("default model removed" if unset else f"default model: {address} (saved in {path})")


def chat_model(client: modelplex.Client, given: str | None) -> str:
    """The model a chat uses: ``-m``, else the default model, else the last used, else a usage error."""
    from modelplex._cli.last_used import last_used

    if given:
        return given
    configured = client.async_client.config.get("default_model")
    if configured is not None:
        if not isinstance(configured, str) or not configured:
            raise click.ClickException("default_model in the config file must be an address string")
        return configured
    used = last_used()
    if used is not None:
        return used
    raise click.UsageError("no model given and no default: pass -m/--model PROVIDER/MODEL, or set a default "
                           "with 'modelplex models default PROVIDER/MODEL'")


def check_address(client: modelplex.Client, address: str) -> None:
    """Refuse an address nothing installed or configured can serve, suggesting close names: a chain
    nobody defined, a provider no plugin serves, or a model its provider's catalog does not list."""
    from modelplex._aliases import aliases_of
    from modelplex._catalog.merge import catalog_of, resolve
    from modelplex._suggest import close_names

    inner = client.async_client
    aliases = aliases_of(inner.config)
    if "/" not in address:
        if address in aliases:
            return
        near = close_names(address, aliases)
        raise click.ClickException(f"{address!r} is neither provider/model nor an alias" +
                                   (f"; did you mean {' or '.join(near)}?" if near else ""))
    provider, _, model = address.partition("/")
    if provider == "chain":
        chains = client.chains()
        if model not in chains:
            _refuse(f"no chain {model!r}", close_names(model, chains), f"chains: {', '.join(sorted(chains))}")
        return
    registry, settings = inner.registry, inner.settings
    known = {*registry.names, *settings.configured_names()}
    plugin_aliases = {a for r in registry.records.values() for a in r.info.aliases}
    if provider not in known | plugin_aliases:
        _refuse(f"unknown provider {provider!r}", close_names(provider, known),
                f"installed: {', '.join(sorted(registry.names)) or 'none'}")
    if resolve(inner, provider, model) is not None:
        return
    listed = [m.id for m in catalog_of(registry, inner).models(provider)]
    if listed:  # a provider the catalog knows, and not this model of it: most likely a typo
        near = [f"{provider}/{n}" for n in close_names(model, listed)]
        _refuse(f"the catalog knows no model {address!r}", near,
                "see 'modelplex models'; --force saves it anyway")


def _refuse(what: str, near: list[str], then: str) -> None:
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    raise click.ClickException(f"{what}{hint} ({then})")
