"""The ``gateway`` plugin (entry point ``gateway = "modelplex_gateway.plugin:PLUGIN"``), owning no provider
name: it adds ``modelplex serve`` and ``modelplex gateway ...`` and hooks no call. The calls counted for
``/metrics`` are heard by :class:`MetricsObserver`, which :func:`observe` registers on the serving
application's own client when the application is made, so that no other client pays for a ``/metrics``
nobody serves. Importing it imports no web framework."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:
    from modelplex import AsyncClient, CallInfo, CallOutcome
    from modelplex_gateway.metrics import Metrics

#: The name the observer is registered under on a gateway's client.
OBSERVER = "gateway-metrics"


class GatewayPlugin:
    """Adds the gateway's commands to the ``modelplex`` command."""

    @hookimpl
    def modelplex_register_commands(self, cli: Any) -> None:
        """Add ``serve`` and the ``gateway`` group to ``cli``."""
        from modelplex_gateway.cli import register

        register(cli)


class MetricsObserver:
    """Counts every call of the client it is registered on into ``metrics``."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """Count the call in the gateway's metrics."""
        self._metrics.call(call, outcome)


def observe(client: AsyncClient, metrics: Metrics) -> None:
    """Count ``client``'s calls into ``metrics``, once however many applications share the client."""
    registry = client.registry
    if OBSERVER not in registry.lifecycle_plugins:
        registry.register(OBSERVER, MetricsObserver(metrics))


PLUGIN = GatewayPlugin()
