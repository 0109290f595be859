"""Spans of calls that are not one model's plain answer: a chain (its provider known once a model
answered), a call refused by an admitter that ran before this plugin, and the synchronous client (the
span under the caller's current span, across the client's loop thread)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import LATEST, client, telemetry
from modelplex_openai.plugin import PLUGIN as OPENAI
from modelplex_otel import OtelPlugin
from opentelemetry.trace import SpanKind, StatusCode

import modelplex
from modelplex import CallInfo
from modelplex.errors import PolicyDenied
from modelplex.hookspecs import hookimpl
from modelplex_testing import FAKE_KEY, Reply

OK = Reply.json({"id": "c1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "Paris."}}],
                 "usage": {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10}})


class Refuser:
    """An admitter refusing every call."""

    @hookimpl
    def modelplex_before_call(self, call: CallInfo) -> None:
        raise PolicyDenied("no calls today", rule="closed")


def test_a_chain_is_named_for_the_chain_and_its_provider_is_the_model_that_answered(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(OK)

    async def main() -> None:
        async with client(server, t.plugin, chains={"fast": ["openai/gpt-4o"]}) as c:
            await c.chat("chain/fast", "hi")

    asyncio.run(main())
    span = t.span()
    attributes = dict(span.attributes or {})
    assert span.name == "chat chain/fast" and attributes["gen_ai.request.model"] == "chain/fast"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.response.model"] == "gpt-4o-2024-08-06"


def test_a_call_refused_before_this_plugin_heard_it_still_has_its_span(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(OK)

    async def main() -> None:
        # Registered after the otel plugin, the refuser's before_call runs first: otel's never does.
        plugins = {"openai": OPENAI, "otel": t.plugin, "refuser": Refuser()}
        async with modelplex.AsyncClient(plugins=plugins, autoload=False, config_file=False, env={},
                                         providers={"openai": {"api_key": FAKE_KEY, "base_url": server.url,
                                                              "api": "chat_completions"}}
                                         ) as c:
            await c.chat("openai/gpt-4o", "hi")

    with pytest.raises(PolicyDenied):
        asyncio.run(main())
    span = t.span()
    attributes = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR and attributes["error.type"] == "PolicyDenied"
    assert span.name == "chat gpt-4o" and not server.requests


def test_the_sync_client_puts_the_span_under_the_callers_span(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(OK)
    tracer = t.tracer_provider.get_tracer("app")
    with modelplex.Client(plugins={"openai": OPENAI, "otel": t.plugin}, autoload=False, config_file=False,
                          env={}, providers={"openai": {"api_key": FAKE_KEY, "base_url": server.url,
                                                              "api": "chat_completions"}}) as c, \
            tracer.start_as_current_span("request") as parent:
        c.chat("openai/gpt-4o", "hi")
    (span,) = [s for s in t.spans.get_finished_spans() if s.name != "request"]
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id


def test_attempt_spans_when_asked_for_a_chains_fallback_under_the_call(serve: Any) -> None:
    t = telemetry(LATEST)
    plugin = OtelPlugin(tracer_provider=t.tracer_provider, env=LATEST, attempts=True)
    missing = Reply.json({"error": {"message": "The model `gpt-4o-mini` does not exist", "type":
                                    "invalid_request_error", "code": "model_not_found"}}, status=404)
    server = serve(missing, OK)

    async def main() -> None:
        async with client(server, plugin, chains={"fast": ["openai/gpt-4o-mini", "openai/gpt-4o"]}) as c:
            await c.chat("chain/fast", "hi")

    asyncio.run(main())
    spans = {s.name: s for s in t.spans.get_finished_spans()}
    call, first, second = spans["chat chain/fast"], spans["chat gpt-4o-mini"], spans["chat gpt-4o"]
    assert call.context is not None
    for attempt in (first, second):
        assert attempt.kind is SpanKind.INTERNAL
        assert attempt.parent is not None and attempt.parent.span_id == call.context.span_id
    assert first.status.status_code is StatusCode.ERROR
    assert dict(first.attributes or {})["error.type"] == "ModelNotFoundError"
    assert dict(second.attributes or {})["modelplex.attempt.number"] == 2
    assert dict(second.attributes or {})["gen_ai.usage.input_tokens"] == 8
    assert call.status.status_code is StatusCode.UNSET


def test_without_attempt_spans_the_plugin_has_no_attempt_hook() -> None:
    """pluggy registers what it finds on the object: no attribute, no hook, nothing paid per attempt."""
    assert not hasattr(OtelPlugin(), "modelplex_before_attempt")
    assert hasattr(OtelPlugin(attempts=True), "modelplex_before_attempt")
