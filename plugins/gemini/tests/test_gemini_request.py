"""The request body: generationConfig, thinking, JSON output, tools and tool config, extra."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from gemini_helpers import request
from hypothesis import given
from modelplex_gemini.request import build_body, merged

from modelplex import ChatRequest, Message, ResponseFormat, Tool, ToolChoice, ToolResultPart
from modelplex_testing import strategies as mst


def body(model: str = "gemini-2.5-flash", **options: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    out, warnings = build_body(request("hi", model=model, **options), "gemini")
    return out, [(w.code, w.field or "") for w in warnings]


def test_a_plain_request() -> None:
    out, warnings = body()
    assert out == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": {}}
    assert warnings == []


def test_sampling_options() -> None:
    out, warnings = body(temperature=0.2, top_p=0.9, max_tokens=256, stop=["END", "STOP"], seed=7)
    assert out["generationConfig"] == {"temperature": 0.2, "topP": 0.9, "maxOutputTokens": 256,
                                       "stopSequences": ["END", "STOP"], "seed": 7}
    assert warnings == []


def test_system_instruction() -> None:
    out, _ = build_body(ChatRequest(model="gemini-2.5-flash", messages=(
        Message.system("Be brief."), Message.user("hi"))), "gemini")
    assert out["systemInstruction"] == {"role": "user", "parts": [{"text": "Be brief."}]}


@pytest.mark.parametrize(("model", "options", "config", "warned"), [
    ("gemini-2.5-flash", {"reasoning_budget": 2048}, {"thinkingBudget": 2048, "includeThoughts": True}, []),
    ("gemini-2.5-flash", {"reasoning_budget": 0}, {"thinkingBudget": 0}, []),
    ("gemini-2.5-pro", {"reasoning_budget": -1}, {"thinkingBudget": -1, "includeThoughts": True}, []),
    ("gemini-2.5-flash", {"reasoning_effort": "low"}, {"thinkingBudget": 1024, "includeThoughts": True}, []),
    ("gemini-2.5-pro", {"reasoning_effort": "high"}, {"thinkingBudget": 24576, "includeThoughts": True},
     []),
    ("gemini-3-pro-preview", {"reasoning_effort": "high"}, {"thinkingLevel": "high", "includeThoughts": True},
     []),
    ("gemini-3-flash-preview", {"reasoning_effort": "medium"},
     {"thinkingLevel": "medium", "includeThoughts": True}, []),
    ("gemini-3-pro-preview", {"reasoning_budget": 512, "reasoning_effort": "low"},
     {"thinkingBudget": 512, "includeThoughts": True}, [("unsupported-setting", "reasoning_effort")]),
])
def test_thinking(model: str, options: dict[str, Any], config: dict[str, Any],
                  warned: list[tuple[str, str]]) -> None:
    out, warnings = body(model, **options)
    assert out["generationConfig"] == {"thinkingConfig": config}
    assert warnings == warned


def test_json_output() -> None:
    out, warnings = body(response_format=ResponseFormat(type="json_object"))
    assert out["generationConfig"] == {"responseMimeType": "application/json"}
    schema = {"type": "object", "additionalProperties": False, "title": "City",
              "properties": {"name": {"type": "string"}, "founded": {"anyOf": [{"type": "integer"},
                                                                                 {"type": "null"}]}},
              "required": ["name", "founded"]}
    out, warnings = body(response_format=ResponseFormat(type="json_schema", schema=schema, name="city",
                                                        strict=True))
    assert out["generationConfig"] == {"responseMimeType": "application/json", "responseSchema": {
        "type": "OBJECT", "title": "City", "required": ["name", "founded"], "properties": {
            "name": {"type": "STRING"}, "founded": {"type": "INTEGER", "nullable": True}}}}
    assert warnings == [("dropped-schema-keyword", "response_format.schema.additionalProperties")]
    out, _ = body(response_format=ResponseFormat(type="text"))
    assert out["generationConfig"] == {}


def test_a_formats_description_goes_on_the_response_schema_unless_it_has_its_own() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    out, warnings = body(response_format=ResponseFormat(type="json_schema", schema=schema,
                                                        description="A city."))
    assert out["generationConfig"]["responseSchema"] == {
        "type": "OBJECT", "description": "A city.", "properties": {"name": {"type": "STRING"}}}
    assert warnings == []
    own = {**schema, "description": "A town."}
    out, _ = body(response_format=ResponseFormat(type="json_schema", schema=own, description="A city."))
    assert out["generationConfig"]["responseSchema"]["description"] == "A town."


def test_tools_and_tool_choice() -> None:
    tools = [Tool(name="a"), Tool(name="b")]
    out, warnings = body(tools=tools, tool_choice=ToolChoice.tool("b"), parallel_tool_calls=True)
    assert out["tools"] == [{"functionDeclarations": [
        {"name": "a", "description": "", "parameters": {"type": "OBJECT", "properties": {}}},
        {"name": "b", "description": "", "parameters": {"type": "OBJECT", "properties": {}}}]}]
    assert out["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["b"]}}
    assert warnings == []
    out, warnings = body(tools=tools)
    assert "toolConfig" not in out


def test_what_cannot_be_sent_is_warned() -> None:
    out, warnings = body(tool_choice=ToolChoice.required(), parallel_tool_calls=False)
    assert "tools" not in out and "toolConfig" not in out
    assert warnings == [("unsupported-setting", "tool_choice"),
                        ("unsupported-setting", "parallel_tool_calls")]
    _, quiet = body(tool_choice=ToolChoice.none(), prompt_cache=True)
    assert quiet == []


def test_extra_is_merged_object_by_object() -> None:
    out, _ = body(temperature=0.5, extra={
        "generationConfig": {"topK": 40, "thinkingConfig": {"includeThoughts": True}},
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        "cachedContent": "cachedContents/abc"}, reasoning_budget=100)
    assert out["generationConfig"] == {"temperature": 0.5, "topK": 40,
                                       "thinkingConfig": {"thinkingBudget": 100, "includeThoughts": True}}
    assert out["safetySettings"][0]["threshold"] == "BLOCK_NONE"
    assert out["cachedContent"] == "cachedContents/abc"
    assert merged({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": 3}, "d": [2]}) == {
        "a": {"b": 3, "c": 2}, "d": [2]}


def _named(message: Message) -> Message:
    """Tool results named, as Gemini needs when the call they answer is not in the conversation."""
    return Message(role=message.role, parts=tuple(
        attrs.evolve(p, name=p.name or "f") if isinstance(p, ToolResultPart) else p
        for p in message.parts))


@given(mst.chat_requests())
def test_any_request_builds_a_json_body(req: ChatRequest) -> None:
    req = attrs.evolve(req, messages=tuple(_named(m) for m in req.messages))
    out, warnings = build_body(req, "gemini")
    wire = json.loads(json.dumps(out))
    opts = req.options
    assert {"contents", "generationConfig"} <= set(wire)
    if opts.tools and "tools" not in opts.extra:
        assert [d["name"] for d in wire["tools"][0]["functionDeclarations"]] == [t.name for t in opts.tools]
    if not opts.extra:
        config = wire["generationConfig"]
        assert config.get("temperature") == opts.temperature and config.get("seed") == opts.seed
        assert ("thinkingConfig" in config) == (opts.reasoning_budget is not None
                                                or opts.reasoning_effort is not None)
    assert all(w.code and w.message for w in warnings)
