"""What the gateway's OpenAI-format endpoints refuse before any call (a 400 ``invalid_request_error``
naming the parameter, nothing sent upstream), and the less common request shapes they translate: data
URL images, developer messages, a tool chosen by name, JSON schemas, Responses API input items."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gateway_server import Gateway, openai_client, openai_whole, served

from modelplex_testing.compat_server import ScriptedServer

HI = [{"role": "user", "content": "hi"}]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
CALL = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[ScriptedServer, Gateway]]:
    with ScriptedServer([openai_whole("fine")]) as up, served(openai_client(up)) as gw:
        yield up, gw


def _chat(**body: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-4o", "messages": HI, **body}


def _responses(**body: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-4o", "input": "hi", **body}


REFUSED_CHAT = [
    (_chat(messages=[]), "messages"),
    (_chat(messages=["hi"]), "messages[0]"),
    (_chat(messages=[{"role": "robot", "content": "hi"}]), "messages[0].role"),
    (_chat(messages=[{"role": "system", "content": [{"type": "image_url"}]}]), "messages[0].content[0]"),
    (_chat(messages=[{"role": "system", "content": 5}]), "messages[0].content"),
    (_chat(messages=[{"role": "user", "content": 5}]), "messages[0].content"),
    (_chat(messages=[{"role": "user", "content": [{"type": "input_audio"}]}]), "messages[0].content[0]"),
    (_chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}]),
     "messages[0].content[0]"),
    (_chat(messages=[{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]),
     "messages[0].content[0]"),
    (_chat(messages=[{"role": "user", "content": [{"type": "image_url",
                                                   "image_url": {"url": "data:image/png,xyz"}}]}]),
     "messages[0].content[0]"),
    (_chat(messages=[{"role": "user", "content": [{"type": "image_url",
                                                   "image_url": {"url": "data:image/png;base64,!!"}}]}]),
     "messages[0].content[0]"),
    (_chat(messages=[{"role": "assistant", "content": None, "tool_calls": ["x"]}]),
     "messages[0].tool_calls[0]"),
    (_chat(messages=[{"role": "assistant", "content": None,
                      "tool_calls": [{**CALL, "function": {"name": "weather", "arguments": "{oops"}}]}]),
     "messages[0].tool_calls[0]"),
    (_chat(messages=[{"role": "assistant", "content": None,
                      "tool_calls": [{**CALL, "function": {"name": "weather", "arguments": "[1]"}}]}]),
     "messages[0].tool_calls[0]"),
    (_chat(messages=[{"role": "assistant", "content": None, "tool_calls": [{**CALL, "id": ""}]}]),
     "messages[0].tool_calls[0].id"),
    (_chat(messages=[{"role": "tool", "content": "rain"}]), "messages[0].tool_call_id"),
    (_chat(model=""), "model"),
    (_chat(n=2), "n"),
    (_chat(logprobs=True), "logprobs"),
    (_chat(tools={"type": "function"}), "tools"),
    (_chat(tools=[{"type": "web_search"}]), "tools[0]"),
    (_chat(tools=[{"type": "function"}]), "tools[0]"),
    (_chat(tool_choice="sometimes"), "tool_choice"),
    (_chat(tool_choice={"type": "function", "function": {}}), "tool_choice"),
    (_chat(response_format="json"), "response_format"),
    (_chat(response_format={"type": "json_schema", "json_schema": {"name": "x"}}), "response_format"),
    (_chat(response_format={"type": "xml"}), "response_format.type"),
]

REFUSED_RESPONSES = [
    (_responses(input=[]), "input"),
    (_responses(input=["hi"]), "input[0]"),
    (_responses(input=[{"role": "robot", "content": "hi"}]), "input[0].role"),
    (_responses(input=[{"type": "web_search_call"}]), "input[0].type"),
    (_responses(input=[{"type": "function_call", "name": "weather", "arguments": "{}"}]), "input[0].call_id"),
    (_responses(input=[{"type": "function_call_output", "output": "rain"}]), "input[0].call_id"),
    (_responses(previous_response_id="resp_1"), "previous_response_id"),
    (_responses(text={"format": {"type": "xml"}}), "text.format.type"),
    (_responses(tools=[{"type": "file_search"}]), "tools[0]"),
]


@pytest.mark.parametrize(("body", "param"), REFUSED_CHAT, ids=[p for _, p in REFUSED_CHAT])
def test_a_chat_completions_request_the_gateway_cannot_send_is_a_400_naming_the_parameter(
        gateway: tuple[ScriptedServer, Gateway], body: dict[str, Any], param: str) -> None:
    up, gw = gateway
    before = len(up.requests)
    answer = httpx.post(f"{gw.v1}/chat/completions", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert len(up.requests) == before  # refused before any call


@pytest.mark.parametrize(("body", "param"), REFUSED_RESPONSES, ids=[p for _, p in REFUSED_RESPONSES])
def test_a_responses_request_the_gateway_cannot_send_is_a_400_naming_the_parameter(
        gateway: tuple[ScriptedServer, Gateway], body: dict[str, Any], param: str) -> None:
    up, gw = gateway
    before = len(up.requests)
    answer = httpx.post(f"{gw.v1}/responses", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert len(up.requests) == before


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"], ids=["not JSON", "not an object"])
def test_a_body_that_is_no_json_object_is_a_400(gateway: tuple[ScriptedServer, Gateway], body: bytes) -> None:
    _, gw = gateway
    answer = httpx.post(f"{gw.v1}/chat/completions", content=body,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_uncommon_chat_shapes_reach_the_upstream_translated(gateway: tuple[ScriptedServer, Gateway]) -> None:
    up, gw = gateway
    answer = httpx.post(f"{gw.v1}/chat/completions", json=_chat(
        messages=[{"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
                  {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                               {"type": "image_url",
                                                "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
                  {"role": "assistant", "content": "Checking.", "tool_calls": [CALL]},
                  {"role": "tool", "tool_call_id": "c1", "content": "rain"}],
        tools=[{"type": "function", "function": {"name": "weather"}}],
        tool_choice={"type": "function", "function": {"name": "weather"}},
        response_format={"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}},
        stop=["END"], seed=7, reasoning_effort="low", user="alice"))
    assert answer.status_code == 200, answer.text
    sent = up.requests[-1].json
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["messages"][1]["content"][1]["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    assert sent["messages"][2]["tool_calls"][0]["function"]["name"] == "weather"
    assert sent["messages"][3]["tool_call_id"] == "c1"
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "weather"}}
    assert sent["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert (sent["stop"], sent["seed"]) == (["END"], 7)


def test_responses_input_items_reach_the_upstream_as_one_conversation(
        gateway: tuple[ScriptedServer, Gateway]) -> None:
    up, gw = gateway
    answer = httpx.post(f"{gw.v1}/responses", json=_responses(
        instructions="Be brief.", max_output_tokens=40, reasoning={"effort": "high"},
        text={"format": {"type": "json_schema", "name": "w", "schema": {"type": "object"}}},
        tools=[{"type": "function", "name": "weather", "parameters": {"type": "object"}}],
        tool_choice={"type": "function", "name": "weather"},
        input=[{"role": "developer", "content": "Use tools."},
               {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Oslo?"}]},
               {"type": "reasoning", "summary": []},
               {"role": "assistant", "content": "Checking."},
               {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": '{"city": "Oslo"}'},
               {"type": "function_call_output", "call_id": "c1",
                "output": [{"type": "text", "text": "rain"}]}]))
    assert answer.status_code == 200, answer.text
    sent = up.requests[-1].json
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "system", "user", "assistant", "tool"]
    assert sent["messages"][3]["tool_calls"][0]["id"] == "c1"  # the call joins the text it follows
    assert sent["messages"][4]["content"] == "rain"
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "weather"}}
