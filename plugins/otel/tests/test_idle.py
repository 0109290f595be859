"""With no OpenTelemetry SDK configured (the API's proxies), the plugin's hooks return at once; an SDK set
up after the client was made is used from its next call (issue 19, F4)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from modelplex_testing import FAKE_KEY, Reply, ScriptedServer

OK = Reply.json({"id": "c1", "object": "chat.completion", "model": "gpt-4o",
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "Paris."}}],
                 "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10}})

# In a process of its own: OpenTelemetry's global providers can be set only once per process.
SCRIPT = """
    import sys
    import modelplex
    from modelplex_openai.plugin import PLUGIN as OPENAI
    from modelplex_otel import OtelPlugin

    otel = OtelPlugin()
    with modelplex.Client(plugins={{"openai": OPENAI, "otel": otel}}, autoload=False, config_file=False,
                          env={{}}, providers={{"openai": {{"api_key": {key!r}, "base_url": {url!r},
                                                          "api": "chat_completions"}}}}) as c:
        c.chat("openai/gpt-4o", "hi")
        # Idle: no span, no instrument was made, and the SDK was never imported.
        print(otel._telemetry is None, "opentelemetry.sdk" in sys.modules)

        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        c.chat("openai/gpt-4o", "hi")
        print([span.name for span in exporter.get_finished_spans()])
"""


def test_hooks_are_idle_without_an_sdk_and_wake_when_one_is_set() -> None:
    with ScriptedServer([OK], routes={"/v1/chat/completions": OK}) as server:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT.format(key=FAKE_KEY,
                                                                                   url=server.url))],
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    idle, woken = done.stdout.strip().splitlines()
    assert idle == "True False", "with the API's proxies alone the plugin made telemetry"
    assert woken == "['chat gpt-4o']", "the SDK set after the client was made was not used"
