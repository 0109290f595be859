"""A recorded request body read back as canonical messages and options, so that a recording can be
replayed through code that takes canonical requests (``client.estimate``, for one).

It reads the five request formats of the recorded traffic: OpenAI Chat Completions (and the compatible
servers, Ollama's native ``/api/chat`` too), OpenAI Responses, Anthropic Messages and Gemini
``generateContent``. What it cannot read (audio, files) it leaves out; images become an
:class:`~modelplex.ImagePart` with their URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from modelplex._messages import (
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
)
from modelplex._tools import Tool


@attrs.frozen(kw_only=True)
class WireRequest:
    """The canonical messages and the options that bear on the tokens of a recorded request."""

    messages: tuple[Message, ...]
    tools: tuple[Tool, ...] = ()
    max_tokens: int | None = None
    prompt_cache: bool = False

    def options(self) -> dict[str, Any]:
        """Keyword options for ``client.chat``/``client.estimate``."""
        out: dict[str, Any] = {}
        if self.tools:
            out["tools"] = self.tools
        if self.max_tokens is not None:
            out["max_tokens"] = self.max_tokens
        if self.prompt_cache:
            out["prompt_cache"] = True
        return out


def _role(value: Any) -> Role:
    roles: dict[Any, Role] = {"system": "system", "developer": "system", "user": "user",
                              "assistant": "assistant", "model": "assistant", "tool": "tool"}
    return roles.get(value, "user")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_text(v.get("text", "")) if isinstance(v, Mapping) else _text(v) for v in value)
    return json.dumps(value)


def _arguments(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value or "{}")
        except ValueError:
            return {"_raw": value}
        return parsed if isinstance(parsed, dict) else {"_value": parsed}
    return dict(value or {})


def _has_cache_control(body: Any) -> bool:
    if isinstance(body, Mapping):
        return "cache_control" in body or any(_has_cache_control(v) for v in body.values())
    if isinstance(body, list):
        return any(_has_cache_control(v) for v in body)
    return False


def _lower_types(schema: Any) -> Any:
    # Gemini's schemas spell types in capitals (OBJECT, STRING); JSON Schema's are lower case.
    if isinstance(schema, Mapping):
        return {k: v.lower() if k == "type" and isinstance(v, str) else _lower_types(v)
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_lower_types(v) for v in schema]
    return schema


def _tool(name: str, description: Any, parameters: Any) -> Tool:
    parameters = _lower_types(parameters)
    schema: Any = parameters if isinstance(parameters, Mapping) and parameters else {"type": "object",
                                                                                     "properties": {}}
    return Tool(name=name, description=description or "", parameters=schema)


def _chat_parts(content: Any) -> list[Part]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(text=content)] if content else []
    parts: list[Part] = []
    for item in content:
        kind = item.get("type")
        if kind in ("text", "input_text", "output_text"):
            parts.append(TextPart(text=item.get("text", "")))
        elif kind == "image_url":
            url = item["image_url"]["url"] if isinstance(item["image_url"], Mapping) else item["image_url"]
            parts.append(ImagePart(url=url))
        elif kind == "input_image":
            parts.append(ImagePart(url=item.get("image_url") or "data:,"))
    return parts


def _chat(body: Mapping[str, Any]) -> WireRequest:
    messages: list[Message] = []
    for m in body.get("messages", ()):
        role = m.get("role")
        if role == "tool":
            messages.append(Message.tool(m.get("tool_call_id") or "call", _text(m.get("content") or "")))
            continue
        parts: list[Part] = []
        if m.get("reasoning_content"):
            parts.append(ReasoningPart(text=m["reasoning_content"]))
        parts += _chat_parts(m.get("content"))
        for i, call in enumerate(m.get("tool_calls") or ()):
            fn = call.get("function", {})
            parts.append(ToolCallPart(id=call.get("id") or f"call{i}", name=fn.get("name", "f"),
                                      arguments=_arguments(fn.get("arguments"))))
        if parts:
            messages.append(Message(role=_role(role), parts=tuple(parts)))
    tools = tuple(_tool(t["function"]["name"], t["function"].get("description"),
                        t["function"].get("parameters")) for t in body.get("tools") or ()
                  if "function" in t)
    limit = body.get("max_completion_tokens") or body.get("max_tokens") \
        or (body.get("options") or {}).get("num_predict")
    return WireRequest(messages=tuple(messages), tools=tools, max_tokens=limit)


def _responses(body: Mapping[str, Any]) -> WireRequest:
    messages: list[Message] = []
    if body.get("instructions"):
        messages.append(Message.system(body["instructions"]))
    items = body.get("input") or ()
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role", "user")
            parts = tuple(_chat_parts(item.get("content")))
            if parts:
                messages.append(Message(role=_role(role), parts=parts))
        elif kind == "function_call":
            messages.append(Message.assistant(ToolCallPart(
                id=item.get("call_id", "call"), name=item.get("name", "f"),
                arguments=_arguments(item.get("arguments")))))
        elif kind == "function_call_output":
            messages.append(Message.tool(item.get("call_id", "call"), _text(item.get("output", ""))))
        elif kind == "reasoning":
            text = "".join(s.get("text", "") for s in item.get("summary") or ())
            if text:
                messages.append(Message.assistant(ReasoningPart(text=text)))
    tools = tuple(_tool(t["name"], t.get("description"), t.get("parameters"))
                  for t in body.get("tools") or () if t.get("type") == "function")
    return WireRequest(messages=tuple(messages), tools=tools, max_tokens=body.get("max_output_tokens"))


def _anthropic(body: Mapping[str, Any]) -> WireRequest:
    messages: list[Message] = []
    if body.get("system"):
        messages.append(Message.system(_text(body["system"])))
    for m in body.get("messages", ()):
        content = m.get("content")
        if isinstance(content, str):
            messages.append(Message(role=_role(m["role"]), parts=(TextPart(text=content),)))
            continue
        parts: list[Part] = []
        results: list[Message] = []
        for block in content:
            kind = block.get("type")
            if kind == "text":
                parts.append(TextPart(text=block["text"]))
            elif kind == "thinking":
                parts.append(ReasoningPart(text=block.get("thinking", ""), signature=block.get("signature")))
            elif kind == "tool_use":
                parts.append(ToolCallPart(id=block["id"], name=block["name"],
                                          arguments=_arguments(block.get("input"))))
            elif kind == "tool_result":
                results.append(Message.tool(block["tool_use_id"], _text(block.get("content", ""))))
            elif kind == "image":
                parts.append(ImagePart(url="data:,"))
        if parts:
            messages.append(Message(role=_role(m["role"]), parts=tuple(parts)))
        messages += results
    tools = tuple(_tool(t["name"], t.get("description"), t.get("input_schema"))
                  for t in body.get("tools") or () if "input_schema" in t)
    return WireRequest(messages=tuple(messages), tools=tools, max_tokens=body.get("max_tokens"),
                       prompt_cache=_has_cache_control(body))


def _gemini(body: Mapping[str, Any]) -> WireRequest:
    messages: list[Message] = []
    system = body.get("systemInstruction") or body.get("system_instruction")
    if system:
        messages.append(Message.system(_text(system.get("parts", ()))))
    for c in body.get("contents", ()):
        role = _role(c.get("role"))
        parts: list[Part] = []
        results: list[Message] = []
        for p in c.get("parts", ()):
            if "functionCall" in p:
                call = p["functionCall"]
                parts.append(ToolCallPart(id=call.get("id") or call["name"], name=call["name"],
                                          arguments=_arguments(call.get("args"))))
            elif "functionResponse" in p:
                r = p["functionResponse"]
                results.append(Message.tool(r.get("id") or r["name"], json.dumps(r.get("response")),
                                            name=r["name"]))
            elif p.get("thought") and "text" in p:
                parts.append(ReasoningPart(text=p["text"]))
            elif "text" in p:
                parts.append(TextPart(text=p["text"]))
            elif "inlineData" in p or "fileData" in p:
                parts.append(ImagePart(url="data:,"))
        if parts:
            messages.append(Message(role=role, parts=tuple(parts)))
        messages += results
    tools = tuple(_tool(f["name"], f.get("description"), f.get("parameters"))
                  for t in body.get("tools") or () for f in t.get("functionDeclarations") or ())
    config = body.get("generationConfig") or {}
    return WireRequest(messages=tuple(messages), tools=tools, max_tokens=config.get("maxOutputTokens"))


def read_request(url: str, body: Mapping[str, Any]) -> WireRequest:
    """The canonical request behind a recorded ``body`` sent to ``url``."""
    if "generateContent" in url or "streamGenerateContent" in url:
        return _gemini(body)
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/responses"):
        return _responses(body)
    if path.endswith("/v1/messages"):
        return _anthropic(body)
    return _chat(body)

