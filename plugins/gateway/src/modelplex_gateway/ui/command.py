"""``modelplex ui``: the dashboard for one user on their laptop, with no gateway configuration.

It binds 127.0.0.1 only (never another interface: with no admin key, the machine itself is the only
one admitted), on a port the system picks unless ``--port`` names one; prints the URL and opens nothing
by itself. Importing this module imports neither Starlette nor uvicorn.
"""

from __future__ import annotations

import socket

import click

HOST = "127.0.0.1"


@click.command("ui")
@click.option("--port", default=0, type=click.IntRange(0, 65535),
              help="The TCP port on 127.0.0.1; by default one the system picks.")
def ui(port: int) -> None:
    """Serve the dashboard on this machine (127.0.0.1 only) and print its URL."""
    import uvicorn

    from modelplex_gateway.app import create_app
    from modelplex_gateway.auth import authenticate_local
    from modelplex_gateway.config import GatewayConfig

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)  # connections wait in the backlog from now on: the URL printed is usable at once
    bound = sock.getsockname()[1]
    # One user, their own keys: the machine itself is the one admitted, whatever keys a gateway has.
    app = create_app(config=GatewayConfig(host=HOST, port=bound), authenticate=authenticate_local)
    click.echo(f"Modelplex dashboard: http://{HOST}:{bound}/ui/  (Ctrl-C stops it)", err=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", server_header=False))
    server.run(sockets=[sock])
