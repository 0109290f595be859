"""``POST /v1/chat/completions`` with the official ``openai`` SDK, against the gateway served by uvicorn in
front of a loopback OpenAI-format upstream: what the upstream received, what the SDK parsed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import openai
import pytest
from gateway_server import UPSTREAM_KEY, openai_client, openai_whole, served, sse_data

import modelplex
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk, parallel_tool_calls

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
HI = [{"role": "user", "content": "hi"}]


def sdk(gateway_v1: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway_v1, api_key="unused-locally", max_retries=0)


def test_a_whole_reply_reaches_the_sdk_with_its_usage_and_the_overhead_header() -> None:
    with ScriptedServer([openai_whole("Hello there!")]) as up, served(openai_client(up)) as gw:
        raw = sdk(gw.v1).chat.completions.with_raw_response.create(
            model="openai/gpt-4o", temperature=0.2, max_tokens=50,
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])
        reply = raw.parse()
    assert reply.choices[0].message.content == "Hello there!"
    assert reply.choices[0].finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (11, 7, 18)
    assert float(raw.headers["x-modelplex-overhead-ms"]) >= 0
    sent = up.requests[0].json
    assert sent["model"] == "gpt-4o"
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    assert sent["temperature"] == 0.2
    assert sent.get("max_tokens", sent.get("max_completion_tokens")) == 50
    assert up.requests[0].headers["authorization"] == f"Bearer {UPSTREAM_KEY}"


def test_the_async_sdk_gets_the_same_reply() -> None:
    async def ask(v1: str) -> str | None:
        async with openai.AsyncOpenAI(base_url=v1, api_key="x", max_retries=0) as client:
            reply = await client.chat.completions.create(model="openai/gpt-4o", messages=HI)
            return reply.choices[0].message.content

    with ScriptedServer([openai_whole("async hello")]) as up, served(openai_client(up)) as gw:
        assert asyncio.run(ask(gw.v1)) == "async hello"


def _stream_reply() -> Reply:
    return Reply.stream([chunk(content="Hel"), chunk(content="lo"), chunk(finish="stop"), chunk(usage=USAGE)])


def test_a_stream_without_include_usage_has_no_usage_chunk_and_ends_with_done() -> None:
    with ScriptedServer([_stream_reply()]) as up, served(openai_client(up)) as gw:
        body = httpx.post(f"{gw.v1}/chat/completions", json={"model": "openai/gpt-4o", "messages": HI,
                                                              "stream": True}).text
        chunks = list(sdk(gw.v1).chat.completions.create(model="openai/gpt-4o", messages=HI, stream=True))
    data = sse_data(body)
    assert data[-1] == "[DONE]"
    assert all(d["choices"] for d in data[:-1]), "a chunk without choices was sent unasked"
    assert all("usage" not in d or d["usage"] is None for d in data[:-1])
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_with_include_usage_the_last_chunk_has_empty_choices_and_the_usage() -> None:
    with ScriptedServer([_stream_reply()]) as up, served(openai_client(up)) as gw:
        chunks = list(sdk(gw.v1).chat.completions.create(
            model="openai/gpt-4o", messages=HI, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (11, 7)
    assert all(c.choices for c in chunks[:-1])


def test_tool_calls_are_streamed_with_their_index_and_the_tools_reach_the_upstream() -> None:
    tools = [{"type": "function", "function": {"name": "weather", "description": "Weather in a city",
                                               "parameters": {"type": "object",
                                                              "properties": {"city": {"type": "string"}}}}},
             {"type": "function", "function": {"name": "time", "parameters": {"type": "object",
                                                                              "properties": {}}}}]
    with ScriptedServer([Reply.stream(parallel_tool_calls(USAGE))]) as up, served(openai_client(up)) as gw:
        stream = sdk(gw.v1).chat.completions.create(model="openai/gpt-4o", messages=HI, tools=tools,
                                                    tool_choice="auto", stream=True)
        calls: dict[int, dict[str, str]] = {}
        finish = None
        for c in stream:
            for delta in c.choices[0].delta.tool_calls or ():
                call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.id or ""
                call["name"] += (delta.function.name or "") if delta.function else ""
                call["arguments"] += (delta.function.arguments or "") if delta.function else ""
            finish = c.choices[0].finish_reason or finish
    assert calls == {0: {"id": "call_w", "name": "weather", "arguments": '{"city":"Oslo"}'},
                     1: {"id": "call_t", "name": "time", "arguments": '{"tz":"CET"}'}}
    assert finish == "tool_calls"
    sent = up.requests[0].json
    assert [t["function"]["name"] for t in sent["tools"]] == ["weather", "time"]
    assert sent["tools"][0]["function"]["parameters"]["properties"] == {"city": {"type": "string"}}


def test_a_tool_call_round_trip_sends_the_call_and_its_result_upstream() -> None:
    call = {"id": "call_1", "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}
    with ScriptedServer([openai_whole(None, tool_calls=[call], finish="tool_calls"),
                         openai_whole("It is sunny.")]) as up, served(openai_client(up)) as gw:
        client = sdk(gw.v1)
        tools = [{"type": "function", "function": {"name": "weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}}}}}]
        first = client.chat.completions.create(model="openai/gpt-4o", messages=HI, tools=tools)
        got = first.choices[0].message.tool_calls
        assert first.choices[0].finish_reason == "tool_calls"
        assert got is not None and got[0].function.name == "weather"
        assert json.loads(got[0].function.arguments) == {"city": "Oslo"}
        second = client.chat.completions.create(model="openai/gpt-4o", tools=tools, messages=[
            *HI, first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": got[0].id, "content": "sunny"}])
    assert second.choices[0].message.content == "It is sunny."
    sent = up.requests[1].json["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1"
    assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}


def test_a_json_schema_response_format_reaches_the_upstream() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    with ScriptedServer([openai_whole('{"city": "Paris"}')]) as up, served(openai_client(up)) as gw:
        reply = sdk(gw.v1).chat.completions.create(
            model="openai/gpt-4o", messages=HI,
            response_format={"type": "json_schema", "json_schema": {"name": "place", "schema": schema,
                                                                    "strict": True,
                                                                    "description": "A city."}})
    assert json.loads(reply.choices[0].message.content or "") == {"city": "Paris"}
    fmt = up.requests[0].json["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["schema"]["properties"] == schema["properties"]
    assert fmt["json_schema"]["name"] == "place"
    assert fmt["json_schema"]["description"] == "A city."


def test_n_above_one_is_refused_before_any_call() -> None:
    with ScriptedServer([openai_whole()]) as up, served(openai_client(up)) as gw:
        with pytest.raises(openai.BadRequestError) as caught:
            sdk(gw.v1).chat.completions.create(model="openai/gpt-4o", messages=HI, n=2)
        assert up.requests == []
    assert caught.value.body["param"] == "n"  # type: ignore[index]
    assert "n > 1" in caught.value.message


@pytest.mark.parametrize("stream", [False, True])
def test_errors_reach_the_sdk_as_its_exception_classes(stream: bool) -> None:
    limited = Reply.json({"error": {"message": "Rate limit reached", "type": "requests",
                                    "code": "rate_limit_exceeded"}}, status=429, **{"retry-after": "7"})
    bad = Reply.json({"error": {"message": "bad value for temperature", "type": "invalid_request_error",
                                "param": "temperature", "code": None}}, status=400)
    with ScriptedServer([limited, bad]) as up, \
            served(openai_client(up)) as gw:
        client = sdk(gw.v1)
        with pytest.raises(openai.RateLimitError) as limit:
            client.chat.completions.create(model="openai/gpt-4o", messages=HI, stream=stream)
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="openai/gpt-4o", messages=HI, stream=stream)
        with pytest.raises(openai.NotFoundError) as unknown:
            client.chat.completions.create(model="nosuchprovider/x", messages=HI, stream=stream)
    assert limit.value.response.headers.get("retry-after") == "7"
    assert limit.value.body["type"] == "rate_limit_error"  # type: ignore[index]
    assert unknown.value.body["code"] == "model_not_found"  # type: ignore[index]


def test_a_stream_cut_upstream_ends_with_an_error_event_the_sdk_raises() -> None:
    cut = Reply.stream([chunk(content="Hel"), chunk(content="lo"), chunk(finish="stop")], cut_after=2)
    with ScriptedServer([cut]) as up, served(openai_client(up)) as gw:
        seen: list[str] = []

        def read() -> None:
            for c in sdk(gw.v1).chat.completions.create(model="openai/gpt-4o", messages=HI, stream=True):
                seen.append(c.choices[0].delta.content or "")

        with pytest.raises(openai.APIError):
            read()
    assert "".join(seen) == "Hello"


def test_the_upstream_key_never_reaches_the_caller() -> None:
    leak = Reply.json({"error": {"message": f"Incorrect API key provided: {UPSTREAM_KEY}"}}, status=401)
    with ScriptedServer([leak]) as up, served(openai_client(up)) as gw:
        answer = httpx.post(f"{gw.v1}/chat/completions", json={"model": "openai/gpt-4o", "messages": HI})
        metrics = httpx.get(f"{gw.url}/metrics").text
        providers = httpx.get(f"{gw.url}/providers").text
    # The upstream refusing the gateway's own key is the gateway's fault: not a 401 telling the caller
    # to change a key they do not hold.
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "upstream_authentication"
    for text in (answer.text, str(answer.headers), metrics, providers):
        assert UPSTREAM_KEY not in text
        assert UPSTREAM_KEY[-12:] not in text


def test_an_agent_is_addressed_as_agent_slash_name_with_its_model_system_and_options(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[agents.helper]\nmodel = "openai/gpt-4o"\nsystem = "You help."\ntemperature = 0.3\n')
    with ScriptedServer([openai_whole("Glad to.")]) as up, served(lambda: modelplex.AsyncClient(
            config_file=config, env={}, providers={"openai": {"base_url": up.url, "api_key": UPSTREAM_KEY,
                                                              "api": "chat_completions"}})) as gw:
        client = sdk(gw.v1)
        reply = client.chat.completions.create(model="agent/helper", messages=HI)
        listed = {m.id for m in client.models.list()}
    assert reply.choices[0].message.content == "Glad to."
    sent = up.requests[0].json
    assert sent["model"] == "gpt-4o"
    assert sent["messages"] == [{"role": "system", "content": "You help."}, {"role": "user", "content": "hi"}]
    assert sent["temperature"] == 0.3
    assert "agent/helper" in listed


def test_a_policy_refusal_is_a_403_the_sdk_is_told_not_to_retry(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[policy]\n[[policy.rules]]\nname = "no gpt-4o"\ndeny_models = ["openai/gpt-4o"]\n')
    with ScriptedServer([openai_whole()]) as up, served(lambda: modelplex.AsyncClient(
            config_file=config, env={}, providers={"openai": {"base_url": up.url, "api_key": UPSTREAM_KEY,
                                                              "api": "chat_completions"}})) as gw:
        # max_retries=2, the SDK's default: x-should-retry: false must stop it from asking again.
        client = openai.OpenAI(base_url=gw.v1, api_key="x", max_retries=2)
        with pytest.raises(openai.PermissionDeniedError) as caught:
            client.chat.completions.create(model="openai/gpt-4o", messages=HI)
        metrics = httpx.get(f"{gw.url}/metrics").text
    assert up.requests == []
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert "no gpt-4o" in caught.value.message
    assert metrics.count('code="policy_denied"} 1') == 1  # one request: not retried


def test_a_caller_hanging_up_mid_stream_stops_the_upstream_stream() -> None:
    slow = Reply.stream([chunk(content=f"w{i} ") for i in range(40)] + [chunk(finish="stop")], delay=0.1)
    with ScriptedServer([slow]) as up, served(openai_client(up)) as gw:
        with httpx.stream("POST", f"{gw.v1}/chat/completions", json={
                "model": "openai/gpt-4o", "messages": HI, "stream": True}) as r:
            for line in r.iter_lines():
                if '"content":"w1 "' in line:
                    break  # leave after two words of forty
        assert up.wait_disconnect(5), "the gateway kept reading a stream nobody reads"


def test_an_image_in_a_user_message_reaches_the_upstream() -> None:
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ"
             "GAhKmMIQAAAABJRU5ErkJggg==")
    with ScriptedServer([openai_whole("A dot.")]) as up, served(openai_client(up)) as gw:
        sdk(gw.v1).chat.completions.create(model="openai/gpt-4o", messages=[{"role": "user", "content": [
            {"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": pixel}}]}])
    parts = up.requests[0].json["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "What is this?"}
    assert parts[1]["type"] == "image_url" and parts[1]["image_url"]["url"] == pixel


@pytest.mark.parametrize("stream", [False, True])
def test_an_unknown_agent_is_a_model_not_found_with_the_overhead_header(stream: bool) -> None:
    with ScriptedServer([openai_whole()]) as up, served(openai_client(up)) as gw:
        answer = httpx.post(f"{gw.v1}/chat/completions", json={"model": "agent/nosuch", "messages": HI,
                                                               "stream": stream})
        with pytest.raises(openai.NotFoundError):
            sdk(gw.v1).chat.completions.create(model="agent/nosuch", messages=HI, stream=stream)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "model_not_found"
    assert float(answer.headers["x-modelplex-overhead-ms"]) >= 0
    assert up.requests == []
