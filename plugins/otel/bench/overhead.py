"""What the otel plugin costs per call, measured in process (issue 19, item 5).

Two measures:

* the hooks alone: ``before_call`` + ``after_call`` of one chat outcome, many times, per call;
* whole calls through a client with the openai plugin on a loopback server, with and without the otel
  plugin, in pairs of batches run back to back (which goes first alternates); the median of the pairs'
  differences per call, so that drift of the machine cancels out.

Each with OpenTelemetry's API alone (no SDK configured: the no-op tracer and meter, what an application
that installed the plugin without setting up OpenTelemetry pays) and with the SDK (a batch span processor
to an in-memory exporter, a metric reader never collected during the run).

    cd plugins/otel && ../../.venv/bin/python bench/overhead.py [--calls 200] [--pairs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from modelplex_openai.plugin import PLUGIN as OPENAI
from modelplex_otel import OtelPlugin
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import modelplex
from modelplex import CallInfo, CallOutcome, ChatRequest, ChatResponse, Message, TextPart, Usage
from modelplex_testing import FAKE_KEY, Reply, ScriptedServer

LATEST = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}
OK = Reply.json({"id": "c1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "Paris."}}],
                 "usage": {"prompt_tokens": 80, "completion_tokens": 2, "total_tokens": 82,
                           "prompt_tokens_details": {"cached_tokens": 64}}})


def plugins() -> dict[str, OtelPlugin]:
    """The plugin on the API alone, and on the SDK."""
    reader = InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    return {"api only": OtelPlugin(env=LATEST),
            "sdk": OtelPlugin(tracer_provider=tracer_provider,
                              meter_provider=MeterProvider(metric_readers=[reader]), env=LATEST)}


def hooks(plugin: OtelPlugin, count: int) -> float:
    """Microseconds per call of the two hooks, for a chat that answered."""
    request = ChatRequest(model="gpt-4o", messages=[Message(role="user", parts=[TextPart(text="hi")])])
    response = ChatResponse(provider="openai", model="gpt-4o-2024-08-06", parts=[TextPart(text="Paris.")],
                            usage=Usage(input=16, cache_read=64, output=2), id="c1")
    outcome = CallOutcome(status="ok", provider="openai", model="gpt-4o", usage=response.usage,
                          duration=0.2, response=response)
    calls = [CallInfo(kind="chat", address="openai/gpt-4o", provider="openai", model="gpt-4o",
                      request=request, started=time.time()) for _ in range(count)]
    start = time.perf_counter()
    for call in calls:
        plugin.modelplex_before_call(call)
        plugin.modelplex_after_call(call, outcome)
    return (time.perf_counter() - start) / count * 1e6


async def batch(url: str, plugin: OtelPlugin | None, count: int) -> float:
    """Seconds per call of ``count`` chats through a client with (or without) ``plugin``."""
    loaded: dict[str, object] = {"openai": OPENAI}
    if plugin is not None:
        loaded["otel"] = plugin
    async with modelplex.AsyncClient(plugins=loaded, autoload=False, config_file=False, env={},
                                     providers={"openai": {"api_key": FAKE_KEY, "base_url": url,
                                                           "api": "chat_completions"}}) as c:
        await c.chat("openai/gpt-4o", "hi")  # warm: the connection, the lazy imports
        start = time.perf_counter()
        for _ in range(count):
            await c.chat("openai/gpt-4o", "hi")
        return (time.perf_counter() - start) / count


async def paired(url: str, plugin: OtelPlugin, count: int, pairs: int) -> tuple[float, float]:
    """The median per-call time without the plugin, and the median of the pairs' differences (µs)."""
    bare, differences = [], []
    for n in range(pairs):
        if n % 2:
            with_ = await batch(url, plugin, count)
            without = await batch(url, None, count)
        else:
            without = await batch(url, None, count)
            with_ = await batch(url, plugin, count)
        bare.append(without)
        differences.append(with_ - without)
    return statistics.median(bare) * 1e6, statistics.median(differences) * 1e6


def main() -> None:
    """Print both measures for both set-ups."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="calls per batch")
    parser.add_argument("--pairs", type=int, default=15, help="pairs of batches")
    args = parser.parse_args()
    for name, plugin in plugins().items():
        hooks(plugin, 1000)  # warm
        per_hook = statistics.median(hooks(plugin, 5000) for _ in range(5))
        print(f"{name:9} hooks alone: {per_hook:6.1f} µs per call")
    with ScriptedServer([OK], routes={"/v1/chat/completions": OK}) as server:
        for name, plugin in plugins().items():
            bare, extra = asyncio.run(paired(server.url, plugin, args.calls, args.pairs))
            print(f"{name:9} whole calls: {bare:7.1f} µs per call without, {extra:+6.1f} µs with "
                  f"(median of {args.pairs} paired differences of {args.calls} calls)")


if __name__ == "__main__":
    main()
