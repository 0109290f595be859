"""The Responses API request: system messages as ``instructions``, the rest as ``input`` items."""

from __future__ import annotations

from typing import Any

import attrs
from modelplex_openai_compat import Call, ToolCallIds, reasoning_options

from modelplex import (
    ImagePart,
    Message,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)


def _warn(code: str, message: str, field: str) -> ProviderWarning:
    return ProviderWarning(code=code, message=message, field=field)


def _reasoning_item(call: Call, index: int, part: ReasoningPart,
                    warnings: list[ProviderWarning]) -> dict[str, Any] | None:
    """A reasoning item to send back: only to its own provider and model, and only with the item
    id the API gave it (kept in ``signature``)."""
    origin = part.origin
    if origin is None or (origin.provider, origin.model) != (call.provider, call.model):
        came = f"{origin.provider}/{origin.model}" if origin else "an unknown model"
        warnings.append(_warn("dropped-reasoning", f"reasoning from {came} is not sent to "
                              f"{call.provider}/{call.model}", f"messages[{index}]"))
        return None
    if not part.signature:
        return None  # reasoning shown as text only: nothing the API could take back
    item: dict[str, Any] = {"type": "reasoning", "id": part.signature, "summary": (
        [{"type": "summary_text", "text": part.text}] if part.text else [])}
    if part.redacted_data is not None:
        item["encrypted_content"] = part.redacted_data
    return item


def _content(call: Call, index: int, message: Message, warnings: list[ProviderWarning]) -> (
        str | list[dict[str, Any]] | None):
    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            parts.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart) and call.profile.supports_images:
            parts.append({"type": "input_image", "image_url": part.data_url()})
        elif isinstance(part, ImagePart):
            warnings.append(_warn("dropped-part", "images are not taken here; the image was left "
                                  "out", f"messages[{index}]"))
    if not parts:
        return None
    if len(parts) == 1 and parts[0]["type"] == "input_text":
        return str(parts[0]["text"])
    return parts


def encode_input(call: Call) -> tuple[str | None, list[dict[str, Any]], list[ProviderWarning]]:
    """``(instructions, input items, warnings)`` for the request's messages.

    Outputs find their call by ``call_id`` across the whole input, so a ``call_id`` is unique there;
    one the API would refuse (other characters than ``[A-Za-z0-9_-]``, over 64 characters) or that an
    earlier call already has is sent in a plain form, the same for the call and its output.
    """
    warnings: list[ProviderWarning] = []
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    codec = call.codec
    ids = ToolCallIds(max_length=64)
    for index, message in enumerate(call.request.messages):
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                items.append(codec.encode_tool_result(attrs.evolve(
                    part, tool_call_id=ids.result(part.tool_call_id))))
                if part.is_error:
                    warnings.append(_warn("dropped-field", "this wire has no error flag for tool "
                                          "results; the result was sent as ordinary content",
                                          f"messages[{index}].is_error"))
        if message.role == "system":
            instructions.append(message.text)
            if any(not isinstance(p, TextPart) for p in message.parts):
                warnings.append(_warn("dropped-part", "only text goes in instructions",
                                      f"messages[{index}]"))
        elif message.role == "user":
            content = _content(call, index, message, warnings)
            if content is not None:
                items.append({"role": "user", "content": content})
        elif message.role == "assistant":
            text: list[str] = []
            for part in message.parts:
                if isinstance(part, TextPart):
                    text.append(part.text)
                    continue
                if text:
                    items.append({"role": "assistant", "content": "".join(text)})
                    text = []
                if isinstance(part, ToolCallPart):
                    items.append(codec.encode_tool_call(attrs.evolve(part, id=ids.call(part.id))))
                elif isinstance(part, ReasoningPart):
                    item = _reasoning_item(call, index, part, warnings)
                    if item is not None:
                        items.append(item)
            if text:
                items.append({"role": "assistant", "content": "".join(text)})
    return ("\n\n".join(instructions) if instructions else None), items, warnings


def _format(call: Call) -> dict[str, Any] | None:
    fmt = call.request.options.response_format
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return {"type": "json_object"}
    out: dict[str, Any] = {"type": "json_schema", "name": fmt.name or "response",
                           "schema": dict(fmt.schema or {})}
    if fmt.description is not None:
        out["description"] = fmt.description
    if fmt.strict is not None:
        out["strict"] = fmt.strict
    return out


def build_responses_body(call: Call) -> tuple[dict[str, Any], list[ProviderWarning]]:
    """The JSON body for ``/responses``; options the API has no place for are warned about."""
    opts = call.request.options
    instructions, items, warnings = encode_input(call)
    body: dict[str, Any] = {"model": call.model, "input": items, "stream": call.stream}
    if instructions is not None:
        body["instructions"] = instructions
    for name, key in (("temperature", "temperature"), ("top_p", "top_p"),
                      ("max_tokens", "max_output_tokens")):
        value = getattr(opts, name)
        if value is not None:
            body[key] = value
    for name in ("stop", "seed"):
        if getattr(opts, name):
            warnings.append(_warn("unsupported-setting", f"{name} was not sent: the Responses API "
                                  "has no such setting", name))
    fmt = _format(call)
    if fmt is not None:
        body["text"] = {"format": fmt}
    if opts.tools:
        body["tools"], found = call.codec.encode_tools(opts.tools)
        warnings.extend(found)
        if opts.tool_choice is not None:
            body["tool_choice"], found = call.codec.encode_tool_choice(opts.tool_choice)
            warnings.extend(found)
        if opts.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = opts.parallel_tool_calls
    elif opts.tool_choice is not None or opts.parallel_tool_calls is not None:
        warnings.append(_warn("unsupported-setting", "tool settings were not sent: no tools were "
                              "given", "tool_choice"))
    reasoning_options(opts, call.profile.unsupported_options, body, warnings,
                      lambda effort: {"reasoning": {"effort": effort}})
    body.update(opts.extra)
    return body, warnings
