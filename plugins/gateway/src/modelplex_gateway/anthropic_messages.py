"""Anthropic's Messages API read into a modelplex call, and a :class:`~modelplex.ChatResponse` written back
as an Anthropic message.

A request body becomes a :class:`MessagesCall`: the address (``provider/model``, ``chain/NAME``, an alias,
or ``agent/NAME``), the canonical messages, the system prompt and the keyword options of
:meth:`modelplex.AsyncClient.chat`. What has no canonical form is refused with a 400 naming the field
(a ``document`` block, a server tool, an image inside a ``tool_result``), never dropped silently;
``top_k`` is the one setting let through with a warning (``x-modelplex-warnings``), as no canonical
option carries it.

Thinking blocks sent back by the client become :class:`~modelplex.ReasoningPart` whose origin is the
address asked for when it names one model (``provider/model``): the core then replays them (with their
signature) to that model only, and drops them with a ``dropped-reasoning`` warning for any other. Behind a
chain or an alias the origin is unknown, and they are dropped.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from modelplex import (
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Origin,
    Part,
    ReasoningPart,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    Usage,
)
from modelplex_gateway.errors import invalid

# Anthropic's own stop reasons, where the raw reason says one of them (the Anthropic upstream's).
_RAW_STOP = frozenset({"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal",
                       "model_context_window_exceeded"})
_STOP = {FinishReason.STOP: "end_turn", FinishReason.LENGTH: "max_tokens",
         FinishReason.TOOL_CALLS: "tool_use", FinishReason.CONTENT_FILTER: "refusal",
         FinishReason.ERROR: "end_turn", FinishReason.OTHER: "end_turn"}
_SEPARATE_ADDRESSES = ("chain/", "agent/", "task/")
# A thinking block's signature that carries another provider's artefacts Anthropic's format has no field
# for (OpenAI's reasoning item: its id and encrypted content; Gemini's thought signature on a function
# call); opaque to the client, as every signature is, and read back here when the client sends it again.
_PACKED = "modelplex.1."


@attrs.frozen(kw_only=True, slots=True)
class MessagesCall:
    """One ``/v1/messages`` request as a modelplex call.

    ``model`` is the address for ``client.chat`` (``None`` for an agent, named by ``agent``); ``asked`` is
    the model as the client wrote it; ``options`` are the keyword options; ``warnings`` what was let
    through unchanged with a note; ``stream`` whether the client asked for server-sent events.
    """

    model: str | None
    asked: str
    agent: str | None
    messages: tuple[Message, ...]
    system: str | None
    options: Mapping[str, Any]
    stream: bool
    warnings: tuple[str, ...] = ()
    tags: Mapping[str, str] = attrs.field(factory=dict)


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid(f"{field}: expected an object, got {type(value).__name__}", field)
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(f"{field}: expected a list, got {type(value).__name__}", field)
    return value


def _str(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"{field}: expected a string, got {type(value).__name__}", field)
    return value


def _int(value: Any, field: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise invalid(f"{field}: expected an integer of at least {low}, got {value!r}", field)
    return value


def _origin(model: str) -> Origin | None:
    if model.startswith(_SEPARATE_ADDRESSES) or "/" not in model:
        return None
    provider, name = model.split("/", 1)
    return Origin(provider=provider, model=name)


def _image(block: Mapping[str, Any], field: str) -> ImagePart:
    source = _object(block.get("source"), f"{field}.source")
    kind = source.get("type")
    if kind == "url":
        return ImagePart(url=_str(source.get("url"), f"{field}.source.url"))
    if kind == "base64":
        data = _str(source.get("data"), f"{field}.source.data")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"{field}.source.data: not valid base64", f"{field}.source.data") from None
        return ImagePart(data=raw, media_type=_str(source.get("media_type"), f"{field}.source.media_type"))
    raise invalid(f"{field}.source.type: expected 'base64' or 'url', got {kind!r}", f"{field}.source.type")


def _tool_result(block: Mapping[str, Any], field: str) -> ToolResultPart:
    content = block.get("content", "")
    if isinstance(content, list):
        texts = []
        for i, item in enumerate(content):
            item = _object(item, f"{field}.content[{i}]")
            if item.get("type") != "text":
                raise invalid(f"{field}.content[{i}]: only text can be passed on inside a tool_result to "
                              f"every provider, got {item.get('type')!r}", f"{field}.content[{i}].type")
            texts.append(_str(item.get("text"), f"{field}.content[{i}].text"))
        content = "".join(texts)
    return ToolResultPart(tool_call_id=_str(block.get("tool_use_id"), f"{field}.tool_use_id"),
                          content=_str(content, f"{field}.content"), is_error=bool(block.get("is_error")))


class _Reader:
    """Reads one request's messages, noting whether any block asked for prompt caching."""

    def __init__(self, origin: Origin | None) -> None:
        self.origin = origin
        self.cache = False

    def block(self, block: Any, field: str, role: str) -> Part:
        block = _object(block, field)
        if "cache_control" in block:
            self.cache = True
        kind = block.get("type")
        if kind == "text":
            return TextPart(text=_str(block.get("text"), f"{field}.text"))
        if kind == "image" and role == "user":
            return _image(block, field)
        if kind == "tool_result" and role == "user":
            return _tool_result(block, field)
        if kind == "tool_use" and role == "assistant":
            arguments = block.get("input", {})
            return ToolCallPart(id=_str(block.get("id"), f"{field}.id"),
                                name=_str(block.get("name"), f"{field}.name"),
                                arguments=dict(_object(arguments, f"{field}.input")))
        if kind == "thinking" and role == "assistant":
            packed = block.get("signature") or None
            signature, data, _ = unpack_signature(packed)
            return ReasoningPart(text=_str(block.get("thinking", ""), f"{field}.thinking"),
                                 signature=signature, redacted_data=data,
                                 origin=signature_origin(packed) or self.origin)
        if kind == "redacted_thinking" and role == "assistant":
            return ReasoningPart(text="", redacted_data=_str(block.get("data"), f"{field}.data"),
                                 origin=self.origin)
        raise invalid(f"{field}: a {kind!r} block in a {role} message cannot be passed on to every "
                      "provider", f"{field}.type")

    def message(self, value: Any, field: str) -> list[Message]:
        value = _object(value, field)
        role = value.get("role")
        if role not in ("user", "assistant"):
            raise invalid(f"{field}.role: expected 'user' or 'assistant', got {role!r}", f"{field}.role")
        content = value.get("content")
        if isinstance(content, str):
            return [Message(role=role, parts=(TextPart(text=content),))]
        blocks = _list(content, f"{field}.content")
        calls = _call_signatures(blocks) if role == "assistant" else {}
        parts = [self.block(b, f"{field}.content[{i}]", role) for i, b in enumerate(blocks)
                 if not (calls and _is_call_signature(b))]
        if calls:  # each call's thought signature back on it, for the model that made it
            parts = [attrs.evolve(p, signature=calls[p.id][0], origin=calls[p.id][1] or self.origin)
                     if isinstance(p, ToolCallPart) and p.id in calls else p for p in parts]
        # Tool results are messages of their own in the canonical form, ahead of the user's other content.
        out = [Message.tool(p.tool_call_id, p.content, is_error=p.is_error)
               for p in parts if isinstance(p, ToolResultPart)]
        rest = tuple(p for p in parts if not isinstance(p, ToolResultPart))
        if rest or not out:
            out.append(Message(role=role, parts=rest))
        return out


def _system(value: Any, reader: _Reader) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    texts = []
    for i, block in enumerate(_list(value, "system")):
        part = reader.block(block, f"system[{i}]", "system")
        assert isinstance(part, TextPart)  # only text is allowed in the system role
        texts.append(part.text)
    return "\n\n".join(texts) or None


def _tools(value: Any, reader: _Reader) -> tuple[Tool, ...]:
    tools = []
    for i, item in enumerate(_list(value, "tools")):
        item = _object(item, f"tools[{i}]")
        if item.get("type") not in (None, "custom"):
            raise invalid(f"tools[{i}]: the server tool {item.get('type')!r} is Anthropic's own and cannot "
                          "run behind the gateway", f"tools[{i}].type")
        if "cache_control" in item:
            reader.cache = True
        tools.append(Tool(name=_str(item.get("name"), f"tools[{i}].name"),
                          description=item.get("description") or "",
                          parameters=dict(_object(item.get("input_schema", {}), f"tools[{i}].input_schema"))))
    return tuple(tools)


def _tool_choice(value: Any, options: dict[str, Any]) -> None:
    choice = _object(value, "tool_choice")
    kind = choice.get("type")
    if kind == "auto":
        options["tool_choice"] = ToolChoice.auto()
    elif kind == "any":
        options["tool_choice"] = ToolChoice.required()
    elif kind == "none":
        options["tool_choice"] = ToolChoice.none()
    elif kind == "tool":
        options["tool_choice"] = ToolChoice.tool(_str(choice.get("name"), "tool_choice.name"))
    else:
        raise invalid(f"tool_choice.type: expected 'auto', 'any', 'tool' or 'none', got {kind!r}",
                      "tool_choice.type")
    if choice.get("disable_parallel_tool_use") is True:
        options["parallel_tool_calls"] = False


def _thinking(value: Any, options: dict[str, Any]) -> None:
    thinking = _object(value, "thinking")
    kind = thinking.get("type")
    if kind == "enabled":
        options["reasoning_budget"] = _int(thinking.get("budget_tokens"), "thinking.budget_tokens", 1)
    elif kind == "adaptive":
        options["reasoning_budget"] = -1  # the provider's own dynamic budget, where it has one
    elif kind != "disabled":
        raise invalid(f"thinking.type: expected 'enabled', 'adaptive' or 'disabled', got {kind!r}",
                      "thinking.type")


def read_request(body: Any, *, count_only: bool = False) -> MessagesCall:
    """The call a ``/v1/messages`` (or, with ``count_only``, ``count_tokens``) body asks for."""
    body = _object(body, "body")
    asked = _str(body.get("model"), "model")
    if not asked:
        raise invalid("model: give a model (provider/model, chain/NAME, an alias or agent/NAME)", "model")
    agent = asked.split("/", 1)[1] if asked.startswith("agent/") else None
    reader = _Reader(None if agent is not None else _origin(asked))
    messages: list[Message] = []
    for i, item in enumerate(_list(body.get("messages"), "messages")):
        messages.extend(reader.message(item, f"messages[{i}]"))
    if not messages:
        raise invalid("messages: at least one message is needed", "messages")
    system = _system(body.get("system"), reader)
    options: dict[str, Any] = {}
    warnings: list[str] = []
    if not count_only or body.get("max_tokens") is not None:
        options["max_tokens"] = _int(body.get("max_tokens"), "max_tokens", 1)
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            options[name] = body[name]
    if body.get("stop_sequences"):
        options["stop"] = tuple(_str(s, f"stop_sequences[{i}]")
                                for i, s in enumerate(_list(body["stop_sequences"], "stop_sequences")))
    if body.get("tools"):
        options["tools"] = _tools(body["tools"], reader)
    if body.get("tool_choice") is not None:
        _tool_choice(body["tool_choice"], options)
    if body.get("thinking") is not None:
        _thinking(body["thinking"], options)
    if body.get("top_k") is not None:
        warnings.append("top_k is not passed on: the gateway's providers do not share it")
    if reader.cache:
        options["prompt_cache"] = True
    tags: dict[str, str] = {}
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("user_id"), str):
        tags["user_id"] = metadata["user_id"][:256]  # the usage log's user column
    return MessagesCall(model=None if agent is not None else asked, asked=asked, agent=agent,
                        messages=tuple(messages), system=system, options=options,
                        stream=bool(body.get("stream")) and not count_only, warnings=tuple(warnings),
                        tags=tags)


# -- the reply -------------------------------------------------------------------------------------------


def message_id(upstream: str | None) -> str:
    """The upstream's message id where it is Anthropic's, else a fresh ``msg_`` id."""
    if upstream and upstream.startswith("msg_"):
        return upstream
    return f"msg_{uuid.uuid4().hex}"


def stop_reason(reason: FinishReason, raw: str | None, called_tools: bool) -> str:
    """Anthropic's ``stop_reason``: the upstream's own word where it is Anthropic's, else mapped; a reply
    with tool calls is ``tool_use`` whatever its provider said (Gemini and Ollama say ``stop``), since that
    is what tells a Claude client to run them."""
    if raw in _RAW_STOP:
        return raw
    if called_tools and reason in (FinishReason.STOP, FinishReason.TOOL_CALLS, FinishReason.OTHER):
        return "tool_use"
    return _STOP.get(reason, "end_turn")


def usage_body(usage: Usage | None, *, input_tokens: int = 0) -> dict[str, Any]:
    """Anthropic's usage object: ``input_tokens`` uncached, the cache buckets apart, ``output_tokens``
    with the reasoning tokens in it (as Anthropic counts thinking). ``input_tokens`` stands in for a
    usage not known yet."""
    if usage is None:
        return {"input_tokens": input_tokens, "output_tokens": 0}
    return {"input_tokens": usage.input, "cache_creation_input_tokens": usage.total_cache_write,
            "cache_read_input_tokens": usage.cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": usage.cache_write,
                               "ephemeral_1h_input_tokens": usage.cache_write_1h},
            "output_tokens": usage.total_output}


def _is_call_signature(block: Any) -> bool:
    return (isinstance(block, Mapping) and block.get("type") == "thinking"
            and unpack_signature(block.get("signature") or None)[2] is not None)


def _call_signatures(blocks: Sequence[Any]) -> dict[str, tuple[str, Origin | None]]:
    out = {}
    for block in blocks:
        if _is_call_signature(block):
            signature, _, call = unpack_signature(block["signature"])
            if call is not None and signature is not None:
                out[call] = (signature, signature_origin(block["signature"]))
    return out


def _pack(fields: dict[str, Any], origin: Origin | None) -> str:
    if origin is not None:  # who made it: replayed to that model only, whatever the next request names
        fields["origin"] = [origin.provider, origin.model]
    packed = json.dumps(fields, separators=(",", ":")).encode()
    return _PACKED + base64.urlsafe_b64encode(packed).decode("ascii")


def pack_call_signature(call_id: str, signature: str, origin: Origin | None = None) -> str:
    """The signature of the empty thinking block written after a tool call that carries a thought
    signature (Gemini's), naming the call it belongs to and the model that made it."""
    return _pack({"call": call_id, "signature": signature}, origin)


def pack_signature(signature: str | None, data: str | None, origin: Origin | None = None) -> str:
    """The signature of a thinking block for a reasoning part's ``signature`` and ``redacted_data``: the
    signature itself when there is no data (Anthropic's, Gemini's), else both packed with the model that
    made them (OpenAI's reasoning item id and encrypted content)."""
    if data is None:
        return signature or ""
    return _pack({"signature": signature, "data": data}, origin)


def signature_origin(signature: str | None) -> Origin | None:
    """The model a packed signature says made it (``None``: not packed, or not said)."""
    if not signature or not signature.startswith(_PACKED):
        return None
    try:
        provider, model = json.loads(base64.urlsafe_b64decode(signature[len(_PACKED):]))["origin"]
        return Origin(provider=str(provider), model=str(model))
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None


def unpack_signature(signature: str | None) -> tuple[str | None, str | None, str | None]:
    """``(signature, redacted_data, call_id)`` of a thinking block's signature: as it is when it is not
    packed; see :func:`pack_signature` and :func:`pack_call_signature`."""
    if not signature or not signature.startswith(_PACKED):
        return signature, None, None
    try:
        packed = json.loads(base64.urlsafe_b64decode(signature[len(_PACKED):]))
        return packed.get("signature"), packed.get("data"), packed.get("call")
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise invalid("a thinking block's signature was altered", "signature") from None


def content_blocks(parts: Sequence[Part]) -> list[dict[str, Any]]:
    """A reply's parts as Anthropic content blocks."""
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            if part.text:
                out.append({"type": "text", "text": part.text})
        elif isinstance(part, ReasoningPart):
            if part.redacted_data is not None and not part.text and part.signature is None:
                out.append({"type": "redacted_thinking", "data": part.redacted_data})
            else:
                out.append({"type": "thinking", "thinking": part.text,
                            "signature": pack_signature(part.signature, part.redacted_data, part.origin)})
        elif isinstance(part, ToolCallPart):
            arguments: Any = part.arguments
            if part.raw_arguments is not None:  # not an object: passed on as the upstream wrote it
                try:
                    arguments = json.loads(part.raw_arguments)
                except ValueError:
                    arguments = {}
            out.append({"type": "tool_use", "id": part.id, "name": part.name, "input": arguments})
            if part.signature is not None:
                out.append({"type": "thinking", "thinking": "",
                            "signature": pack_call_signature(part.id, part.signature, part.origin)})
    return out


def message_body(response: ChatResponse, asked: str) -> dict[str, Any]:
    """A whole reply as Anthropic's ``message`` object. ``model`` names what answered
    (``provider/model``), which may differ from ``asked`` behind a chain or an alias."""
    called = any(isinstance(p, ToolCallPart) for p in response.parts)
    return {"id": message_id(response.id), "type": "message", "role": "assistant",
            "model": f"{response.provider}/{response.model}" if response.provider else asked,
            "content": content_blocks(response.parts),
            "stop_reason": stop_reason(response.finish_reason, response.raw_finish_reason, called),
            "stop_sequence": None, "usage": usage_body(response.usage)}
