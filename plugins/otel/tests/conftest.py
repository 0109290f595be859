"""The tests' telemetry: the SDK's in-memory span exporter and metric reader, an otel plugin writing to
them, and a client with the openai plugin on a loopback server."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from modelplex_openai.plugin import PLUGIN as OPENAI
from modelplex_otel import OtelPlugin
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import modelplex
from modelplex_testing import FAKE_KEY, Recording, ScriptedServer, serving

FIXTURES = Path(__file__).resolve().parents[2] / "openai" / "tests" / "fixtures" / "openai"
LATEST = {"OTEL_SEMCONV_STABILITY_OPT_IN": "http,gen_ai_latest_experimental"}


@attrs.frozen(kw_only=True)
class Telemetry:
    """A plugin and what it exported."""

    plugin: OtelPlugin
    tracer_provider: TracerProvider
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader

    def span(self) -> ReadableSpan:
        """The one span exported."""
        (span,) = self.spans.get_finished_spans()
        return span

    def points(self, name: str) -> list[Any]:
        """The data points of the metric ``name``."""
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                found += [p for m in scope.metrics if m.name == name for p in m.data.data_points]
        return found


def telemetry(env: Mapping[str, str] | None = None) -> Telemetry:
    """An otel plugin exporting to memory, with ``env`` as its environment (none set by default)."""
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    plugin = OtelPlugin(tracer_provider=tracer_provider,
                        meter_provider=MeterProvider(metric_readers=[reader]), env=dict(env or {}))
    return Telemetry(plugin=plugin, tracer_provider=tracer_provider, spans=spans, reader=reader)


def client(server: ScriptedServer, plugin: OtelPlugin | None, **kwargs: Any) -> modelplex.AsyncClient:
    """An async client with the openai plugin served by ``server`` (and ``plugin``), nothing else loaded."""
    return provider_client("openai", OPENAI, {"base_url": server.url, "api": "chat_completions"}, plugin,
                           **kwargs)


def provider_client(name: str, implementation: object, settings: Mapping[str, Any], plugin: OtelPlugin | None,
                    **kwargs: Any) -> modelplex.AsyncClient:
    """An async client with one provider plugin (``settings`` and the fake key its settings) and
    ``plugin``, nothing else loaded."""
    plugins: dict[str, object] = {name: implementation}
    if plugin is not None:
        plugins["otel"] = plugin
    return modelplex.AsyncClient(plugins=plugins, autoload=False, config_file=False, env={},
                                 providers={name: {"api_key": FAKE_KEY, **settings}}, **kwargs)


def recorded(name: str) -> Recording:
    """A recorded OpenAI exchange of the openai plugin's fixtures."""
    return Recording.load(FIXTURES / f"{name}.json")


def sse_events(name: str) -> list[bytes]:
    """A recorded stream's events, each as sent."""
    text = recorded(name).response["body_text"]
    return [f"{e}\n\n".encode() for e in text.split("\n\n") if e.strip()]


def body(name: str) -> dict[str, Any]:
    """A recorded exchange's JSON body."""
    data: dict[str, Any] = json.loads(json.dumps(recorded(name).response["body"]))
    return data


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start scripted loopback servers, stopped at the end of the test."""
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start
