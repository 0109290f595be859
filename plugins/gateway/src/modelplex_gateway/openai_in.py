"""OpenAI requests (Chat Completions and Responses) read into the client library's messages and options.

What a request asks that the gateway cannot honour is refused (400, naming the field) rather than silently
dropped: ``n`` above 1, ``logprobs``, audio, a ``previous_response_id`` (the gateway keeps no responses).
Fields that only matter to OpenAI's own bookkeeping (``user``, ``metadata``, ``store``, ``service_tier``)
are accepted and ignored; ``user`` becomes the call's ``user`` tag.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from modelplex import (
    ImagePart,
    Message,
    Part,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from modelplex_gateway.errors import invalid


@attrs.frozen(kw_only=True, slots=True)
class ChatCall:
    """What one request asks of the client library."""

    model: str
    messages: tuple[Message, ...]
    options: Mapping[str, Any]  # keyword options of client.chat (ChatOptions' fields)
    stream: bool = False
    include_usage: bool = False
    tags: Mapping[str, str] = attrs.field(factory=dict)


def load_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 saying what is wrong with it."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise invalid(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise invalid(f"the body must be a JSON object, not {type(data).__name__}")
    return data


def _str(data: Mapping[str, Any], key: str, where: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(f"'{where}{key}' must be a non-empty string", param=f"{where}{key}")
    return value


def _text_of(content: Any, param: str) -> str:
    """A message content that may only be text: a string or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") not in ("text", "input_text", "output_text"):
                raise invalid("only text parts are accepted here", param=f"{param}[{i}]")
            texts.append(str(part.get("text", "")))
        return "".join(texts)
    raise invalid("must be a string or a list of parts", param=param)


def image(url: str, param: str) -> ImagePart:
    """An image part from a URL or a ``data:`` URL (decoded: providers that take bytes get bytes)."""
    if url.startswith("data:"):
        head, sep, payload = url[5:].partition(",")
        if not sep or not head.endswith(";base64"):
            raise invalid("a data URL must be data:<media type>;base64,<data>", param=param)
        try:
            data = base64.b64decode(payload, validate=True)
        except ValueError:
            raise invalid("the data URL's base64 does not decode", param=param) from None
        return ImagePart(data=data, media_type=head[: -len(";base64")] or "application/octet-stream")
    return ImagePart(url=url)


def _user_parts(content: Any, param: str) -> tuple[Part, ...]:
    if isinstance(content, str):
        return (TextPart(text=content),)
    if not isinstance(content, list):
        raise invalid("must be a string or a list of content parts", param=param)
    parts: list[Part] = []
    for i, part in enumerate(content):
        where = f"{param}[{i}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("text", "input_text", "output_text"):
            parts.append(TextPart(text=str(part.get("text", ""))))
        elif kind == "image_url":
            ref = part.get("image_url")
            url = ref.get("url") if isinstance(ref, dict) else ref
            if not isinstance(url, str):
                raise invalid("'image_url.url' must be a string", param=where)
            parts.append(image(url, where))
        elif kind == "input_image":
            url = part.get("image_url")
            if not isinstance(url, str):
                raise invalid("'image_url' must be a string (file ids are not supported)", param=where)
            parts.append(image(url, where))
        else:
            raise invalid(f"content part type {kind!r} is not supported", param=where)
    return tuple(parts)


def arguments(raw: Any, param: str) -> dict[str, Any]:
    """A tool call's JSON arguments (an object), from their text."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        raise invalid("tool call arguments must be a JSON object", param=param) from None
    if not isinstance(value, dict):
        raise invalid("tool call arguments must be a JSON object", param=param)
    return value


def chat_messages(raw: Any) -> tuple[Message, ...]:
    """Chat Completions ``messages``: ``system`` and ``developer`` become system messages, ``tool``
    messages tool results, an assistant's ``tool_calls`` tool-call parts."""
    if not isinstance(raw, list) or not raw:
        raise invalid("'messages' must be a non-empty list", param="messages")
    out: list[Message] = []
    for i, message in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise invalid("each message must be an object", param=where)
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            out.append(Message.system(_text_of(content, f"{where}.content")))
        elif role == "user":
            out.append(Message.user(_user_parts(content, f"{where}.content")))
        elif role == "assistant":
            parts: list[Part] = []
            text = _text_of(content, f"{where}.content")
            if text:
                parts.append(TextPart(text=text))
            for j, call in enumerate(message.get("tool_calls") or ()):
                fn = call.get("function") if isinstance(call, dict) else None
                if not isinstance(fn, dict):
                    raise invalid("each tool call needs a 'function'", param=f"{where}.tool_calls[{j}]")
                raw_args = fn.get("arguments")
                parts.append(ToolCallPart(id=_str(call, "id", f"{where}.tool_calls[{j}]."),
                                          name=_str(fn, "name", f"{where}.tool_calls[{j}].function."),
                                          arguments=arguments(raw_args, f"{where}.tool_calls[{j}]"),
                                          raw_arguments=raw_args if isinstance(raw_args, str) else None))
            out.append(Message(role="assistant", parts=tuple(parts) or (TextPart(text=""),)))
        elif role == "tool":
            out.append(Message(role="tool", parts=(ToolResultPart(
                tool_call_id=_str(message, "tool_call_id", f"{where}."),
                content=_text_of(content, f"{where}.content")),)))
        else:
            raise invalid(f"role {role!r} is not one of system, developer, user, assistant, tool",
                          param=f"{where}.role")
    return tuple(out)


def _tool(spec: Any, param: str, nested: bool) -> Tool:
    if not isinstance(spec, dict) or spec.get("type", "function") != "function":
        raise invalid("only function tools are supported", param=param)
    fn = spec.get("function") if nested else spec
    if not isinstance(fn, dict):
        raise invalid("a function tool needs its 'function'", param=param)
    return Tool(name=_str(fn, "name", f"{param}."), description=fn.get("description") or "",
                parameters=fn.get("parameters") or {"type": "object", "properties": {}},
                strict=fn.get("strict"))


def tools(raw: Any, nested: bool) -> tuple[Tool, ...]:
    """``tools``: Chat Completions nests each function (``{"type": "function", "function": {...}}``),
    the Responses API does not (``{"type": "function", "name": ...}``)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise invalid("'tools' must be a list", param="tools")
    return tuple(_tool(spec, f"tools[{i}]", nested) for i, spec in enumerate(raw))


def tool_choice(raw: Any) -> ToolChoice | None:
    """``"auto"``, ``"none"``, ``"required"`` or one function by name (either API's spelling)."""
    if raw is None:
        return None
    if raw in ("auto", "none", "required"):
        return ToolChoice(mode=raw)
    if isinstance(raw, dict) and raw.get("type") == "function":
        fn = raw.get("function")
        name = fn.get("name") if isinstance(fn, dict) else raw.get("name")
        if isinstance(name, str):
            return ToolChoice.tool(name)
    raise invalid("must be 'auto', 'none', 'required' or a function by name", param="tool_choice")


def response_format(raw: Any, param: str = "response_format") -> ResponseFormat | None:
    """Chat Completions' ``response_format`` (the schema under ``json_schema``) or the Responses API's
    ``text.format`` (the schema beside the type)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise invalid("must be an object", param=param)
    kind = raw.get("type")
    if kind in ("text", "json_object"):
        return ResponseFormat(type=kind)
    if kind == "json_schema":
        spec = raw.get("json_schema", raw)
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise invalid("'json_schema' needs a 'schema' object", param=param)
        return ResponseFormat(type="json_schema", schema=spec["schema"], name=spec.get("name"),
                              strict=spec.get("strict"), description=spec.get("description"))
    raise invalid(f"type {kind!r} is not one of text, json_object, json_schema", param=f"{param}.type")


_REFUSED = {"logprobs": "log probabilities", "top_logprobs": "log probabilities",
            "audio": "audio output", "prediction": "predicted outputs", "modalities": "output modalities"}


def _sampling(data: Mapping[str, Any], options: dict[str, Any], max_key: Sequence[str]) -> None:
    for key in ("temperature", "top_p", "seed", "parallel_tool_calls"):
        if data.get(key) is not None:
            options[key] = data[key]
    for key in max_key:
        if data.get(key) is not None:
            options["max_tokens"] = data[key]
            break


def _tags(data: Mapping[str, Any]) -> dict[str, str]:
    user = data.get("user")
    return {"user": user} if isinstance(user, str) and user else {}


def chat_completions(data: Mapping[str, Any]) -> ChatCall:
    """A ``POST /v1/chat/completions`` body."""
    n = data.get("n")
    if n is not None and n != 1:
        raise invalid("n > 1 is not supported: the gateway returns one choice; make n requests",
                      param="n", code="unsupported_parameter")
    for key, what in _REFUSED.items():
        if data.get(key):
            raise invalid(f"{what} ('{key}') are not supported by the gateway", param=key,
                          code="unsupported_parameter")
    options: dict[str, Any] = {}
    _sampling(data, options, ("max_completion_tokens", "max_tokens"))
    if data.get("stop") is not None:
        options["stop"] = data["stop"]
    if (fmt := response_format(data.get("response_format"))) is not None:
        options["response_format"] = fmt
    if found := tools(data.get("tools"), nested=True):
        options["tools"] = found
    if (choice := tool_choice(data.get("tool_choice"))) is not None:
        options["tool_choice"] = choice
    if data.get("reasoning_effort") in ("low", "medium", "high"):
        options["reasoning_effort"] = data["reasoning_effort"]
    stream_options = data.get("stream_options")
    include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True
    return ChatCall(model=_str(data, "model"), messages=chat_messages(data.get("messages")), options=options,
                    stream=data.get("stream") is True, include_usage=include_usage, tags=_tags(data))


def _input_items(raw: Any) -> tuple[Message, ...]:
    if isinstance(raw, str):
        return (Message.user(raw),)
    if not isinstance(raw, list) or not raw:
        raise invalid("'input' must be a string or a non-empty list of items", param="input")
    out: list[Message] = []
    for i, item in enumerate(raw):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise invalid("each input item must be an object", param=where)
        kind = item.get("type", "message")
        if kind == "message":
            role, content = item.get("role"), item.get("content")
            if role in ("system", "developer"):
                out.append(Message.system(_text_of(content, f"{where}.content")))
            elif role == "user":
                out.append(Message.user(_user_parts(content, f"{where}.content")))
            elif role == "assistant":
                out.append(Message.assistant(_text_of(content, f"{where}.content")))
            else:
                raise invalid(f"role {role!r} is not one of system, developer, user, assistant",
                              param=f"{where}.role")
        elif kind == "function_call":
            raw_args = item.get("arguments")
            call = ToolCallPart(id=_str(item, "call_id", f"{where}."), name=_str(item, "name", f"{where}."),
                                arguments=arguments(raw_args, where),
                                raw_arguments=raw_args if isinstance(raw_args, str) else None)
            if out and out[-1].role == "assistant":  # calls after the text they follow: one turn
                out[-1] = Message(role="assistant", parts=(*out[-1].parts, call))
            else:
                out.append(Message(role="assistant", parts=(call,)))
        elif kind == "function_call_output":
            output = item.get("output")
            out.append(Message(role="tool", parts=(ToolResultPart(
                tool_call_id=_str(item, "call_id", f"{where}."),
                content=output if isinstance(output, str) else _text_of(output, f"{where}.output")),)))
        elif kind == "reasoning":
            continue  # another model's reasoning, opaque here: not sent on (as the client library does)
        else:
            raise invalid(f"input item type {kind!r} is not supported", param=f"{where}.type")
    return tuple(out)


def responses(data: Mapping[str, Any]) -> ChatCall:
    """A ``POST /v1/responses`` body."""
    if data.get("previous_response_id"):
        raise invalid("the gateway keeps no responses: send the whole conversation in 'input'",
                      param="previous_response_id", code="unsupported_parameter")
    options: dict[str, Any] = {}
    _sampling(data, options, ("max_output_tokens",))
    text = data.get("text")
    if isinstance(text, dict) and (fmt := response_format(text.get("format"), "text.format")) is not None:
        options["response_format"] = fmt
    if found := tools(data.get("tools"), nested=False):
        options["tools"] = found
    if (choice := tool_choice(data.get("tool_choice"))) is not None:
        options["tool_choice"] = choice
    reasoning = data.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort") in ("low", "medium", "high"):
        options["reasoning_effort"] = reasoning["effort"]
    messages = _input_items(data.get("input"))
    instructions = data.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages = (Message.system(instructions), *messages)
    return ChatCall(model=_str(data, "model"), messages=messages, options=options,
                    stream=data.get("stream") is True, tags=_tags(data))
