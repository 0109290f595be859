"""``modelplex keys set|list|rm``: API keys stored once, in the keyring or a 0600 file, never shown again.

A key is read from a hidden prompt, or from standard input when it is not a terminal
(``printf %s "$KEY" | modelplex keys set openai``); never from the command line, which shells keep in
their history and other users see in the process list.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from modelplex._cli.output import echo_json, echo_table
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex
    from modelplex._keys import StoredKey

_LONGEST_NAME = 24
_ARGV_REFUSED = ("a key on the command line stays in your shell's history and shows in the process list; "
                 "type it at the prompt, or pipe it: printf %s \"$KEY\" | modelplex keys set {provider}")


@click.group()
def keys() -> None:
    """API keys, kept in the keyring or a 0600 file; shown only by their last four characters."""


@keys.command("set")
@click.argument("provider")
@click.argument("key_on_argv", required=False, metavar="")
@click.option("--store", type=click.Choice(["auto", "keyring", "file"]), default="auto", show_default=True,
              help="Where to keep it: the keyring when one is usable (auto), or the 0600 key file.")
@click.pass_context
def set_key(ctx: click.Context, provider: str, key_on_argv: str | None, store: str) -> None:
    """Store the API key of PROVIDER, read from a hidden prompt or standard input."""
    from modelplex._keys import KeyStore
    from modelplex._secret import remember, scrub

    if key_on_argv is not None:
        remember(key_on_argv)  # the refusal must not leak it through a log line either
        raise click.UsageError(_ARGV_REFUSED.format(provider=provider))
    # 'keys set sk-...': the key where the name goes, never to be echoed. No provider's name is that long,
    # and many keys (Mistral's, Together's) have no shape to tell them by.
    if scrub(provider) != provider or len(provider) >= _LONGEST_NAME:
        remember(provider)
        raise click.UsageError("PROVIDER looks like a key: give the provider's name (openai, anthropic...); "
                               + _ARGV_REFUSED.format(provider="NAME"))
    client = get_state(ctx).client
    check_known(client, provider)
    if sys.stdin.isatty():
        key = click.prompt(f"API key for {provider}", hide_input=True, prompt_suffix=": ", err=True)
    else:
        key = sys.stdin.read()
    stored = KeyStore(client.async_client.settings.env).set(provider, key, store)  # type: ignore[arg-type]
    click.echo(f"{provider}: key ending {stored.ending} stored in {_where(stored)}")
    shadow = _shadowed_by(client, provider)
    if shadow is not None:
        click.echo(f"warning: {provider} calls will use the key from {shadow}, which comes first; "
                   f"remove it there to use the stored key", err=True)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys' records as JSON.")
@click.pass_context
def list_keys(ctx: click.Context, as_json: bool) -> None:
    """The stored keys: provider, where each is kept, its last four characters, and whether calls use it."""
    from modelplex._keys import KeyStore

    client = get_state(ctx).client
    stored = KeyStore(client.async_client.settings.env).list()
    rows = [(k, _shadowed_by(client, k.provider)) for k in stored]
    if as_json:
        echo_json([{"provider": k.provider, "stored_in": k.where, "location": k.location, "ending": k.ending,
                    "used": shadow is None, "overridden_by": shadow} for k, shadow in rows])
        return
    if not rows:
        click.echo("no keys stored; add one with: modelplex keys set PROVIDER", err=True)
        return
    echo_table(["PROVIDER", "STORED IN", "KEY", "USED"],
               [[k.provider, _where(k), f"...{k.ending}" if k.ending else "?",
                 "yes" if shadow is None else f"no: {shadow} comes first"] for k, shadow in rows])


@keys.command("rm")
@click.argument("provider")
@click.pass_context
def remove_key(ctx: click.Context, provider: str) -> None:
    """Remove the stored key of PROVIDER (from the keyring or the key file)."""
    from modelplex._keys import KeyStore

    client = get_state(ctx).client
    removed = KeyStore(client.async_client.settings.env).remove(provider)
    if removed is None:
        raise click.ClickException(f"no key stored for {provider!r} (see 'modelplex keys list')")
    click.echo(f"{provider}: key removed from {_where(removed)}")


def _where(stored: StoredKey) -> str:
    return stored.location if stored.where == "keyring" else f"{stored.location} (mode 0600)"


def check_known(client: modelplex.Client, provider: str) -> None:
    """Refuse a provider name that no plugin serves and no config names, suggesting close ones."""
    from modelplex._suggest import close_names

    inner = client.async_client
    known = {*inner.registry.names, *inner.settings.configured_names()}
    if provider in known or any(provider in r.info.aliases for r in inner.registry.records.values()):
        return
    near = close_names(provider, known)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    raise click.ClickException(f"unknown provider {provider!r}: no installed plugin serves it and the config "
                               f"names no such provider{hint} (add one with 'modelplex providers add')")


def _shadowed_by(client: modelplex.Client, provider: str) -> str | None:
    """The source whose key calls to ``provider`` use before the stored one (``None``: the stored one)."""
    from modelplex import ModelplexError
    from modelplex._keys.sources import key_source

    inner = client.async_client
    try:
        info = inner.registry.owner(inner.settings.plugin_for(provider)).info
    except ModelplexError:
        return None
    source = key_source(inner.settings, provider, info)
    return None if source is None or source.startswith("the key store") else source
