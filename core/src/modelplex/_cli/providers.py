"""``modelplex providers list|add|test|rm``: provider configurations, kept in the config file.

``add`` writes ``[providers.NAME]`` (base URL, default model, headers, enabled, the plugin that serves a
second name); keys are not part of it (``modelplex keys set``). ``test`` asks the provider for its model
list, a free call that needs the network and a valid key and bills nothing, and says how long it took or
what failed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.output import echo_json, echo_table, error_message
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex

TEST_TIMEOUT = 15.0


@click.group()
def providers() -> None:
    """Provider configurations: where each is, which plugin serves it, whether it is enabled."""


@providers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the providers as JSON.")
@click.pass_context
def list_providers(ctx: click.Context, as_json: bool) -> None:
    """Every installed provider and every configured name, with its base URL and where its key comes from."""
    rows = [_describe(get_state(ctx).client, name) for name in _names(get_state(ctx).client)]
    if as_json:
        echo_json(rows)
        return
    echo_table(["NAME", "PLUGIN", "ENABLED", "KEY FROM", "DEFAULT MODEL", "BASE URL"],
               [[r["name"], r["plugin"], "yes" if r["enabled"] else "no", r["key_from"] or "-",
                 r["default_model"] or "-", r["base_url"] or "-"] for r in rows])


@providers.command("add")
@click.argument("name")
@click.option("--plugin", metavar="PLUGIN", help="The plugin that serves NAME, when NAME is a second name "
              "(openai-like for LM Studio, vLLM, llama.cpp...).")
@click.option("--base-url", metavar="URL", help="Where the provider's API is.")
@click.option("--default-model", metavar="MODEL", help="The model a call addressed to NAME alone uses.")
@click.option("--header", "headers", multiple=True, metavar="NAME=VALUE",
              help="A header sent with every request (not a credential: those go to 'modelplex keys "
                   "set'). Repeatable.")
@click.option("--api-key-env", metavar="VARIABLE", help="Read the key from this environment variable.")
@click.option("--enable/--disable", "enabled", default=None, help="Whether calls may use it.")
@click.option("--force", is_flag=True, help="Save --default-model even if the catalog does not know it.")
@click.pass_context
def add(ctx: click.Context, name: str, plugin: str | None, base_url: str | None, default_model: str | None,
        headers: tuple[str, ...], api_key_env: str | None, enabled: bool | None, force: bool) -> None:
    """Add provider NAME to the config file, or change the settings given of one there."""
    from modelplex._config_write import config_path, editing, table
    from modelplex._keys.store import check_provider
    from modelplex._secret import is_secret_name
    from modelplex._suggest import close_names

    check_provider(name)
    inner = get_state(ctx).client.async_client
    registry = inner.registry
    owner = plugin or inner.settings.plugin_for(name)
    if owner not in registry.names and not any(owner in r.info.aliases for r in registry.records.values()):
        near = close_names(owner, registry.names)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        what = f"plugin {owner!r} is not installed" if plugin else \
            f"{name!r} is no installed plugin's name: give the plugin that serves it with --plugin"
        raise click.ClickException(f"{what}{hint} (installed: {', '.join(registry.names) or 'none'})")
    parsed: dict[str, str] = {}
    for pair in headers:
        header, eq, value = pair.partition("=")
        if not eq or not header.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--header")
        if is_secret_name(header):
            raise click.BadParameter(f"{header.strip()} carries a credential, which does not belong in the "
                                     f"config file: store the key with 'modelplex keys set {name}'",
                                     param_hint="--header")
        parsed[header.strip()] = value.strip()
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{base_url!r} is not an http:// or https:// URL", param_hint="--base-url")
    if default_model is not None and not force and name in registry.names:
        from modelplex._cli.models_default import check_address

        check_address(get_state(ctx).client, f"{name}/{default_model}")  # a typo, with a close name
    path = config_path(inner.settings.env)
    with editing(path) as doc:
        section = table(doc, "providers", name)
        values: dict[str, Any] = {"plugin": plugin, "base_url": base_url, "default_model": default_model,
                                  "api_key_env": api_key_env, "enabled": enabled}
        for key, value in values.items():
            if value is not None:
                section[key] = value
        if parsed:
            import tomlkit

            current = section.get("headers")
            merged = {**(dict(current) if current is not None else {}), **parsed}
            inline = tomlkit.inline_table()
            inline.update(merged)
            section["headers"] = inline
    click.echo(f"{name}: saved in [providers.{name}] of {path}")
    _hint_key(name, api_key_env)


def _hint_key(name: str, api_key_env: str | None) -> None:
    """After ``add``, the next step when the provider needs a key it has not got."""
    import modelplex
    from modelplex._keys.sources import key_source

    with modelplex.Client() as fresh:  # the file just written, read as the next call will
        inner = fresh.async_client
        try:
            info = inner.registry.owner(inner.settings.plugin_for(name)).info
            missing = info.requires_api_key and key_source(inner.settings, name, info) is None
        except modelplex.ModelplexError:
            return
    if missing:
        where = f"set ${api_key_env}, or " if api_key_env else ""
        click.echo(f"note: {name} has no API key yet: {where}store one with: modelplex keys set {name}",
                   err=True)


@providers.command("rm")
@click.argument("name")
@click.pass_context
def remove(ctx: click.Context, name: str) -> None:
    """Remove provider NAME's section from the config file (its stored key stays: 'modelplex keys rm')."""
    from modelplex._config_write import config_path, remove

    path = config_path(get_state(ctx).client.async_client.settings.env)
    try:
        remove(path, "providers", name)
    except KeyError:
        raise click.ClickException(f"the config file {path} has no [providers.{name}]") from None
    click.echo(f"{name}: removed from {path}")


@providers.command("test")
@click.argument("name")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=TEST_TIMEOUT,
              show_default=True, metavar="SECONDS", help="How long to wait for the answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_context
def test(ctx: click.Context, name: str, timeout: float, as_json: bool) -> None:
    """Check that NAME answers and takes its key, by asking for its model list (free of charge)."""
    from modelplex import ModelplexError
    from modelplex._call.attempt import listing

    client = get_state(ctx).client
    described = _describe(client, name)
    outcome: dict[str, Any] = {"provider": name, "ok": False, "seconds": None, "models": None,
                               "error": None, "base_url": described["base_url"],
                               "key_from": described["key_from"]}
    inner = client.async_client
    try:
        record = inner.registry.owner(inner.settings.plugin_for(name))
        if "modelplex_list_models" not in record.hooks:
            raise click.ClickException(f"{name}: its plugin ({record.name}) lists no models, the one check "
                                       f"that costs nothing; try a call with 'modelplex chat'")
        if record.info.requires_api_key:
            inner.context(name).api_key()  # no key: say so before any request
        started = time.monotonic()
        try:
            listed = client._run(listing, inner, name, timeout)
        finally:
            outcome["seconds"] = round(time.monotonic() - started, 3)
        outcome.update(ok=True, models=len(listed))
    except ModelplexError as exc:
        outcome["error"] = _explain(exc, name, described)
    if as_json:
        echo_json(outcome)
    elif outcome["ok"]:
        click.echo(f"{name}: ok in {outcome['seconds']:.2f}s, {outcome['models']} models listed "
                   f"(key from {outcome['key_from'] or 'nowhere: none needed'}, {outcome['base_url']})")
    else:
        took = f" after {outcome['seconds']:.2f}s" if outcome["seconds"] is not None else ""
        click.echo(f"error: {name}: failed{took}: {outcome['error']}", err=True)
    if not outcome["ok"]:
        ctx.exit(1)


def _explain(exc: Exception, name: str, described: dict[str, Any]) -> str:
    """What failed, with the setting to change: the key's source for a refused key."""
    from modelplex.errors import AuthenticationError, MissingCredentialsError

    message = error_message(exc).removeprefix(f"{name}: ")  # the line names the provider once
    if isinstance(exc, MissingCredentialsError):
        return f"no API key; store one with: modelplex keys set {name}"
    if isinstance(exc, AuthenticationError):
        return (f"authentication failed: {name} refused the key from {described['key_from']} ({message}); "
                f"store the right one with: modelplex keys set {name}")
    return message


def _names(client: modelplex.Client) -> list[str]:
    inner = client.async_client
    return sorted({*inner.registry.names, *inner.settings.configured_names()})


def _describe(client: modelplex.Client, name: str) -> dict[str, Any]:
    """One provider's row: its settings as configured, and where its key comes from (never the key)."""
    from modelplex import ModelplexError
    from modelplex._keys.sources import key_source

    inner = client.async_client
    settings = inner.settings
    file = settings.file.get(name, {})
    row: dict[str, Any] = {"name": name, "plugin": settings.plugin_for(name),
                           "configured": name in settings.configured_names(),
                           "enabled": file.get("enabled", True) is not False,
                           "default_model": file.get("default_model"), "base_url": file.get("base_url"),
                           "base_url_from": None, "key_from": None, "problem": None}
    try:
        record = inner.registry.owner(row["plugin"])
        row["plugin"] = record.name
        row["key_from"] = key_source(settings, name, record.info)
        if row["enabled"]:
            resolved = settings.resolve(name, record.info, plugin=record.name)
            row["base_url"] = resolved.base_url
            row["base_url_from"] = getattr(resolved, "base_url_source", None)
    except ModelplexError as exc:
        row["problem"] = error_message(exc)
    return row
