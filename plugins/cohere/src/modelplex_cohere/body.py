"""Cohere's ``POST /v2/chat`` body from a :class:`~modelplex.ChatRequest`, and a warning for each option
it cannot honour (never a silent drop)."""

from __future__ import annotations

from typing import Any

from modelplex import ChatRequest, Origin, ProviderWarning
from modelplex_cohere.messages import encode_messages
from modelplex_cohere.tools import ToolCodec

# Modelplex's name -> Cohere's, for options that mean the same.
_RENAMED = {"temperature": "temperature", "top_p": "p", "max_tokens": "max_tokens", "seed": "seed"}


def request_body(request: ChatRequest, codec: ToolCodec, *, stream: bool,
                 provider: str) -> tuple[dict[str, Any], list[ProviderWarning]]:
    """The body to send, and the warnings for what it leaves out. ``provider`` is the configured name
    (reasoning it wrote with this model is replayed)."""
    options = request.options
    messages, warnings = encode_messages(request.messages, codec, Origin(provider=provider,
                                                                         model=request.model))
    body: dict[str, Any] = {"model": request.model, "messages": messages, "stream": stream}
    for name, wire in _RENAMED.items():
        value = getattr(options, name)
        if value is not None:
            body[wire] = value
    if options.stop:
        body["stop_sequences"] = list(options.stop)
    tools = list(options.tools)
    choice = options.tool_choice
    if choice is not None and choice.mode == "tool":
        # No named choice on this wire: REQUIRED with only that tool offered forces the same call.
        tools = [t for t in tools if t.name == choice.name]
    if tools:
        body["tools"], found = codec.encode_tools(tools)
        warnings.extend(found)
    if choice is not None:
        wire, found = codec.encode_tool_choice(choice)
        warnings.extend(found)
        if wire is not None:
            body["tool_choice"] = wire
    if options.parallel_tool_calls is False:
        warnings.append(ProviderWarning(code="unsupported-setting", field="parallel_tool_calls",
                                        message="Cohere cannot be told to call one tool at a time"))
    fmt = options.response_format
    if fmt is not None and fmt.type != "text":
        out: dict[str, Any] = {"type": "json_object"}
        if fmt.type == "json_schema" and fmt.schema is not None:
            out["json_schema"] = dict(fmt.schema)
        body["response_format"] = out
    if options.reasoning_budget is not None:
        body["thinking"] = ({"type": "disabled"} if options.reasoning_budget == 0 else
                            {"type": "enabled"} if options.reasoning_budget < 0 else
                            {"type": "enabled", "token_budget": options.reasoning_budget})
    if options.reasoning_effort is not None:
        warnings.append(ProviderWarning(code="unsupported-setting", field="reasoning_effort",
                                        message="Cohere takes a thinking token budget, not an effort; "
                                                "use reasoning_budget"))
    body.update(options.extra)  # settings Modelplex has no name for go as they are (strict_tools, k, ...)
    return body, warnings
