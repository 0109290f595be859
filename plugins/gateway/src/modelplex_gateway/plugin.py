"""The ``gateway`` plugin (entry point ``gateway = "modelplex_gateway.plugin:PLUGIN"``), owning no provider
name: it adds ``modelplex serve`` and ``modelplex gateway ...``, and observes calls for ``/metrics`` while
an application is serving in this process (otherwise its hook returns at once). Importing it imports no
web framework."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:
    from modelplex import CallInfo, CallOutcome


class GatewayPlugin:
    """Adds the gateway's commands to the ``modelplex`` command; feeds its metrics."""

    @hookimpl
    def modelplex_register_commands(self, cli: Any) -> None:
        """Add ``serve`` and the ``gateway`` group to ``cli``."""
        from modelplex_gateway.cli import register

        register(cli)

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """Count the call in this process's gateway metrics, when a gateway application made them."""
        metrics = sys.modules.get("modelplex_gateway.metrics")
        active = getattr(metrics, "ACTIVE", None)
        if active is not None:
            active.call(call, outcome)


PLUGIN = GatewayPlugin()
