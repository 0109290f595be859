"""Spans and metrics of real calls through the openai plugin on the loopback wire, exported to the SDK's
in-memory exporter and reader: a chat, a stream (time to first chunk), an embedding, an error, a stream
left early, a model listing; the legacy and latest names; content only when asked for."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Any

from conftest import LATEST, body, client, recorded, sse_events, telemetry
from opentelemetry.trace import SpanKind, StatusCode

from modelplex import TextDelta
from modelplex.errors import AuthenticationError
from modelplex_testing import Reply

# Usage of every kind: 100 prompt tokens of which 30 read from the cache, 20 completion tokens of which 5
# were reasoning.
DETAILED = Reply.json({
    "id": "chatcmpl-otel-1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": "Par"}}],
    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
              "prompt_tokens_details": {"cached_tokens": 30},
              "completion_tokens_details": {"reasoning_tokens": 5}}})


def test_a_chat_is_one_client_span_with_the_latest_names(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(DETAILED)

    async def main() -> Any:
        async with client(server, t.plugin) as c:
            return await c.chat("openai/gpt-4o", "What is the capital of France?", temperature=0.5,
                                max_tokens=3, stop=["\n"], seed=7)

    response = asyncio.run(main())
    span = t.span()
    assert span.name == "chat gpt-4o" and span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert {k: attributes[k] for k in (
        "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
        "gen_ai.response.id", "gen_ai.response.finish_reasons")} == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.response.id": "chatcmpl-otel-1",
        "gen_ai.response.finish_reasons": ("length",)}
    # Inclusive totals; the cache and reasoning tokens inside them.
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (100, 20)
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 30
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 5
    assert "gen_ai.usage.cache_creation.input_tokens" not in attributes  # none written
    assert "gen_ai.system" not in attributes
    # The settings asked for; none not given (top_p).
    settings = {k: v for k, v in attributes.items() if k.startswith("gen_ai.request.")}
    assert settings == {"gen_ai.request.model": "gpt-4o", "gen_ai.request.temperature": 0.5,
                        "gen_ai.request.max_tokens": 3, "gen_ai.request.seed": 7,
                        "gen_ai.request.stop_sequences": ("\n",)}
    # Our disjoint buckets and the cost, under modelplex.*; money as the Decimal's exact text.
    assert (attributes["modelplex.usage.input"], attributes["modelplex.usage.output"]) == (70, 15)
    assert response.cost is not None and response.cost.total is not None
    assert Decimal(str(attributes["modelplex.cost.total"])) == response.cost.total
    assert "gen_ai.input.messages" not in attributes and "gen_ai.output.messages" not in attributes
    # The span lasts the call: from CallInfo.started, as long as the outcome's duration.
    assert span.end_time is not None and span.start_time is not None and span.end_time > span.start_time

    (duration,) = t.points("gen_ai.client.operation.duration")
    assert duration.count == 1 and duration.sum > 0
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06"}
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in t.points("gen_ai.client.token.usage")}
    assert tokens == {"input": 100, "output": 20}
    assert t.points("gen_ai.client.operation.time_to_first_chunk") == []  # not a stream


def test_a_cache_write_is_cache_creation_and_in_the_input_total(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(Reply.json(body("12_chat_cache_write_tokens")))  # 4020 prompt tokens, 4012 written

    async def main() -> None:
        async with client(server, t.plugin) as c:
            await c.chat("openai/gpt-5.6-sol", "hi")

    asyncio.run(main())
    attributes = dict(t.span().attributes or {})
    assert attributes["gen_ai.usage.input_tokens"] == 4020
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == 4012
    assert "gen_ai.usage.cache_read.input_tokens" not in attributes


def test_by_default_the_v1_36_names(serve: Any) -> None:
    """Without the opt-in: gen_ai.system, not gen_ai.provider.name, and no attribute v1.36 lacks."""
    t = telemetry({})
    server = serve(DETAILED)

    async def main() -> None:
        async with client(server, t.plugin) as c:
            await c.chat("openai/gpt-4o", "hi")

    asyncio.run(main())
    attributes = dict(t.span().attributes or {})
    assert attributes["gen_ai.system"] == "openai" and "gen_ai.provider.name" not in attributes
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (100, 20)
    assert not [k for k in attributes if k.startswith(("gen_ai.usage.cache", "gen_ai.usage.reasoning"))]
    (duration,) = t.points("gen_ai.client.operation.duration")
    assert duration.attributes["gen_ai.system"] == "openai"


def test_a_stream_is_a_chat_with_its_time_to_first_chunk(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(Reply(headers={"content-type": "text/event-stream"},
                         events=sse_events("06_chat_stream_text_with_usage"), delay=0.02))

    async def main() -> Any:
        async with client(server, t.plugin) as c, c.stream("openai/gpt-4o-mini", "hi") as stream:
            async for _ in stream:
                pass
            return await stream.get_response()

    response = asyncio.run(main())
    span = t.span()
    attributes = dict(span.attributes or {})
    assert span.name == "chat gpt-4o-mini" and attributes["gen_ai.operation.name"] == "chat"
    assert attributes["modelplex.call.kind"] == "stream"
    assert attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert attributes["gen_ai.response.id"] == response.id == "chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc"
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (78, 9)
    (first,) = t.points("gen_ai.client.operation.time_to_first_chunk")
    (duration,) = t.points("gen_ai.client.operation.duration")
    # The first content came after two 20 ms gaps at least, and before the end of the stream.
    assert first.count == 1 and 0.04 <= first.sum < duration.sum
    assert attributes["modelplex.time_to_first_chunk"] == first.sum


def test_an_embedding_is_an_embeddings_span_with_input_tokens_only(serve: Any) -> None:
    t = telemetry(LATEST)
    data = body("11_embeddings_dimensions")
    server = serve(Reply.json(data))

    async def main() -> None:
        async with client(server, t.plugin) as c:
            await c.embed("openai/text-embedding-3-small", "hello", dimensions=2)

    asyncio.run(main())
    span = t.span()
    attributes = dict(span.attributes or {})
    assert span.name == "embeddings text-embedding-3-small"
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.usage.input_tokens"] == data["usage"]["prompt_tokens"]
    assert "gen_ai.response.finish_reasons" not in attributes
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in t.points("gen_ai.client.token.usage")}
    assert tokens == {"input": data["usage"]["prompt_tokens"]}


def test_an_error_sets_error_type_and_the_error_status(serve: Any) -> None:
    t = telemetry(LATEST)
    failed = recorded("10_error_401_invalid_api_key").response
    server = serve(Reply.json(failed["body"], status=401))

    async def main() -> None:
        async with client(server, t.plugin) as c:
            await c.chat("openai/gpt-4o", "hi")

    try:
        asyncio.run(main())
    except AuthenticationError:
        pass
    else:
        raise AssertionError("the 401 did not fail the call")
    span = t.span()
    attributes = dict(span.attributes or {})
    assert span.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "AuthenticationError" and attributes["modelplex.status"] == "error"
    assert "gen_ai.usage.input_tokens" not in attributes
    (duration,) = t.points("gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == "AuthenticationError"
    assert t.points("gen_ai.client.token.usage") == []
    # The provider's message is not copied onto the span (it may quote what was sent).
    assert span.status.description is None and not span.events


def test_a_stream_left_early_is_cancelled_not_an_error(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(Reply(headers={"content-type": "text/event-stream"},
                         events=sse_events("06_chat_stream_text_with_usage"), delay=0.05))

    async def main() -> None:
        async with client(server, t.plugin) as c, c.stream("openai/gpt-4o-mini", "hi") as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    break

    asyncio.run(main())
    span = t.span()
    attributes = dict(span.attributes or {})
    assert attributes["modelplex.status"] == "cancelled" and "error.type" not in attributes
    assert span.status.status_code is StatusCode.UNSET
    assert attributes.get("modelplex.usage.partial") is True
    assert len(t.points("gen_ai.client.operation.time_to_first_chunk")) == 1


def test_a_cancelled_task_still_ends_its_span(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(Reply(headers={"content-type": "text/event-stream"},
                         events=sse_events("06_chat_stream_text_with_usage"), delay=0.5))

    async def main() -> None:
        async with client(server, t.plugin) as c:
            async def consume() -> None:
                async with c.stream("openai/gpt-4o-mini", "hi") as stream:
                    async for _ in stream:
                        pass

            task = asyncio.ensure_future(consume())
            await asyncio.sleep(0.2)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(main())
    attributes = dict(t.span().attributes or {})
    assert attributes["modelplex.status"] == "cancelled" and "error.type" not in attributes


def test_content_only_when_capture_is_asked_for_and_scrubbed(serve: Any) -> None:
    secret = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 3
    for value, captured in (("SPAN_ONLY", True), ("true", True), ("EVENT_ONLY", False), ("", False)):
        t = telemetry({**LATEST, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": value})
        server = serve(DETAILED)

        async def main(server: Any = server, t: Any = t) -> None:
            async with client(server, t.plugin) as c:
                await c.chat("openai/gpt-4o", f"My key is {secret}; what is the capital of France?")

        asyncio.run(main())
        attributes = dict(t.span().attributes or {})
        assert ("gen_ai.input.messages" in attributes) is captured, value
        assert ("gen_ai.output.messages" in attributes) is captured, value
        assert secret not in repr(attributes)
        if captured:
            assert "capital of France" in str(attributes["gen_ai.input.messages"])
            assert '"finish_reason": "length"' in str(attributes["gen_ai.output.messages"])
            assert '"content": "Par"' in str(attributes["gen_ai.output.messages"])


def test_the_span_is_a_child_of_the_current_span(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(DETAILED)
    tracer = t.tracer_provider.get_tracer("app")

    async def main() -> Any:
        with tracer.start_as_current_span("request") as parent:
            async with client(server, t.plugin) as c:
                await c.chat("openai/gpt-4o", "hi")
            return parent.get_span_context()

    parent = asyncio.run(main())
    (span,) = [s for s in t.spans.get_finished_spans() if s.name != "request"]
    assert span.parent is not None and span.parent.span_id == parent.span_id
    assert span.context is not None and span.context.trace_id == parent.trace_id


def test_a_model_listing_is_no_genai_operation(serve: Any) -> None:
    t = telemetry(LATEST)
    server = serve(Reply.json({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}))

    async def main() -> None:
        async with client(server, t.plugin) as c:
            await c.list_models("openai")

    asyncio.run(main())
    assert t.spans.get_finished_spans() == () and t.points("gen_ai.client.operation.duration") == []
