"""``/v1/messages`` in front of every provider family, on the wire: each family's recorded stream (and
whole reply) replayed by a loopback server standing in for the provider, the gateway served by uvicorn.

For every recorded stream: the raw server-sent events pass the grammar's state machine
(:mod:`anthropic_grammar`), and the message they build says what the provider's own plugin makes of the
same upstream bytes (text, thinking and its signatures, each tool call's id, name and arguments, the
stop reason, usage); the official ``anthropic`` SDK's stream helper accepts the stream and its
``get_final_message()`` says the same. Whole replies are compared the same way, through the SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic_grammar import Grammar, Result, parse_sse
from anthropic_wire import FAMILIES, Family, installed
from gateway_server import served
from modelplex_gateway.anthropic_messages import unpack_signature
from upstreams import upstream as replaying

import modelplex
from modelplex_testing.compat_server import ScriptedServer

HEADERS = {"anthropic-version": "2023-06-01", "anthropic-beta": "interleaved-thinking-2025-05-14",
           "x-api-key": "sk-gateway-key-not-checked-locally"}
PROMPT = "The weather in Oslo and Paris?"
MESSAGES: list[anthropic.types.MessageParam] = [{"role": "user", "content": PROMPT}]
ASK: dict[str, Any] = {"max_tokens": 1024, "messages": MESSAGES}


@pytest.fixture(scope="module", autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The usage log and config file in a temporary directory, never the user's."""
    path = tmp_path_factory.mktemp("anthropic-families")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELPLEX_DATA_DIR", str(path / "data"))
        (path / "config.toml").write_text("")
        patch.setenv("MODELPLEX_CONFIG", str(path / "config.toml"))
        yield


def _cases(kind: str) -> list[Any]:
    out: list[Any] = []
    for family in FAMILIES:
        names = family.streams if kind == "stream" else (family.whole,)
        marks = [] if family.plugin in installed() else [
            pytest.mark.skip(reason=f"modelplex-{family.plugin} is not installed")]
        out.extend(pytest.param(family, name, id=f"{family.name}-{name}", marks=marks) for name in names)
    return out


@contextlib.contextmanager
def _behind_gateway(family: Family, name: str) -> Iterator[tuple[str, ScriptedServer]]:
    with replaying(family.plugin, name) as upstream, served(family.client(upstream)) as gateway:
        yield gateway.url, upstream


def _canonical(family: Family, name: str, stream: bool) -> modelplex.ChatResponse:
    """What the provider's own plugin makes of the recording, straight from the client library."""
    rec = family.rec(name)

    async def run() -> modelplex.ChatResponse:
        with replaying(family.plugin, name) as upstream:
            async with family.client(upstream)() as client:
                if not stream:
                    return await client.chat(family.model(rec), "hi", max_tokens=1024)
                async with client.stream(family.model(rec), "hi", max_tokens=1024) as events:
                    return await events.get_response()

    return asyncio.run(run())


def _upstream_start_usage(family: Family, name: str) -> dict[str, Any]:
    """The usage of the recorded upstream's own ``message_start``, in the gateway's Anthropic buckets."""
    events = parse_sse(family.rec(name).body_bytes().decode())
    [usage] = [data["message"]["usage"] for kind, data in events if kind == "message_start"]
    cache = usage.get("cache_creation") or {}
    return {"input_tokens": usage["input_tokens"],
            "cache_creation_input_tokens": usage.get("cache_creation_input_tokens", 0),
            "cache_read_input_tokens": usage.get("cache_read_input_tokens", 0),
            "cache_creation": {"ephemeral_5m_input_tokens": cache.get("ephemeral_5m_input_tokens", 0),
                               "ephemeral_1h_input_tokens": cache.get("ephemeral_1h_input_tokens", 0)},
            "output_tokens": usage["output_tokens"]}


def _expected_stop(response: modelplex.ChatResponse) -> str:
    if response.tool_calls:
        return "tool_use"
    return "max_tokens" if response.finish_reason == modelplex.FinishReason.LENGTH else "end_turn"


def _same_content(blocks: list[dict[str, Any]], response: modelplex.ChatResponse) -> None:
    """Anthropic blocks (as dicts) say what ``response`` holds: text, thinking, signatures, tool calls."""
    assert "".join(b["text"] for b in blocks if b["type"] == "text") == response.text
    assert "".join(b["thinking"] for b in blocks if b["type"] == "thinking") == response.reasoning
    # Each reasoning part's artefacts (signature, encrypted content) come back whole from its block, and
    # each call's thought signature from the empty thinking block that follows the call.
    unpacked = [unpack_signature(b["signature"]) if b["type"] == "thinking" else (None, b["data"], None)
                for b in blocks if b["type"] == "redacted_thinking" or b["signature"]]
    artefacts = [(p.signature, p.redacted_data, None) for p in response.parts
                 if isinstance(p, modelplex.ReasoningPart) and (p.signature or p.redacted_data)]
    assert [u for u in unpacked if u[2] is None] == artefacts
    signed = {call: signature for signature, _, call in unpacked if call is not None}
    calls = [(b["id"], b["name"], b["input"], signed.get(b["id"])) for b in blocks if b["type"] == "tool_use"]
    assert calls == [(c.id, c.name, dict(c.arguments), c.signature) for c in response.tool_calls]
    assert response.text or response.tool_calls  # the recording says something to compare


def _blocks(result: Result) -> list[dict[str, Any]]:
    return [{"type": b.type, "text": b.text, "thinking": b.text, "signature": b.signature, "id": b.id,
             "name": b.name, "input": b.input, "data": b.data} for b in result.blocks]


@pytest.mark.parametrize(("family", "name"), _cases("stream"))
def test_each_familys_stream_keeps_the_grammar_and_says_what_its_plugin_says(family: Family,
                                                                            name: str) -> None:
    expected = _canonical(family, name, stream=True)
    with _behind_gateway(family, name) as (url, upstream):
        ask = {**ASK, "model": family.model(family.rec(name)), "stream": True}
        reply = httpx.post(f"{url}/v1/messages", json=ask, headers=HEADERS, timeout=30)
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert float(reply.headers["x-modelplex-overhead-ms"]) >= 0
        events = parse_sse(reply.text)
        result = Grammar().feed_all(events)
        assert upstream.requests, "the upstream was called"
    assert [n for n, _ in events].count("message_start") == 1
    assert result.pings >= 1 and result.error is None
    assert result.start["model"] == f"{family.plugin}/{expected.model}"
    assert result.stop_reason == _expected_stop(expected)
    _same_content(_blocks(result), expected)
    # The final usage is the provider's count, input included, in Anthropic's buckets.
    usage = expected.usage
    assert result.usage["output_tokens"] == usage.total_output
    assert result.usage["input_tokens"] == usage.input
    assert result.usage["cache_read_input_tokens"] == usage.cache_read
    # message_start's input: Anthropic counts it before its first content, and that count is passed on
    # as it came; every other family counts only at its end, so the start holds the request's estimate,
    # said so by a header, never a zero (the grammar checks it), and message_delta the real count.
    start = result.start["usage"]
    if family.plugin == "anthropic":
        assert reply.headers["x-modelplex-input-estimated"] == "false"
        assert start == _upstream_start_usage(family, name)
        assert start["input_tokens"] == usage.input
    else:
        assert reply.headers["x-modelplex-input-estimated"] == "true"
        assert start["input_tokens"] > 0 and start["output_tokens"] == 0


@pytest.mark.parametrize(("family", "name"), _cases("stream"))
def test_the_sdks_stream_helper_accepts_each_familys_stream(family: Family, name: str) -> None:
    expected = _canonical(family, name, stream=True)
    with _behind_gateway(family, name) as (url, _):
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway-key", max_retries=0)
        with sdk.messages.stream(model=family.model(family.rec(name)), max_tokens=1024, messages=MESSAGES,
                                 thinking={"type": "enabled", "budget_tokens": 512}) as stream:
            texts, started = [], []
            for event in stream:
                if event.type == "message_start":
                    started.append(event.message.usage.input_tokens)
                elif event.type == "text":
                    texts.append(event.text)
            final = stream.get_final_message()
    # What the SDK saw first: the upstream's own input count from Anthropic, an estimate from the others.
    if family.plugin == "anthropic":
        assert started == [expected.usage.input]
    else:
        assert len(started) == 1 and started[0] > 0
    assert "".join(texts) == expected.text
    blocks = [b.model_dump() for b in final.content]
    for block in blocks:
        block.setdefault("text", "")
        block.setdefault("thinking", "")
        block.setdefault("signature", "")
    _same_content(blocks, expected)
    assert final.stop_reason == _expected_stop(expected)
    assert final.usage.output_tokens == expected.usage.total_output
    assert final.usage.input_tokens == expected.usage.input  # message_delta's count won over the start's
    assert final.id.startswith("msg_")


@pytest.mark.parametrize(("family", "name"), _cases("whole"))
def test_a_whole_reply_of_each_family_through_the_sdk(family: Family, name: str) -> None:
    expected = _canonical(family, name, stream=False)
    with _behind_gateway(family, name) as (url, upstream):
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway-key", max_retries=0)
        model = family.model(family.rec(name))
        message = sdk.messages.create(model=model, max_tokens=1024, messages=MESSAGES)
        raw = sdk.messages.with_raw_response.create(model=model, max_tokens=1024, messages=MESSAGES)
    assert raw.headers["request-id"].startswith("req_")
    assert float(raw.headers["x-modelplex-overhead-ms"]) >= 0
    blocks = [b.model_dump() for b in message.content]
    for block in blocks:
        block.setdefault("text", "")
        block.setdefault("thinking", "")
        block.setdefault("signature", "")
    _same_content(blocks, expected)
    assert message.stop_reason == _expected_stop(expected)
    assert message.model == f"{family.plugin}/{expected.model}"
    assert message.usage.input_tokens == expected.usage.input
    assert message.usage.output_tokens == expected.usage.total_output
    assert upstream.requests[0].json  # the provider was asked, in its own format


def test_every_installed_provider_family_is_covered() -> None:
    """A provider plugin of a new wire format must join FAMILIES, not be left out in silence."""
    families = {f.plugin for f in FAMILIES}
    # Chat Completions like openai, groq and deepseek, the kit's fake, and plugins that are no provider.
    wire_cousins = {"together", "xai", "openrouter", "azure", "openai-like", "fake", "store", "gateway"}
    assert installed() - families - wire_cousins == set()
