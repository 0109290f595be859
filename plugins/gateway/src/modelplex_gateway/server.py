"""Running the application under uvicorn: httptools and uvloop where installed (see README.md for the
measurements), one process or ``workers`` processes each building its own application.

On SIGTERM or SIGINT uvicorn stops accepting connections, waits for every request in flight (streams
included) to end, then runs the application's shutdown, which closes the client: no stream is cut and no
usage row is lost (``graceful_timeout`` bounds the wait when given).
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from modelplex_gateway.config import GatewayConfig


def _fastest(module: str, fallback: str) -> str:
    return module if importlib.util.find_spec(module) is not None else fallback


def uvicorn_options(config: GatewayConfig, log_level: str = "warning") -> dict[str, Any]:
    """uvicorn's settings for ``config``."""
    return {"host": config.host, "port": config.port, "workers": config.workers,
            "loop": _fastest("uvloop", "asyncio"), "http": _fastest("httptools", "h11"),
            "lifespan": "on", "log_level": log_level, "access_log": log_level in ("info", "debug"),
            "timeout_graceful_shutdown": config.graceful_timeout, "server_header": False}


def run(config: GatewayConfig, log_level: str = "warning") -> None:
    """Serve until stopped."""
    import uvicorn

    options = uvicorn_options(config, log_level)
    if config.workers == 1:
        from modelplex_gateway.app import create_app

        uvicorn.run(create_app(config=config), **options)
        return
    # Each worker process builds its application (and client) from the environment.
    os.environ.update({"MODELPLEX_GATEWAY_HOST": config.host, "MODELPLEX_GATEWAY_PORT": str(config.port),
                       "MODELPLEX_GATEWAY_WORKERS": str(config.workers)})
    uvicorn.run("modelplex_gateway.app:from_environment", factory=True, **options)
