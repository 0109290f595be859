"""wire_messages.py: recorded request bodies of the five formats read back as canonical messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelplex import ImagePart, Message, ReasoningPart, TextPart, Tool, ToolCallPart
from modelplex_testing.wire_messages import WireRequest, read_request

FIXTURES = Path(__file__).parent / "fixtures"
OBJECT: dict[str, Any] = {"type": "object", "properties": {"city": {"type": "string"}}}


def _recorded(name: str) -> tuple[str, Any]:
    request = json.loads((FIXTURES / name).read_text())["request"]
    return request["url"], request["body"]


def test_a_recorded_chat_completions_request() -> None:
    got = read_request(*_recorded("01_chat_text.json"))
    assert got == WireRequest(messages=(Message.system("You are a helpful assistant."),
                                        Message.user("What is the capital of France?")))
    assert got.options() == {}


def test_a_recorded_tool_round_trip() -> None:
    got = read_request(*_recorded("06_chat_stream_text_with_usage.json"))
    user, call, result = got.messages
    assert user == Message.user("What is the capital of the UK? Use the tool, then answer.")
    assert call.parts == (ToolCallPart(id="call_ZR5UUuTt3pf61kjwAJIYdVMj", name="get_capital",
                                       arguments={"country": "UK"}),)
    assert result == Message.tool("call_ZR5UUuTt3pf61kjwAJIYdVMj", "London")
    assert [t.name for t in got.tools] == ["get_capital"]
    assert got.options() == {"tools": got.tools}


def test_chat_content_parts_arguments_and_limits() -> None:
    body = {"max_completion_tokens": 50, "messages": [
        {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
                                     {"type": "image_url", "image_url": "https://x/dog.png"},
                                     {"type": "input_audio", "input_audio": {}}]},
        {"role": "assistant", "reasoning_content": "Two animals.", "content": "",
         "tool_calls": [{"function": {"name": "look", "arguments": "not json"}},
                        {"id": "c2", "function": {"name": "look", "arguments": "[1]"}}]},
        {"role": "tool", "content": [{"type": "text", "text": "a cat"}]},
        {"role": "user", "content": None},
    ], "tools": [{"type": "function", "function": {"name": "look"}}, {"type": "web_search"}]}
    got = read_request("http://127.0.0.1:1/v1/chat/completions", body)
    system, user, assistant, tool = got.messages
    assert system == Message.system("Be brief.")
    assert user.parts == (TextPart(text="What is this?"), ImagePart(url="https://x/cat.png"),
                          ImagePart(url="https://x/dog.png"))  # audio is left out
    assert assistant.parts == (ReasoningPart(text="Two animals."),
                               ToolCallPart(id="call0", name="look", arguments={"_raw": "not json"}),
                               ToolCallPart(id="c2", name="look", arguments={"_value": [1]}))
    assert tool == Message.tool("call", "a cat")
    assert got.tools == (Tool(name="look", description="", parameters={"type": "object", "properties": {}}),)
    assert got.max_tokens == 50
    ollama = read_request("http://127.0.0.1:1/api/chat", {"messages": [], "options": {"num_predict": 7}})
    assert ollama.max_tokens == 7


def test_a_responses_request() -> None:
    body = {"instructions": "Be brief.", "max_output_tokens": 64, "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather?"},
                                     {"type": "input_image", "image_url": "https://x/sky.png"},
                                     {"type": "input_image", "file_id": "f1"}]},
        {"type": "message", "role": "assistant", "content": []},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Need the tool."}]},
        {"type": "reasoning", "summary": []},
        {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": '{"city": "Oslo"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "rain"},
        {"type": "web_search_call"},
    ], "tools": [{"type": "function", "name": "weather", "description": "Weather", "parameters": OBJECT},
                 {"type": "web_search"}]}
    got = read_request("https://api.openai.com/v1/responses/", body)
    assert got.messages == (
        Message.system("Be brief."),
        Message(role="user", parts=(TextPart(text="Weather?"), ImagePart(url="https://x/sky.png"),
                                    ImagePart(url="data:,"))),
        Message.assistant(ReasoningPart(text="Need the tool.")),
        Message.assistant(ToolCallPart(id="c1", name="weather", arguments={"city": "Oslo"})),
        Message.tool("c1", "rain"))
    assert got.tools == (Tool(name="weather", description="Weather", parameters=OBJECT),)
    assert got.max_tokens == 64
    plain = read_request("https://api.openai.com/v1/responses", {"input": "Hi"})
    assert plain.messages == (Message.user("Hi"),)


def test_an_anthropic_messages_request() -> None:
    body = {"system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
            "max_tokens": 100, "messages": [
                {"role": "user", "content": "Weather in Oslo?"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Use the tool.", "signature": "sig"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "tu1", "name": "weather", "input": {"city": "Oslo"}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "tu1",
                     "content": [{"type": "text", "text": "rain"}]},
                    {"type": "image", "source": {}}]},
            ], "tools": [{"name": "weather", "input_schema": OBJECT},
                         {"type": "web_search_20250305"}]}
    got = read_request("https://api.anthropic.com/v1/messages", body)
    assert got.messages == (
        Message.system("Be brief."), Message.user("Weather in Oslo?"),
        Message(role="assistant", parts=(ReasoningPart(text="Use the tool.", signature="sig"),
                                         TextPart(text="Checking."),
                                         ToolCallPart(id="tu1", name="weather", arguments={"city": "Oslo"}))),
        Message(role="user", parts=(ImagePart(url="data:,"),)),
        Message.tool("tu1", "rain"))
    assert got.tools == (Tool(name="weather", description="", parameters=OBJECT),)
    assert got.options() == {"tools": got.tools, "max_tokens": 100, "prompt_cache": True}
    assert not read_request("https://api.anthropic.com/v1/messages", {"messages": []}).prompt_cache


def test_a_gemini_generate_content_request() -> None:
    body = {"systemInstruction": {"parts": [{"text": "Be brief."}]},
            "generationConfig": {"maxOutputTokens": 32}, "contents": [
                {"role": "user", "parts": [{"text": "Weather?"}, {"inlineData": {"mimeType": "image/png"}}]},
                {"role": "model", "parts": [{"thought": True, "text": "Use the tool."},
                                            {"functionCall": {"name": "weather", "args": {"city": "Oslo"}}}]},
                {"role": "user", "parts": [{"functionResponse": {"name": "weather", "id": "w1",
                                                                 "response": {"sky": "rain"}}},
                                           {"executableCode": {}}]},
            ], "tools": [{"functionDeclarations": [
                {"name": "weather", "parameters": {"type": "OBJECT",
                                                   "properties": {"city": {"type": "STRING"}}}}]},
                {"googleSearch": {}}]}
    got = read_request("https://x/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body)
    assert got.messages == (
        Message.system("Be brief."),
        Message(role="user", parts=(TextPart(text="Weather?"), ImagePart(url="data:,"))),
        Message(role="assistant", parts=(ReasoningPart(text="Use the tool."),
                                         ToolCallPart(id="weather", name="weather",
                                                      arguments={"city": "Oslo"}))),
        Message.tool("w1", '{"sky": "rain"}', name="weather"))
    assert got.tools == (Tool(name="weather", description="", parameters=OBJECT),)
    assert got.max_tokens == 32
