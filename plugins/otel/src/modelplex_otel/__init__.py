"""OpenTelemetry for Modelplex: a client span and the GenAI metrics for every call (see the README).

Importing this package imports no OpenTelemetry: the plugin loads it on the first call it hears.
"""

from __future__ import annotations

__all__ = ["OtelPlugin"]

from modelplex_otel.plugin import OtelPlugin
