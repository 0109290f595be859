"""Canonical messages to Cohere's v2 ``messages``.

``system`` and ``user`` turns carry their text as ``content`` (a user's images as ``image_url`` items,
which Cohere's vision models take); an assistant turn carries its text, its ``tool_calls`` and, before
them, its ``tool_plan``; each tool result is its own ``role: tool`` message. A tool plan is the
reasoning Cohere shows before calling tools (:mod:`.reply` reads it as a
:class:`~modelplex.ReasoningPart`): it is replayed as ``tool_plan`` to the provider and model that wrote
it, and to no other (a ``dropped-reasoning`` warning names the message). What the wire
cannot carry is left out with a warning, never silently.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from modelplex.toolkit import ToolCallIds
from modelplex_cohere.tools import ToolCodec

_NOT_A_PLAN = ("reasoning goes back to Cohere only as the tool plan of the same model's tool calls; it was "
               "left out")


def _dropped(index: int, part: object, role: str, why: str = "") -> ProviderWarning:
    kind = getattr(part, "type", type(part).__name__)
    return ProviderWarning(code="dropped-part", field=f"messages[{index}]",
                           message=why or f"Cohere takes no {kind} part in a {role} message; it was left out")


def encode_messages(messages: Sequence[Message], codec: ToolCodec,
                    origin: Origin) -> tuple[list[dict[str, Any]], list[ProviderWarning]]:
    """The wire messages, and a warning for each part left out. ``origin`` is the configured provider
    and the model asked: reasoning made by them is replayed, any other is not."""
    ids = ToolCallIds()  # other providers' call ids, mapped to ones this wire takes
    out: list[dict[str, Any]] = []
    warnings: list[ProviderWarning] = []
    for index, message in enumerate(messages):
        role = message.role
        texts: list[str] = []
        images: list[dict[str, Any]] = []
        plans: list[ReasoningPart] = []
        calls: list[Any] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ImagePart) and role == "user":
                images.append({"type": "image_url", "image_url": {"url": part.data_url()}})
            elif isinstance(part, ToolCallPart) and role == "assistant":
                calls.append(codec.encode_tool_call(attrs.evolve(part, id=ids.call(part.id))))
            elif isinstance(part, ToolResultPart):
                result = attrs.evolve(part, tool_call_id=ids.result(part.tool_call_id))
                out.append(codec.encode_tool_result(result))
            elif isinstance(part, ReasoningPart) and role == "assistant":
                plans.append(part)
            else:
                warnings.append(_dropped(index, part, role))
        if role == "tool":
            if texts:
                warnings.append(_dropped(index, TextPart(text=""), role))
            continue  # its results were added above
        item: dict[str, Any] = {"role": role}
        text = "".join(texts)
        if images:
            item["content"] = ([{"type": "text", "text": text}] if text else []) + images
        elif text or not calls:
            item["content"] = text
        plan = []
        for part in plans:
            if calls and part.origin == origin and part.text:
                plan.append(part.text)
            elif part.text or part.signature or part.redacted_data:
                warnings.append(ProviderWarning(code="dropped-reasoning", field=f"messages[{index}]",
                                                message=_NOT_A_PLAN))
        if plan:
            item["tool_plan"] = "".join(plan)
        if calls:
            item["tool_calls"] = calls
        out.append(item)
    return out, warnings
