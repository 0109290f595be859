"""What a Claude client's request becomes upstream, read from what each loopback upstream RECEIVED: the
system prompt given as blocks, tool definitions and ``tool_choice``, ``tool_use`` and ``tool_result`` blocks
(text or blocks, errors), an image, stop sequences, the thinking config, prompt caching (``top_k``, which
no canonical option carries, is said in ``x-modelplex-warnings``, not sent); a thinking block
sent back replayed with its signature to the model that made it and to no other; OpenAI's reasoning item
(id and encrypted content) carried out and back in a thinking block's signature. ``count_tokens`` through
the SDK is the client library's estimate.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx
from anthropic_wire import FAMILIES
from gateway_server import UPSTREAM_KEY, client_for, openai_client, openai_whole, replayed, served

import modelplex
from modelplex_testing.compat_server import ScriptedServer

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
SCHEMA: dict[str, Any] = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER: anthropic.types.ToolParam = {"name": "weather", "description": "The weather in a city.",
                                      "input_schema": SCHEMA}


def _conversation(thinking: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    assistant: list[dict[str, Any]] = [{"type": "text", "text": "Let me look."},
                                       {"type": "tool_use", "id": "toolu_1", "name": "weather",
                                        "input": {"city": "Oslo"}}]
    if thinking is not None:
        assistant.insert(0, thinking)
    return [
        {"role": "user", "content": [{"type": "text", "text": "Weather here?"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                  "data": PNG}}]},
        {"role": "assistant", "content": assistant},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1",
             "content": [{"type": "text", "text": "Sunny, 21C"}]},
            {"type": "text", "text": "And tomorrow?", "cache_control": {"type": "ephemeral"}}]},
    ]


@contextlib.contextmanager
def _gateway(make: Callable[[ScriptedServer], Callable[[], modelplex.AsyncClient]],
             *replies: Any) -> Iterator[tuple[str, ScriptedServer]]:
    with ScriptedServer(list(replies)) as upstream, served(make(upstream)) as gateway:
        yield gateway.url, upstream


def _post(url: str, body: dict[str, Any]) -> httpx.Response:
    reply = httpx.post(f"{url}/v1/messages", json=body, timeout=30,
                       headers={"anthropic-version": "2023-06-01", "x-api-key": "sk-gateway",
                                "anthropic-beta": "prompt-caching-2024-07-31,"
                                                  "interleaved-thinking-2025-05-14"})
    assert reply.status_code == 200, reply.text
    return reply


def test_a_claude_request_reaches_an_openai_format_upstream_whole() -> None:
    called = {"id": "call_9", "type": "function",
              "function": {"name": "weather", "arguments": '{"city":"Bergen"}'}}
    upstream_reply = openai_whole(None, tool_calls=[called], finish="tool_calls")
    with _gateway(openai_client, upstream_reply) as (url, upstream):
        reply = _post(url, {
            "model": "openai/gpt-4o", "max_tokens": 300, "temperature": 0.2, "stop_sequences": ["\n\nHuman:"],
            "top_k": 40,
            "system": [{"type": "text", "text": "You are terse."},
                       {"type": "text", "text": "Use tools.", "cache_control": {"type": "ephemeral"}}],
            "tools": [WEATHER], "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
            "metadata": {"user_id": "user-42"}, "messages": _conversation()})
        answer = reply.json()
        sent = upstream.requests[0].json
    assert "top_k" in reply.headers["x-modelplex-warnings"] and "top_k" not in sent  # said, not sent
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "user"]
    assert sent["messages"][0]["content"] == "You are terse.\n\nUse tools."
    image = next(p for p in sent["messages"][1]["content"] if p["type"] == "image_url")
    assert image["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    call = sent["messages"][2]["tool_calls"][0]
    assert (call["id"], call["function"]["name"], json.loads(call["function"]["arguments"])) == (
        "toolu_1", "weather", {"city": "Oslo"})
    assert sent["messages"][3] == {"role": "tool", "tool_call_id": "toolu_1", "content": "Sunny, 21C"}
    assert sent["tools"][0]["function"]["name"] == "weather"
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["city"]
    assert sent["tool_choice"] == "required" and sent["parallel_tool_calls"] is False
    assert sent["stop"] == ["\n\nHuman:"] and sent["temperature"] == 0.2
    assert UPSTREAM_KEY not in json.dumps(answer)
    assert answer["stop_reason"] == "tool_use"
    assert answer["content"] == [{"type": "tool_use", "id": "call_9", "name": "weather",
                                  "input": {"city": "Bergen"}}]


ANTHROPIC = next(f for f in FAMILIES if f.plugin == "anthropic")


def test_thinking_goes_back_signed_to_the_claude_model_that_made_it() -> None:
    rec = ANTHROPIC.rec(ANTHROPIC.whole)
    model = ANTHROPIC.model(rec)
    thinking = {"type": "thinking", "thinking": "The user wants the weather.", "signature": "sig-from-claude"}
    with _gateway(ANTHROPIC.client, replayed(rec)) as (url, upstream):
        _post(url, {"model": model, "max_tokens": 4096, "system": "Be brief.", "tools": [WEATHER],
                    "thinking": {"type": "enabled", "budget_tokens": 2048},
                    "messages": _conversation(thinking)})
        sent = upstream.requests[0].json
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent["messages"][1]["content"][0] == thinking  # as it was made, signature and all
    results = [b for b in sent["messages"][2]["content"] if b["type"] == "tool_result"]
    assert results[0]["tool_use_id"] == "toolu_1"
    assert "cache_control" in json.dumps(sent)  # the client's cache marks: prompt caching asked for


def test_another_models_thinking_is_not_sent_to_a_different_provider() -> None:
    thinking = {"type": "thinking", "thinking": "A secret chain of thought.", "signature": "sig-from-claude"}
    with _gateway(openai_client, openai_whole("Tomorrow: rain.")) as (url, upstream):
        answer = _post(url, {"model": "openai/gpt-4o", "max_tokens": 100, "tools": [WEATHER],
                             "messages": _conversation(thinking)}).json()
        raw = upstream.requests[0].body.decode()
    assert "A secret chain of thought." not in raw and "sig-from-claude" not in raw
    assert answer["content"] == [{"type": "text", "text": "Tomorrow: rain."}]


def test_openais_reasoning_item_goes_out_and_back_in_a_thinking_blocks_signature() -> None:
    family = next(f for f in FAMILIES if f.name == "openai-responses")
    rec = family.rec(family.whole)
    model = family.model(rec)
    with _gateway(family.client, replayed(rec)) as (url, upstream):
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway", max_retries=0)
        first = sdk.messages.create(model=model, max_tokens=500, tools=[WEATHER],
                                    messages=[{"role": "user", "content": "Weather in Oslo?"}])
        thinking = next(b for b in first.content if b.type == "thinking")
        call = next(b for b in first.content if b.type == "tool_use")
        result: anthropic.types.ToolResultBlockParam = {"type": "tool_result", "tool_use_id": call.id,
                                                         "content": "Sunny"}
        sdk.messages.create(model=model, max_tokens=500, tools=[WEATHER],
                            messages=[{"role": "user", "content": "Weather in Oslo?"},
                                      {"role": "assistant", "content": first.content},
                                      {"role": "user", "content": [result]}])
        second = upstream.requests[1].json
    reasoning = rec.response["body"]["output"][0]
    assert reasoning["type"] == "reasoning" and thinking.signature.startswith("modelplex.1.")
    replayed_items = [item for item in second["input"] if item.get("type") == "reasoning"]
    assert [(i["id"], i["encrypted_content"]) for i in replayed_items] == [
        (reasoning["id"], reasoning["encrypted_content"])]


def test_geminis_thought_signature_on_a_call_goes_out_and_back_with_that_call() -> None:
    family = next(f for f in FAMILIES if f.plugin == "gemini")
    rec = family.rec("04_gemini3_function_calls_thought_signature")
    recorded = [p for p in rec.response["body"]["candidates"][0]["content"]["parts"] if "functionCall" in p]
    model = family.model(rec)
    with _gateway(family.client, replayed(rec)) as (url, upstream):
        sdk = anthropic.Anthropic(base_url=url, api_key="sk-gateway", max_retries=0)
        first = sdk.messages.create(model=model, max_tokens=500, tools=[WEATHER],
                                    messages=[{"role": "user", "content": "Weather in three cities?"}])
        calls = [b for b in first.content if b.type == "tool_use"]
        results: list[anthropic.types.ToolResultBlockParam] = [
            {"type": "tool_result", "tool_use_id": c.id, "content": "Sunny"} for c in calls]
        sdk.messages.create(model=model, max_tokens=500, tools=[WEATHER],
                            messages=[{"role": "user", "content": "Weather in three cities?"},
                                      {"role": "assistant", "content": first.content},
                                      {"role": "user", "content": results}])
        second = upstream.requests[1].json
    assert len(calls) == len(recorded) == 3
    sent = [p for c in second["contents"] for p in c["parts"] if "functionCall" in p]
    assert [p.get("thoughtSignature") for p in sent] == [p.get("thoughtSignature") for p in recorded]
    assert sent[0]["thoughtSignature"] not in ("", "skip_thought_signature_validator")


def _estimate(make: Callable[[], modelplex.AsyncClient], model: str, **kwargs: Any) -> modelplex.Estimate:
    async def run() -> modelplex.Estimate:
        async with make() as client:
            return await client.estimate(model, "How many tokens is this?", **kwargs)

    return asyncio.run(run())


def test_count_tokens_is_the_client_librarys_estimate() -> None:
    providers = {"openai": {"api_key": UPSTREAM_KEY}, "anthropic": {"api_key": UPSTREAM_KEY}}
    with served(client_for(providers)) as gateway:
        sdk = anthropic.Anthropic(base_url=gateway.url, api_key="sk-gateway", max_retries=0)
        for model, with_tools in (("openai/gpt-4o", False), ("anthropic/claude-sonnet-4-5", False),
                                  ("openai/gpt-4o", True)):
            raw = sdk.messages.with_raw_response.count_tokens(
                model=model, system="Be brief.", tools=[WEATHER] if with_tools else anthropic.omit,
                messages=[{"role": "user", "content": "How many tokens is this?"}])
            counted = raw.parse()
            tools = [modelplex.Tool(name="weather", description="The weather in a city.",
                                    parameters=SCHEMA)] if with_tools else []
            expected = _estimate(client_for(providers), model, system="Be brief.", tools=tools)
            assert counted.input_tokens == expected.input_tokens > 0
            assert raw.headers["x-modelplex-input-estimated"] == str(expected.estimated).lower()
            assert raw.headers.get("x-modelplex-tokenizer") == expected.tokenizer
