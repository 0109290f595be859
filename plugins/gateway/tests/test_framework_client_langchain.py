"""LangChain's ``ChatOpenAI`` (langchain-openai), a framework client users point at gateways, against the
gateway served by uvicorn in front of a loopback OpenAI-format upstream: whole replies, streams with and
without ``stream_usage``, tool calls whole and streamed, structured output by JSON schema."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, cast

import pytest
from gateway_server import openai_client, openai_whole, served
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from modelplex_testing.compat_server import Reply, ScriptedServer, chunk, parallel_tool_calls

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
WEATHER = {"type": "function", "function": {"name": "weather", "description": "Weather in a city",
                                            "parameters": {"type": "object",
                                                           "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}
TIME = {"type": "function", "function": {"name": "time", "description": "The time in a zone",
                                         "parameters": {"type": "object",
                                                        "properties": {"tz": {"type": "string"}}}}}


def chat(v1: str, **options: Any) -> ChatOpenAI:
    """ChatOpenAI as a user configures it for a gateway: its base URL, any key, a ``provider/model``."""
    return ChatOpenAI(base_url=v1, api_key="unused-locally", model="openai/gpt-4o",  # type: ignore[arg-type]
                      max_retries=0, **options)


def _stream_reply() -> Reply:
    return Reply.stream([chunk(content="Hel"), chunk(content="lo"), chunk(finish="stop"), chunk(usage=USAGE)])


def _joined(chunks: Sequence[BaseMessage]) -> AIMessageChunk:
    """A stream's chunks added up, as LangChain's callers do."""
    assert chunks
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    total = cast(AIMessageChunk, chunks[0])
    for c in chunks[1:]:
        total = total + cast(AIMessageChunk, c)
    return total


def test_a_whole_reply_has_its_text_usage_and_finish_reason() -> None:
    with ScriptedServer([openai_whole("Hello there!")]) as up, served(openai_client(up)) as gw:
        reply = chat(gw.v1, stream_usage=True, temperature=0.3).invoke(
            [("system", "Be brief."), ("human", "hi")])
    assert isinstance(reply, AIMessage)
    assert reply.content == "Hello there!"
    assert reply.usage_metadata is not None
    assert (reply.usage_metadata["input_tokens"], reply.usage_metadata["output_tokens"],
            reply.usage_metadata["total_tokens"]) == (11, 7, 18)
    assert reply.response_metadata["finish_reason"] == "stop"
    sent = up.requests[0].json
    assert sent["model"] == "gpt-4o"
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    assert sent["temperature"] == 0.3


def test_a_stream_with_stream_usage_ends_with_the_usage() -> None:
    with ScriptedServer([_stream_reply()]) as up, served(openai_client(up)) as gw:
        chunks = list(chat(gw.v1, stream_usage=True).stream("hi"))
    total = _joined(chunks)
    assert total.content == "Hello"
    assert total.usage_metadata is not None
    assert (total.usage_metadata["input_tokens"], total.usage_metadata["output_tokens"],
            total.usage_metadata["total_tokens"]) == (11, 7, 18)
    assert total.response_metadata["finish_reason"] == "stop"
    assert up.requests[0].json["stream"] is True


def test_a_stream_without_stream_usage_gets_no_usage_chunk() -> None:
    # LangChain asks for the usage chunk only with stream_usage: the gateway must not send it unasked
    # (an OpenAI-compatible gateway that does breaks clients which index choices[0]).
    with ScriptedServer([_stream_reply()]) as up, served(openai_client(up)) as gw:
        chunks = list(chat(gw.v1, stream_usage=False).stream("hi"))
    total = _joined(chunks)
    assert total.content == "Hello"
    assert total.usage_metadata is None


def test_the_async_stream_with_usage_matches() -> None:
    async def ask(v1: str) -> AIMessageChunk:
        return _joined([c async for c in chat(v1, stream_usage=True).astream("hi")])

    with ScriptedServer([_stream_reply()]) as up, served(openai_client(up)) as gw:
        total = asyncio.run(ask(gw.v1))
    assert total.content == "Hello"
    assert total.usage_metadata is not None
    assert total.usage_metadata["total_tokens"] == 18


def test_a_tool_call_and_its_result_make_a_round_trip() -> None:
    call = {"id": "call_1", "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}
    with ScriptedServer([openai_whole(None, tool_calls=[call], finish="tool_calls"),
                         openai_whole("It is sunny.")]) as up, served(openai_client(up)) as gw:
        llm = chat(gw.v1, stream_usage=True).bind_tools([WEATHER])
        question = HumanMessage("Weather in Oslo?")
        first = llm.invoke([question])
        assert isinstance(first, AIMessage)
        assert first.tool_calls == [{"name": "weather", "args": {"city": "Oslo"}, "id": "call_1",
                                     "type": "tool_call"}]
        second = llm.invoke([question, first, ToolMessage("sunny", tool_call_id="call_1")])
    assert second.content == "It is sunny."
    assert [t["function"]["name"] for t in up.requests[0].json["tools"]] == ["weather"]
    sent = up.requests[1].json["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1"
    assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}


def test_streamed_parallel_tool_calls_are_joined_by_their_index() -> None:
    with ScriptedServer([Reply.stream(parallel_tool_calls(USAGE))]) as up, served(openai_client(up)) as gw:
        chunks = list(chat(gw.v1, stream_usage=True).bind_tools([WEATHER, TIME]).stream("Weather and time?"))
    total = _joined(chunks)
    assert total.content == "Checking both."
    assert [(c["name"], c["args"], c["id"]) for c in total.tool_calls] == [
        ("weather", {"city": "Oslo"}, "call_w"), ("time", {"tz": "CET"}, "call_t")]
    assert total.response_metadata["finish_reason"] == "tool_calls"
    assert total.usage_metadata is not None
    assert total.usage_metadata["output_tokens"] == 7


class Place(BaseModel):
    """A structured reply."""

    city: str


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic's serializer notes on the parsed field
def test_structured_output_by_json_schema_reaches_the_upstream_and_is_parsed() -> None:
    with ScriptedServer([openai_whole('{"city": "Paris"}')]) as up, served(openai_client(up)) as gw:
        place = chat(gw.v1).with_structured_output(Place, method="json_schema", strict=True).invoke("Where?")
    assert place == Place(city="Paris")
    fmt = up.requests[0].json["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Place"
    assert fmt["json_schema"]["schema"]["properties"] == {"city": {"title": "City", "type": "string"}}
