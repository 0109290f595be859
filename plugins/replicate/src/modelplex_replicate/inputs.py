"""A chat request as the ``input`` of a Replicate language model, and a warning for each part of it
that has no place there (never a silent drop).

Replicate's language models (Meta's Llama and those built the same way) take one ``prompt`` and a
``system_prompt``, not a list of messages: a single user turn is the prompt as it is; a longer
conversation is written into the prompt as a transcript (``User: ...`` / ``Assistant: ...``), with a
warning, since the model then sees it as text; tool calls and results in it are written out the same way
(``[called name({...})]``, ``[name returned: ...]``), images and reasoning left out, each with a warning.
``max_tokens`` is ``max_new_tokens`` for the Llama 2 family and ``max_tokens`` for the rest; ``stop`` is
the comma-separated ``stop_sequences``. Tool definitions, response formats and reasoning settings have no
input here: they are left out with a warning.
Anything in ``extra`` (``top_k``, ``min_tokens``, ``prompt_template``...) goes into the input as it is.
"""

from __future__ import annotations

import json
from typing import Any

from modelplex import (
    ChatRequest,
    Part,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex_replicate.address import Target

_SAME = ("temperature", "top_p", "seed")
_NOT_SENT = ("response_format", "parallel_tool_calls", "reasoning_effort", "reasoning_budget",
             "prompt_cache")
_ROLE = {"user": "User", "assistant": "Assistant", "tool": "Tool"}


def _warning(field: str, message: str) -> ProviderWarning:
    return ProviderWarning(code="unsupported-setting", field=field, message=message)


def max_tokens_field(family: str) -> str:
    """The input that bounds the output: Llama 2's ``max_new_tokens``, else ``max_tokens``."""
    return "max_new_tokens" if "llama-2" in family else "max_tokens"


def _text(part: Part) -> str | None:
    """A part as prompt text: text as it is; a tool call and its result written out, since the model
    has no other place for them; ``None`` for what cannot be text (images, reasoning)."""
    if isinstance(part, TextPart):
        return part.text
    if isinstance(part, ToolCallPart):
        arguments = part.raw_arguments if part.raw_arguments is not None else json.dumps(
            dict(part.arguments), ensure_ascii=False)
        return f"[called {part.name}({arguments})]"
    if isinstance(part, ToolResultPart):
        return f"[{part.name or 'tool'} returned{' an error' if part.is_error else ''}: {part.content}]"
    return None


def _texts(request: ChatRequest) -> tuple[list[str], list[tuple[str, str]], list[ProviderWarning]]:
    """(system texts, (role, text) turns, warnings for parts written as text or left out)."""
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    warnings: list[ProviderWarning] = []
    for i, message in enumerate(request.messages):
        texts = [(part, _text(part)) for part in message.parts]
        written = sorted({type(p).__name__ for p, t in texts
                          if t is not None and not isinstance(p, TextPart)})
        dropped = sorted({type(p).__name__ for p, t in texts
                          if t is None and not isinstance(p, ReasoningPart)})
        if any(isinstance(p, ReasoningPart) for p in message.parts):
            # The code every provider gives another's reasoning left out, so callers find it by one name.
            warnings.append(ProviderWarning(code="dropped-reasoning", field=f"messages[{i}]",
                                            message="Replicate's prompt is text: reasoning not sent"))
        if written:
            warnings.append(_warning(f"messages[{i}]", f"Replicate's prompt is text: {', '.join(written)} "
                                                       "written into it as text"))
        if dropped:
            warnings.append(_warning(f"messages[{i}]", f"Replicate's prompt is text: {', '.join(dropped)} "
                                                       "left out"))
        text = "".join(t for _, t in texts if t is not None)
        if message.role == "system":
            system.append(text)
        elif text:
            turns.append((message.role, text))
    return system, turns, warnings


def build_input(request: ChatRequest, where: Target) -> tuple[dict[str, Any], list[ProviderWarning]]:
    """The prediction's ``input`` and the warnings for what it leaves out."""
    options = request.options
    system, turns, warnings = _texts(request)
    if len(turns) == 1 and turns[0][0] == "user":
        prompt = turns[0][1]
    else:
        prompt = "\n\n".join(f"{_ROLE.get(role, role)}: {text}" for role, text in turns)
        if turns[-1:] and turns[-1][0] != "assistant":
            prompt += "\n\nAssistant:"
        warnings.append(_warning("messages", "Replicate's language models take one prompt: the "
                                             f"{len(turns)} turns were sent as a transcript in it"))
    body: dict[str, Any] = {"prompt": prompt}
    if system:
        body["system_prompt"] = "\n\n".join(system)
    for name in _SAME:
        value = getattr(options, name)
        if value is not None:
            body[name] = value
    if options.max_tokens is not None:
        body[max_tokens_field(where.family)] = options.max_tokens
    if options.stop:
        body["stop_sequences"] = ",".join(options.stop)
    if options.tools or options.tool_choice is not None:
        warnings.append(_warning("tools", "Replicate's language models take no tool definitions: "
                                          f"{len(options.tools)} tool(s) and tool_choice not sent"))
    for name in _NOT_SENT:
        if getattr(options, name) is not None:
            warnings.append(_warning(name, f"Replicate's language models have no {name}; it was not sent"))
    body.update(options.extra)
    return body, warnings
