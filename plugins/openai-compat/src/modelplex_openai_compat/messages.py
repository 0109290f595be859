"""Canonical messages to Chat Completions ``messages``: one stage, :func:`encode_messages`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from modelplex import (
    ImagePart,
    Message,
    Origin,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex_openai_compat.call import Call
from modelplex_openai_compat.ids import ToolCallIds

_PLAIN_ROLES = frozenset({"user", "system"})


def _warn(code: str, message: str, field: str) -> ProviderWarning:
    return ProviderWarning(code=code, message=message, field=field)


def _dropped(index: int, part: object, role: str) -> ProviderWarning:
    kind = getattr(part, "type", type(part).__name__)
    return _warn("dropped-part", f"a {kind} part cannot go in a {role} message here; it was left "
                 "out", f"messages[{index}]")


def _text_or_parts(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """A lone text part travels as a plain string, which every server takes."""
    if len(parts) == 1 and parts[0]["type"] == "text":
        return str(parts[0]["text"])
    return parts


def _reasoning(call: Call, index: int, part: ReasoningPart,
               warnings: list[ProviderWarning]) -> str | None:
    """The text to send back for ``part``, or ``None``; a warning when something is dropped."""
    origin = part.origin
    own = origin is not None and origin.provider == call.provider and origin.model == call.model
    if not own:
        came = f"{origin.provider}/{origin.model}" if origin else "an unknown model"
        warnings.append(_warn("dropped-reasoning", f"reasoning from {came} is not sent to "
                              f"{call.provider}/{call.model}", f"messages[{index}]"))
        return None
    if not call.profile.send_reasoning_back or call.profile.reasoning_field is None:
        return None  # the server's own reasoning, which it does not take back: nothing is lost
    if part.redacted_data is not None or (part.signature is not None and not part.text):
        warnings.append(_warn("dropped-reasoning", "encrypted reasoning cannot be sent back on "
                              "this wire", f"messages[{index}]"))
    return part.text


def _assistant(call: Call, index: int, message: Message, warnings: list[ProviderWarning],
               ids: ToolCallIds) -> dict[str, Any]:
    texts: list[str] = []
    calls: list[Any] = []
    reasoning: list[str] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            calls.append(call.codec.encode_tool_call(attrs.evolve(part, id=ids.call(part.id))))
        elif isinstance(part, ReasoningPart):
            text = _reasoning(call, index, part, warnings)
            if text is not None:
                reasoning.append(text)
        else:
            warnings.append(_dropped(index, part, "assistant"))
    # Beside tool calls, no text part is sent as "content": null, never "" nor a missing key. OpenAI's
    # API reference makes content nullable and optional when tool_calls is given, and OpenAI's own SDK
    # replays its replies that way (openai/06 in the tests' recordings). Of the stricter servers, vLLM,
    # SGLang and several gateways refuse an assistant message without the key, and Amazon Bedrock's
    # OpenAI-compatible endpoint refuses "" beside tool calls (Vercel's AI SDK moved from "" to null
    # for it); the servers once found refusing null (LM Studio in 2024, mistral-common's OpenAI
    # wrapper) took it as their bug and fixed it. An empty text part the message does carry (Mistral
    # and xAI answer tool calls with content "", and their recorded clients send it back) goes as "".
    out: dict[str, Any] = {"role": "assistant",
                           "content": "".join(texts) if texts or not calls else None}
    if reasoning and call.profile.reasoning_field is not None:
        out[call.profile.reasoning_field] = "".join(reasoning)
    if calls:
        out["tool_calls"] = calls
    return out


def _user(call: Call, index: int, message: Message, warnings: list[ProviderWarning]) -> (
        dict[str, Any] | None):
    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            if call.profile.supports_images:
                parts.append({"type": "image_url", "image_url": {"url": part.data_url()}})
            else:
                warnings.append(_warn("dropped-part", "this server takes no images; the image was "
                                      "left out", f"messages[{index}]"))
        elif not isinstance(part, ToolResultPart):
            warnings.append(_dropped(index, part, "user"))
    if not parts:
        return None
    return {"role": "user", "content": _text_or_parts(parts)}


def _system(index: int, message: Message, warnings: list[ProviderWarning]) -> dict[str, Any]:
    parts = []
    for part in message.parts:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        else:
            warnings.append(_dropped(index, part, "system"))
    return {"role": "system", "content": _text_or_parts(parts) if parts else ""}


def _tool_results(call: Call, index: int, parts: Sequence[object], warnings: list[ProviderWarning],
                  ids: ToolCallIds) -> list[dict[str, Any]]:
    out = []
    for part in parts:
        if not isinstance(part, ToolResultPart):
            continue
        out.append(call.codec.encode_tool_result(attrs.evolve(
            part, tool_call_id=ids.result(part.tool_call_id))))
        if part.is_error:
            warnings.append(_warn("dropped-field", "this wire has no error flag for tool results; "
                                  "the result was sent as ordinary content",
                                  f"messages[{index}].is_error"))
    return out


def encode_messages(call: Call) -> tuple[list[dict[str, Any]], list[ProviderWarning]]:
    """The request's messages as Chat Completions messages, and warnings for what was left out.

    Each :class:`ToolResultPart` becomes its own ``role: tool`` message, whatever message held it.
    Tool-call ids OpenAI would refuse (other characters than ``[A-Za-z0-9_-]``, over 40 characters,
    or given to two calls) are sent in a plain form, the same for a call and its result
    (:class:`~modelplex_openai_compat.ToolCallIds`).
    """
    warnings: list[ProviderWarning] = []
    out: list[dict[str, Any]] = []
    ids: ToolCallIds | None = None
    for index, message in enumerate(call.request.messages):
        parts = message.parts
        if len(parts) == 1 and type(parts[0]) is TextPart and message.role in _PLAIN_ROLES:
            out.append({"role": message.role, "content": parts[0].text})  # most messages: one text
            continue
        if ids is None:
            ids = ToolCallIds()
        out.extend(_tool_results(call, index, parts, warnings, ids))
        if message.role == "tool":
            for part in message.parts:
                if not isinstance(part, ToolResultPart):
                    warnings.append(_dropped(index, part, "tool"))
        elif message.role == "system":
            out.append(_system(index, message, warnings))
        elif message.role == "assistant":
            out.append(_assistant(call, index, message, warnings, ids))
        else:
            user = _user(call, index, message, warnings)
            if user is not None:
                out.append(user)
    return out, warnings


def own_assistants(call: Call, messages: list[dict[str, Any]]) -> (
        Iterator[tuple[list[ReasoningPart], dict[str, Any]]]):
    """For each assistant message of the request, its reasoning parts from this provider and model
    (the only ones that may go back) and its wire message in ``messages`` (what
    :func:`encode_messages` made: one wire message for each assistant message, in order)."""
    own = Origin(provider=call.provider, model=call.model)
    wires = (m for m in messages if m.get("role") == "assistant")
    for message in call.request.messages:
        if message.role != "assistant":
            continue
        wire = next(wires, None)
        if wire is None:
            return
        yield [p for p in message.parts if isinstance(p, ReasoningPart) and p.origin == own], wire
