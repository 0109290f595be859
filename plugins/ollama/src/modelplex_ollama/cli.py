"""``modelplex ollama ...``: list, ps, show, pull, rm, update and search, added to the ``modelplex``
command by the plugin's ``modelplex_register_commands`` hook.

Every command finds Ollama as chat does: ``--host``, else ``[providers.ollama] base_url`` of the config
file, ``OLLAMA_HOST`` or ``OLLAMA_BASE_URL``, else ``http://localhost:11434``. Errors are the
``modelplex`` command's one ``error: ...`` line and exit code 1. Importing this module imports no
HTTP library and no ``rich``: each command imports what it uses.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from modelplex_ollama.manage import OllamaManager
    from modelplex_ollama.progress import PullView
    from modelplex_ollama.records import PullProgress, UpdateResult

T = TypeVar("T")
_META = "modelplex_ollama.host"
INTERRUPTED = 130


def _manager(ctx: click.Context) -> OllamaManager:
    from modelplex_ollama.manage import OllamaManager

    host = ctx.meta.get(_META)
    if host:
        return OllamaManager(host)
    import modelplex

    client = modelplex.AsyncClient()  # the config file and environment, as 'modelplex chat' reads them
    return OllamaManager.from_settings(client.context("ollama").settings)


def _run(ctx: click.Context, work: Callable[[OllamaManager], Awaitable[T]]) -> T:
    async def main() -> T:
        async with _manager(ctx) as manager:
            return await work(manager)
    return asyncio.run(main())


def _echo_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from modelplex_ollama.display import table

    for line in table(headers, rows):
        click.echo(line)


def _dump(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group()
@click.option("--host", metavar="URL", help="Where Ollama is, as OLLAMA_HOST takes it (default: "
              "the config file, OLLAMA_HOST, OLLAMA_BASE_URL, http://localhost:11434).")
@click.pass_context
def ollama(ctx: click.Context, host: str | None) -> None:
    """Manage Ollama's models: list, ps, show, pull, rm, update, search."""
    ctx.meta[_META] = host


@ollama.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the models as JSON.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """The models Ollama has: size, family, parameters, quantization, when changed."""
    from modelplex_ollama.display import ago, human_bytes, short_digest

    models = _run(ctx, lambda m: m.list())
    if as_json:
        _dump([dict(m.raw) for m in models])
        return
    if not models:
        click.echo("No models yet: pull one with 'modelplex ollama pull llama3.2' "
                   "(see 'modelplex ollama search').")
        return
    _echo_table(["NAME", "ID", "SIZE", "FAMILY", "PARAMETERS", "QUANTIZATION", "MODIFIED"],
                [[m.name, short_digest(m.digest), human_bytes(m.size), m.family or "-",
                  m.parameter_size or "-", m.quantization or "-", ago(m.modified_at)] for m in models])


@ollama.command()
@click.option("--json", "as_json", is_flag=True, help="Print the loaded models as JSON.")
@click.pass_context
def ps(ctx: click.Context, as_json: bool) -> None:
    """The models loaded in memory: size, GPU memory, context, until when."""
    from modelplex_ollama.display import ago, human_bytes, short_digest

    models = _run(ctx, lambda m: m.ps())
    if as_json:
        _dump([dict(m.raw) for m in models])
        return
    if not models:
        click.echo("No model is loaded.")
        return
    _echo_table(["NAME", "ID", "SIZE", "GPU MEMORY", "PROCESSOR", "CONTEXT", "UNTIL"],
                [[m.name, short_digest(m.digest), human_bytes(m.size), human_bytes(m.size_vram),
                  m.processor, str(m.context_length or "-"), ago(m.expires_at)] for m in models])


@ollama.command()
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Print Ollama's whole answer as JSON.")
@click.pass_context
def show(ctx: click.Context, model: str, as_json: bool) -> None:
    """What Ollama says of MODEL: architecture, size, context length, capabilities, parameters."""
    details = _run(ctx, lambda m: m.show(model))
    if as_json:
        _dump(dict(details.raw))
        return
    rows = [("architecture", details.architecture), ("parameters", details.parameter_size),
            ("context length", details.context_length), ("embedding length", details.embedding_length),
            ("quantization", details.quantization), ("capabilities", ", ".join(details.capabilities))]
    click.echo(f"  {details.name}")
    for label, value in rows:
        if value:
            click.echo(f"    {label:<18}{value}")
    if details.parameters:
        click.echo("\n  Parameters")
        for line in details.parameters.splitlines():
            click.echo(f"    {' '.join(line.split())}")
    if details.license:
        click.echo("\n  License")
        click.echo(f"    {details.license.strip().splitlines()[0]}")


async def _pull_into(manager: OllamaManager, model: str, view: PullView) -> int:
    total: dict[str, int] = {}
    async for step in manager.pull(model):
        view.update(step)
        if step.digest and step.total:
            total[step.digest] = step.total
    return sum(total.values())


def _resume_hint(models: Sequence[str]) -> str:
    return (f"Interrupted: the pull stopped. Run 'modelplex ollama pull {' '.join(models)}' again to "
            "resume: Ollama keeps what was downloaded so far.")


@ollama.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.pass_context
def pull(ctx: click.Context, models: tuple[str, ...]) -> None:
    """Download MODEL (name or name:tag) with a progress bar per layer.

    On a terminal the bars are redrawn in place; elsewhere (CI, pipes) progress is plain lines.
    Ctrl-C stops cleanly; pulling again resumes where it stopped.
    """
    import time

    from modelplex_ollama.disk import space_warning
    from modelplex_ollama.display import human_bytes, human_duration
    from modelplex_ollama.progress import make_view

    async def work(manager: OllamaManager) -> None:
        for model in models:
            warning = space_warning(model, manager.base_url)
            if warning:
                click.echo(f"warning: {warning}", err=True)
            view = make_view()
            started = time.monotonic()
            try:
                size = await _pull_into(manager, model, view)
            finally:
                view.close()
            took = human_duration(time.monotonic() - started)
            click.echo(f"pulled {model}" + (f" ({human_bytes(size)}, {took})" if size else ""))

    try:
        _run(ctx, work)
    except KeyboardInterrupt:
        click.echo("\n" + _resume_hint(models), err=True)
        ctx.exit(INTERRUPTED)


@ollama.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.pass_context
def rm(ctx: click.Context, models: tuple[str, ...]) -> None:
    """Remove MODEL from Ollama."""
    from modelplex import ModelplexError

    async def work(manager: OllamaManager) -> int:
        failed = 0
        for model in models:
            try:
                await manager.delete(model)
            except ModelplexError as exc:
                failed += 1
                click.echo(f"error: {exc.message}", err=True)
            else:
                click.echo(f"deleted '{model}'")
        return failed

    if _run(ctx, work):
        ctx.exit(1)


@ollama.command()
@click.argument("models", nargs=-1, metavar="[MODEL...]")
@click.pass_context
def update(ctx: click.Context, models: tuple[str, ...]) -> None:
    """Pull MODEL (default: every model Ollama has) again, and say which changed.

    A model whose digest changed was updated; the others were up to date.
    """
    from modelplex_ollama.display import short_digest
    from modelplex_ollama.progress import make_view

    views: dict[str, PullView] = {}

    def progress(model: str, step: PullProgress) -> None:
        if model not in views:
            for view in views.values():
                view.close()
            click.echo(f"updating {model}")
            views[model] = make_view()
        views[model].update(step)

    async def work(manager: OllamaManager) -> list[UpdateResult]:
        try:
            return await manager.update(models or None, progress=progress)
        finally:
            for view in views.values():
                view.close()

    try:
        results = _run(ctx, work)
    except KeyboardInterrupt:
        click.echo("\nInterrupted: run 'modelplex ollama update' again to go on.", err=True)
        ctx.exit(INTERRUPTED)
    if not results:
        click.echo("No models to update.")
        return
    rows = []
    for r in results:
        state = f"failed: {r.error}" if r.error else ("updated" if r.changed else "up to date")
        rows.append([r.model, short_digest(r.old_digest) or "-", short_digest(r.new_digest) or "-", state])
    _echo_table(["MODEL", "BEFORE", "AFTER", "RESULT"], rows)
    if any(r.error for r in results):
        ctx.exit(1)


@ollama.command()
@click.argument("text", nargs=-1, required=True)
def search(text: tuple[str, ...]) -> None:
    """Find popular library models by name, description, capability or size tag.

    Ollama has no search API: this searches a catalog of well-known models shipped with the
    plugin, with approximate download sizes.
    """
    from modelplex_ollama.catalog import search as find
    from modelplex_ollama.display import human_bytes

    query = " ".join(text)
    found = find(query)
    if not found:
        click.echo(f"No model in the catalog matches {query!r}. It lists popular models only; the "
                   "whole library is at https://ollama.com/library.")
        return
    rows = []
    for m in found:
        sizes = ", ".join(f"{tag} {human_bytes(size)}" for tag, size in m.tags.items())
        rows.append([m.name, sizes, ", ".join(m.capabilities) or "-", m.description])
    _echo_table(["NAME", "TAGS AND SIZES", "CAPABILITIES", "DESCRIPTION"], rows)
    click.echo(f"\nSizes are approximate. Pull one with 'modelplex ollama pull NAME[:TAG]', for "
               f"example 'modelplex ollama pull {found[0].name}:{found[0].default}'.")


def main(argv: Sequence[str] | None = None) -> Any:  # pragma: no cover - a convenience entry
    return ollama.main(args=list(argv) if argv is not None else sys.argv[1:])
