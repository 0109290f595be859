"""``modelplex models``: the models to choose from, by tier, context, price and capability.

By default the listing is the bundled catalog with the config file's ``[models."provider/model"]``
overrides, and asks no provider: it is instant, works offline and without keys, and every row has the
same curated facts. ``--live`` also asks each configured provider for its model list (a free call), all
at once, each within ``--timeout`` seconds; what they say is merged in, and the models only they know
are added with unknown prices and capabilities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.output import echo_json, echo_table, error_message
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex
    from modelplex._catalog.merge import Resolved

_TIERS = ("flagship", "standard", "fast", "local")
_CAPABILITIES = ("chat", "streaming", "tools", "parallel_tool_calls", "vision", "json_schema",
                 "reasoning", "embeddings")
# The table's capabilities (the rest, chat, streaming and parallel tool calls, are in --json and show).
_SHOWN = ("tools", "vision", "json_schema", "reasoning", "embeddings")
_BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
LIVE_TIMEOUT = 5.0
_NO_KEY = "no API key"


class _Price(click.ParamType):  # type: ignore[type-arg]  # generic in newer click only
    name = "USD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        try:
            price = Decimal(str(value))
        except InvalidOperation:
            price = Decimal(-1)
        if not price.is_finite() or price < 0:
            self.fail(f"{value!r} is not a price in dollars (0 or more)", param, ctx)
        return price


class _Providers:
    """Every provider a model may be addressed by, and whether each can be called now."""

    def __init__(self, client: modelplex.Client) -> None:
        self.client = client.async_client
        registry, settings = self.client.registry, self.client.settings
        names = list(registry.names)
        for alias in sorted(settings.configured_names() - set(names)):
            if settings.plugin_for(alias) in registry.records:
                names.append(alias)
        self.names = names

    def problem(self, name: str) -> str | None:
        """Why ``name`` cannot be called now (``None``: it can)."""
        from modelplex import ModelplexError

        try:
            ctx = self.client.context(name)
            record = self.client.registry.owner(ctx.settings.plugin)
        except ModelplexError as exc:
            return error_message(exc)
        if record.info.requires_api_key and not ctx.settings.api_key:
            return _NO_KEY + (f" ({' or '.join(ctx.settings.api_key_env)})"
                              if ctx.settings.api_key_env else "")
        return None

    def lists(self, name: str) -> bool:
        record = self.client.registry.records.get(self.client.settings.plugin_for(name))
        return record is not None and "modelplex_list_models" in record.hooks


def _ask(client: modelplex.Client, providers: Sequence[str], timeout: float
         ) -> tuple[dict[str, list[modelplex.ModelInfo]], dict[str, str]]:
    """Every provider's listing at once, each within ``timeout`` seconds: what answered, what failed."""
    import concurrent.futures  # it imports logging: only when a listing is asked for

    from modelplex import ModelplexError

    answered: dict[str, list[modelplex.ModelInfo]] = {}
    failed: dict[str, str] = {}
    if not providers:
        return answered, failed
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(providers)))
    futures = {pool.submit(client.list_models, name): name for name in providers}
    done, late = concurrent.futures.wait(futures, timeout=timeout)
    for future in done:
        name = futures[future]
        try:
            answered[name] = future.result()
        except ModelplexError as exc:
            failed[name] = error_message(exc)
    for future in late:
        failed[futures[future]] = f"no answer within {timeout:g}s"
    # Late listings are left to the client, whose closing ends them; the command does not wait here.
    pool.shutdown(wait=False, cancel_futures=True)
    return answered, failed


def _note(unconfigured: dict[str, str], failed: dict[str, str]) -> None:
    """Everything about the providers that did not take part, on ONE line of stderr."""
    parts = []
    keyless = {n: w for n, w in unconfigured.items() if w.startswith(_NO_KEY)}
    if keyless:
        parts.append("no API key, their models marked 'no key': " + ", ".join(
            f"{name}{w.removeprefix(_NO_KEY)}" for name, w in sorted(keyless.items())))
    others = {n: w for n, w in unconfigured.items() if n not in keyless}
    if others:
        parts.append("unavailable: " + "; ".join(f"{n} ({w})" for n, w in sorted(others.items())))
    if failed:
        parts.append("could not list: " + "; ".join(f"{n} ({w})" for n, w in sorted(failed.items())))
    if parts:
        click.echo("note: " + " | ".join(parts), err=True)


def _price(value: Decimal | None) -> str:
    return "?" if value is None else f"{value.normalize():f}"


def _blended(model: modelplex.ModelInfo) -> Decimal | None:
    """What ``--max-price`` compares: the input plus the output price per million tokens."""
    p = model.prices
    return None if p.input is None or p.output is None else p.input + p.output


def _matches(model: modelplex.ModelInfo, *, capabilities: Sequence[str], tier: str | None,
             max_price: Decimal | None, min_context: int | None, local: bool, search: str | None) -> bool:
    # Unknown never passes a filter: a model not known to have a capability is not shown as having it.
    if tier is not None and model.tier != tier:
        return False
    if any(getattr(model.capabilities, c) is not True for c in capabilities):
        return False
    if max_price is not None and ((price := _blended(model)) is None or price > max_price):
        return False
    if min_context is not None and (model.context_window is None or model.context_window < min_context):
        return False
    if local and not model.local:
        return False
    if search:
        text = " ".join((model.address, model.name or "", *model.aliases)).casefold()
        return search.casefold() in text
    return True


def _row(model: modelplex.ModelInfo, status: str) -> list[str]:
    caps = [c for c in _SHOWN if getattr(model.capabilities, c) is True]
    return [model.address, model.tier or "?", _count(model.context_window), _count(model.max_output),
            _price(model.prices.input), _price(model.prices.output), ", ".join(caps) or "-", status]


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


@click.group(invoke_without_command=True)
@click.option("--provider", "-p", metavar="NAME", help="Only this provider's models.")
@click.option("--capability", "-c", "capabilities", multiple=True, type=click.Choice(_CAPABILITIES),
              help="Only models known to have it (repeat for several).")
@click.option("--tier", type=click.Choice(_TIERS), help="Only models of this tier.")
@click.option("--max-price", type=_Price(), metavar="USD",
              help="Only models whose input price plus output price, in dollars per million tokens, is "
                   "at most this (a million tokens in and a million out); unknown prices are left out.")
@click.option("--min-context", type=click.IntRange(min=1), metavar="TOKENS",
              help="Only models with a context window of at least this many tokens.")
@click.option("--local", is_flag=True, help="Only models that run on this machine.")
@click.option("--search", "-s", metavar="TEXT", help="Only models whose address, name or alias holds TEXT.")
@click.option("--live", is_flag=True, help="Also ask the configured providers for their model lists.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=LIVE_TIMEOUT,
              show_default=True, metavar="SECONDS", help="With --live: how long to wait for the lists.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the full records as a JSON list (money as strings), each with its 'address', "
                   "'configured' and 'listed' (by the provider; null without --live).")
@click.pass_context
def models(ctx: click.Context, provider: str | None, capabilities: tuple[str, ...], tier: str | None,
           max_price: Decimal | None, min_context: int | None, local: bool, search: str | None,
           live: bool, timeout: float, as_json: bool) -> None:
    """List the models to choose from: tier, context window, prices (dollars per million tokens, in and
    out) and capabilities, from the bundled catalog and your config's overrides; '?' is unknown.

    Models of providers that are not configured (no API key) are listed too, marked so. With --live the
    configured providers are asked as well; one that cannot be reached is one note on stderr.
    STATUS is 'ready', 'no key', or with --live 'listed' / 'not listed' by the provider.
    'modelplex models show ADDRESS' tells where each fact came from.
    """
    if ctx.invoked_subcommand is not None:
        return
    from modelplex import unstructure
    from modelplex._catalog.merge import known

    client = get_state(ctx).client
    everyone = _Providers(client)
    if provider is not None:
        everyone.client.context(provider)  # an unknown provider is the command's error
        names = [provider]
    else:
        names = everyone.names
    problems = {name: why for name in names if (why := everyone.problem(name)) is not None}
    answered: dict[str, list[modelplex.ModelInfo]] = {}
    failed: dict[str, str] = {}
    if live:
        asked = [n for n in names if n not in problems and everyone.lists(n)]
        answered, failed = _ask(client, asked, timeout)
    found: list[tuple[modelplex.ModelInfo, bool | None]] = []
    for name in names:
        listing = answered.get(name)
        seen = {m.id for m in listing} if listing is not None else None
        shown: set[str] = set()
        for model in known(everyone.client, name):
            shown.update((model.id, *model.aliases))
            found.append((model, None if seen is None else bool(seen & {model.id, *model.aliases})))
        for model in listing or ():  # merged already by list_models
            if model.id not in shown:
                found.append((model, True))
    chosen = [(m, s) for m, s in found if _matches(m, capabilities=capabilities, tier=tier,
                                                     max_price=max_price, min_context=min_context,
                                                     local=local, search=search)]
    if live and failed and not found:
        click.echo(f"error: {'; '.join(f'{n}: {w}' for n, w in sorted(failed.items()))}", err=True)
        ctx.exit(1)
    _note({n: w for n, w in problems.items() if any(m.provider == n for m, _ in chosen)}, failed)
    if as_json:
        echo_json([{**unstructure(m), "address": m.address, "configured": m.provider not in problems,
                    "listed": s} for m, s in chosen])
    elif chosen:
        echo_table(["ADDRESS", "TIER", "CONTEXT", "MAX OUT", "IN $/M", "OUT $/M", "CAPABILITIES", "STATUS"],
                   [_row(m, _status(m, s, problems)) for m, s in chosen])
    elif found:
        click.echo("No model matches.")
    elif provider is not None and not live:
        click.echo(f"The catalog knows no models of {provider!r}; --live asks it.")
    else:
        click.echo("No models.")


def _status(model: modelplex.ModelInfo, listed: bool | None, problems: dict[str, str]) -> str:
    if model.provider in problems:
        return "no key" if problems[model.provider].startswith(_NO_KEY) else "unavailable"
    if listed is None:
        return "ready"
    return "listed" if listed else "not listed"


@models.command()
@click.argument("address")
@click.option("--live", is_flag=True, help="Ask the model's provider for its model list first.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=LIVE_TIMEOUT,
              show_default=True, metavar="SECONDS", help="With --live: how long to wait for the list.")
@click.option("--json", "as_json", is_flag=True, help="Print the record, its sources and resolution.")
@click.pass_context
def show(ctx: click.Context, address: str, live: bool, timeout: float, as_json: bool) -> None:
    """What is known of the model ADDRESS (provider/model), where each fact came from (catalog, live
    listing, override) and how its name was resolved (exact, alias, dated snapshot)."""
    from modelplex import unstructure
    from modelplex._catalog.merge import resolve

    provider, slash, model = address.partition("/")
    if not slash or not provider or not model:
        raise click.UsageError(f"{address!r} is not a model address: write provider/model")
    client = get_state(ctx).client
    everyone = _Providers(client)
    problem = everyone.problem(provider) if provider in everyone.names else "not installed"
    if live and problem is None and everyone.lists(provider):
        _, failed = _ask(client, [provider], timeout)
        _note({}, failed)
    found = resolve(client, provider, model)
    if found is None:
        import difflib

        near = difflib.get_close_matches(address, _addresses(everyone), n=3, cutoff=0.75)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        click.echo(f"error: unknown model {address!r}: neither the catalog, nor an override"
                   f"{', nor its listing' if live else ''} knows it{hint}", err=True)
        ctx.exit(1)
    if as_json:
        echo_json({**unstructure(found.info), "address": found.info.address, "configured": problem is None,
                   "resolution": {"how": found.how, "via": found.via, "target": found.target}})
        return
    _explain(found, address, problem)


def _addresses(everyone: _Providers) -> list[str]:
    from modelplex._catalog.merge import catalog_of, overrides_of

    client = everyone.client
    names = {m.address for m in catalog_of(client.registry, client).models()}
    names |= {f"{m.provider}/{a}" for m in catalog_of(client.registry, client).models() for a in m.aliases}
    names |= {o.address for o in overrides_of(client)}
    names |= set(client.learned)
    return sorted(names)


def _explain(found: Resolved, address: str, problem: str | None) -> None:
    info = found.info
    how = {"exact": "its exact name", "alias": f"an alias of {found.target}",
           "dated snapshot": f"a dated snapshot of {found.target}", "tag": f"a tag of {found.target}",
           "deployment": f"a deployment of {found.target}", "unknown": "only its provider's listing"}
    click.echo(f"{address}" + (f"  ({info.name})" if info.name else ""))
    by = f", by the {found.via}" if found.via else ""
    click.echo(f"  resolved as {how.get(found.how, found.how)}{by}")
    click.echo(f"  provider {info.provider}: {problem or 'configured'}")
    src = info.sources
    rows = [["tier", info.tier or "?", src.get("tier", "")],
            ["context window", _count(info.context_window), src.get("context_window", "")],
            ["max input", _count(info.max_input), src.get("max_input", "")],
            ["max output", _count(info.max_output), src.get("max_output", "")],
            ["input", _list(info.input_modalities), src.get("input_modalities", "")],
            ["output", _list(info.output_modalities), src.get("output_modalities", "")],
            ["runs", "locally" if info.local else "at the provider", src.get("local", "")],
            ["retention", info.retention or "?", src.get("retention", "")],
            ["aliases", ", ".join(info.aliases) or "-", src.get("aliases", "")]]
    rows += [[f"can {c}", _yes(getattr(info.capabilities, c)), src.get(f"capabilities.{c}", "")]
             for c in _CAPABILITIES]
    prices = info.prices
    rows += [[f"price {b} $/M", _bucket(prices, b), src.get(f"prices.{b}", "")] for b in _BUCKETS]
    rows += [[f"price above {t.above} in", ", ".join(f"{b} {_price(getattr(t, b))}" for b in _BUCKETS
                                                      if getattr(t, b) is not None), src.get("prices", "")]
             for t in prices.tiers]
    if prices.effective is not None or prices.source is not None:
        rows.append(["prices from", f"{prices.source or '?'}, effective {prices.effective or '?'}",
                     src.get("prices", "")])
    # The source before the value: a long value (a retention note) then pushes no column out.
    echo_table(["FACT", "SOURCE", "VALUE"], [[fact, source or "-", value] for fact, value, source in rows])


def _bucket(prices: modelplex.Prices, bucket: str) -> str:
    value = getattr(prices, bucket)
    # Two buckets are billed at another's price unless priced apart (see Prices).
    fallback = {"reasoning": "output", "cache_write_1h": "cache_write"}.get(bucket)
    if value is None and fallback is not None and getattr(prices, fallback) is not None:
        return f"{_price(getattr(prices, fallback))} (as {fallback})"
    return _price(value)


def _yes(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"


def _list(items: Iterable[str] | None) -> str:
    return "?" if items is None else ", ".join(items) or "-"
