"""``modelplex serve`` and the ``modelplex gateway`` group (its ``keys`` commands come from
:mod:`modelplex_gateway.keys` when present). Importing this module imports neither Starlette nor uvicorn:
listing the ``modelplex`` commands stays fast."""

from __future__ import annotations

import importlib

import click

from modelplex_gateway.config import DEFAULT_HOST, DEFAULT_PORT, GatewayConfig


def register(cli: click.Group) -> None:
    """Add ``serve`` and ``gateway`` to ``cli`` (the ``modelplex`` group)."""
    from modelplex_gateway.ui.command import ui

    cli.add_command(serve)
    cli.add_command(gateway)
    cli.add_command(ui)
    try:
        keys = importlib.import_module("modelplex_gateway.keys.cli")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("modelplex_gateway.keys"):
            raise
        return
    keys.register(gateway)


@click.group()
def gateway() -> None:
    """The gateway's administration: virtual keys."""


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="The interface to listen on; 0.0.0.0 for every one (then create keys first: without "
                   "keys the gateway serves only its own machine).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="The TCP port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 512),
              help="Worker processes (each with its own client; share budgets and limits through "
                   "PostgreSQL and Redis, see the gateway's README).")
@click.option("--graceful-timeout", type=click.FloatRange(0), default=None,
              help="Seconds a shutdown waits for requests in flight; by default all of them finish.")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              help="The server's log level (info logs each request).")
def serve(host: str, port: int, workers: int, graceful_timeout: float | None, log_level: str) -> None:
    """Serve the OpenAI- and Anthropic-compatible APIs and the gateway's routes over HTTP."""
    from modelplex_gateway.server import run

    run(GatewayConfig(host=host, port=port, workers=workers, graceful_timeout=graceful_timeout),
        log_level=log_level)
