"""The Anthropic stream in the cases that broke Claude clients behind other gateways, each from a scripted
OpenAI-format upstream (the scripted loopback server) through the gateway under uvicorn, every stream
checked by the grammar's state machine:

- parallel tool calls whose argument pieces interleave by index come out one ``tool_use`` block after
  another, each with its own arguments, and ``stop_reason`` ``tool_use``;
- reasoning between two runs of text is a thinking block of its own each time, never a ``thinking_delta``
  inside a text block (LiteLLM #33224, #32357), with increasing block indexes (#13373);
- one ``message_start``, whose input usage is the request's estimated count when the upstream says its
  count only at the end (never zero: #24176), and ``message_delta`` with the upstream's final count;
- ``max_tokens`` as the stop reason of a reply cut by the length; ``ping`` while the upstream is silent;
- a failure after the first content is an ``error`` event ending the stream (the SDK raises it), and a
  client that hangs up closes the upstream's stream;
- a chain falls back before the first content, and ``message_start`` names the model that answered.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import modelplex_gateway.anthropic_api as anthropic_api
import pytest
from anthropic_grammar import Grammar, Result, parse_sse
from anthropic_wire import FAMILIES, installed
from gateway_server import UPSTREAM_KEY, client_for, openai_client, replayed, served

import modelplex
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk, parallel_tool_calls

USAGE = {"prompt_tokens": 31, "completion_tokens": 12, "total_tokens": 43}
MODEL = "openai/gpt-4o"


@contextlib.contextmanager
def _gateway(*replies: Reply) -> Iterator[tuple[str, ScriptedServer]]:
    with ScriptedServer(list(replies)) as upstream, served(openai_client(upstream)) as gateway:
        yield gateway.url, upstream


def _stream(url: str, **extra: Any) -> tuple[httpx.Response, Result]:
    body = {"model": MODEL, "max_tokens": 256, "stream": True,
            "messages": [{"role": "user", "content": "Weather and time in Oslo?"}]}
    body.update(extra)
    reply = httpx.post(f"{url}/v1/messages", json=body, headers={"anthropic-version": "2023-06-01"},
                       timeout=30)
    assert reply.status_code == 200, reply.text
    return reply, Grammar().feed_all(parse_sse(reply.text))


def test_interleaved_parallel_tool_calls_are_one_block_after_another() -> None:
    with _gateway(Reply.stream(parallel_tool_calls(USAGE))) as (url, _):
        _, result = _stream(url)
    assert [(b.type, b.name, b.input) for b in result.blocks] == [
        ("text", "", None), ("tool_use", "weather", {"city": "Oslo"}), ("tool_use", "time", {"tz": "CET"})]
    assert [b.id for b in result.blocks[1:]] == ["call_w", "call_t"]
    assert result.blocks[0].text == "Checking both."
    assert result.stop_reason == "tool_use"
    assert result.usage["input_tokens"] == 31 and result.usage["output_tokens"] == 12


def test_reasoning_around_text_is_never_inside_a_text_block() -> None:
    chunks = [chunk(reasoning="Think "), chunk(reasoning="first."), chunk(content="Hello"),
              chunk(content=" there."), chunk(reasoning="Think again."), chunk(content=" Bye."),
              chunk(finish="stop"), chunk(usage=USAGE)]
    with _gateway(Reply.stream(chunks)) as (url, _):
        _, result = _stream(url)
    assert [(b.type, b.text) for b in result.blocks] == [
        ("thinking", "Think first."), ("text", "Hello there."), ("thinking", "Think again."),
        ("text", " Bye.")]
    assert result.stop_reason == "end_turn"


def test_message_start_has_the_estimate_when_the_count_comes_at_the_end() -> None:
    chunks = [chunk(content="Hi"), chunk(finish="stop"), chunk(usage=USAGE)]
    system = "You answer briefly. " * 20
    with _gateway(Reply.stream(chunks)) as (url, upstream):
        reply, result = _stream(url, system=system)
        with modelplex.Client(providers={"openai": {"base_url": upstream.url, "api_key": "k"}},
                              config_file=False, env={}) as client:
            estimate = client.estimate(MODEL, "Weather and time in Oslo?", system=system,
                                       max_tokens=256)
    assert reply.headers["x-modelplex-input-estimated"] == "true"
    # The request's count by the estimate (exact here, gpt-4o's tokenizer): a count, not a zero made up.
    assert result.start["usage"]["input_tokens"] == estimate.input_tokens > 0
    assert result.usage["input_tokens"] == 31  # message_delta: the upstream's final count


def test_a_reply_cut_by_the_length_stops_for_max_tokens() -> None:
    with _gateway(Reply.stream([chunk(content="Once upon"), chunk(finish="length"), chunk(usage=USAGE)])) as (
            url, _):
        _, result = _stream(url)
    assert result.stop_reason == "max_tokens"


def test_pings_while_the_upstream_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anthropic_api, "PING_SECONDS", 0.05)
    chunks = [chunk(content="slow"), chunk(content=" reply"), chunk(finish="stop"), chunk(usage=USAGE)]
    with _gateway(Reply.stream(chunks, delay=0.3)) as (url, _):
        _, result = _stream(url)
    # One after message_start, as Anthropic sends it, and more in the silences between the deltas.
    assert result.pings >= 3
    assert result.blocks[0].text == "slow reply"


def test_a_failure_after_the_first_content_is_an_error_event() -> None:
    chunks = [chunk(content="Half"), chunk(content=" of it"), chunk(finish="stop"), chunk(usage=USAGE)]
    with _gateway(Reply.stream(chunks, cut_after=2)) as (url, _):
        reply, result = _stream(url)
        assert result.error is not None and result.error["type"] in ("api_error", "overloaded_error")
        assert result.blocks == () or result.blocks[0].text == "Half of it"
        assert "Half" in reply.text
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway", max_retries=0)
        seen: list[str] = []
        with pytest.raises(anthropic.APIStatusError), sdk.messages.stream(
                model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "again"}]) as stream:
            seen.extend(stream.text_stream)
    assert "".join(seen) == "Half of it"


def test_a_client_that_hangs_up_closes_the_upstreams_stream() -> None:
    chunks = [chunk(content=f"word{i} ") for i in range(40)] + [chunk(finish="stop"), chunk(usage=USAGE)]
    with _gateway(Reply.stream(chunks, delay=0.05)) as (url, upstream):
        body = {"model": MODEL, "max_tokens": 256, "stream": True,
                "messages": [{"role": "user", "content": "Talk."}]}
        with httpx.stream("POST", f"{url}/v1/messages", json=body, timeout=30) as reply:
            for line in reply.iter_lines():
                if "word2" in line:
                    break
        started = time.monotonic()
        assert upstream.wait_disconnect(5.0)
        assert time.monotonic() - started < 5.0


@pytest.mark.skipif("groq" not in installed(), reason="modelplex-groq is not installed")
def test_a_recorded_upstream_error_event_after_reasoning_is_an_error_event() -> None:
    groq = next(f for f in FAMILIES if f.plugin == "groq")
    rec = groq.rec("groq/06_stream_error_event_tool_use_failed")
    with ScriptedServer([replayed(rec)]) as upstream, served(groq.client(upstream)) as gateway:
        body = {"model": groq.model(rec), "max_tokens": 256, "stream": True,
                "messages": [{"role": "user", "content": "Call the tool."}]}
        reply = httpx.post(f"{gateway.url}/v1/messages", json=body, timeout=30)
    assert reply.status_code == 200  # the reasoning had begun: the failure can only be an event now
    events = parse_sse(reply.text)
    result = Grammar().feed_all(events)
    thinking = "".join(d["delta"].get("thinking", "") for n, d in events if n == "content_block_delta")
    assert thinking.startswith("We need")  # the thinking block was under way, and is left open
    assert result.error is not None and result.error["type"] == "invalid_request_error"
    assert result.stop_reason is None  # no message_delta after an error


def test_a_chain_falls_back_before_the_first_content_and_message_start_names_who_answered() -> None:
    down = Reply.json({"error": {"message": "overloaded", "type": "server_error"}}, 503)
    with ScriptedServer([down]) as first, ScriptedServer([Reply.stream(
            [chunk(content="from the second"), chunk(finish="stop"), chunk(usage=USAGE)])]) as second:
        settings = {"api_key": UPSTREAM_KEY, "api": "chat_completions"}
        make = client_for({"openai": {**settings, "base_url": first.url},
                           "second": {**settings, "plugin": "openai", "base_url": second.url}},
                          chains={"pair": ["openai/gpt-4o", "second/gpt-4o-mini"]})
        with served(make) as gateway:
            _, result = _stream(gateway.url, model="chain/pair")
        assert first.requests and len(second.requests) == 1
    assert result.start["model"] == "second/test-model"  # the model that answered, as it named itself
    assert [b.text for b in result.blocks] == ["from the second"]
