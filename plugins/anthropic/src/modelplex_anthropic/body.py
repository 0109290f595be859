"""One chat request as a Messages API body: options mapped, what cannot be sent warned about.

* ``max_tokens`` (required by the API) defaults to the model's limit from the bundled table.
* ``reasoning_budget`` (or ``reasoning_effort``, as a budget) turns on extended thinking:
  ``thinking: {"type": "enabled", "budget_tokens": N}``, kept between 1 024 and ``max_tokens - 1``.
  With thinking on, a forced tool choice becomes ``auto`` and a temperature other than 1 is left out
  (the API refuses both), and thinking is left off when the last assistant turn calls tools without
  starting with its own thinking block (the API requires one there, litellm #9020).
* ``response_format`` has no native counterpart here. A JSON object or schema is asked for through a
  forced tool whose input *is* the answer (the schema is the tool's ``input_schema``, so no wrapper
  object exists to leak, litellm #35677), and the reply is turned back into text. Where that cannot
  be done (other tools, thinking, a schema that is not an object) it is warned about instead.
* ``prompt_cache`` puts ``cache_control: {"type": "ephemeral"}`` on the last system block, the last
  tool and the last block of the last message.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import attrs

from modelplex import ChatOptions, ChatRequest, ProviderWarning, ResponseFormat, ToolChoice
from modelplex_anthropic import api
from modelplex_anthropic.messages import encode_messages
from modelplex_anthropic.models import known
from modelplex_anthropic.tools import AnthropicToolCodec

_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")  # what Anthropic takes as a tool name
FORMAT_TOOL = "json_response"
"""The forced tool's name when ``response_format`` gives none that a tool may carry."""


@attrs.frozen(kw_only=True)
class Plan:
    """A request ready to send, and what reading its reply needs to know."""

    provider: str
    model: str
    body: dict[str, Any]
    warnings: tuple[ProviderWarning, ...] = ()
    format_tool: str | None = None  # the forced tool that carries a response_format answer
    include_raw: bool = False


def _warn(code: str, message: str, field: str) -> ProviderWarning:
    return ProviderWarning(code=code, message=message, field=field)


def _thinking_field(opts: ChatOptions) -> str:
    return "reasoning_budget" if opts.reasoning_budget is not None else "reasoning_effort"


def _max_tokens(opts: ChatOptions, model: str, warnings: list[ProviderWarning]) -> int:
    if opts.max_tokens is not None:
        return opts.max_tokens
    found = known(model)
    if found is not None:
        return found.max_output
    warnings.append(_defaulted(model))
    return api.FALLBACK_MAX_TOKENS


@functools.lru_cache(maxsize=256)  # the same warning on every call to a model the table lacks
def _defaulted(model: str) -> ProviderWarning:
    return _warn("defaulted-setting", f"max_tokens was not given and {model!r} is not in the bundled "
                 f"model table; {api.FALLBACK_MAX_TOKENS} was sent", "max_tokens")


def _budget(opts: ChatOptions, model: str, max_tokens: int,
            warnings: list[ProviderWarning]) -> int | None:
    """The thinking budget to send, or ``None`` for no thinking."""
    budget = opts.reasoning_budget
    if budget is not None and opts.reasoning_effort is not None:
        warnings.append(_warn("ignored-setting", "reasoning_effort was not used: reasoning_budget "
                              "was given too", "reasoning_effort"))
    if budget is None and opts.reasoning_effort is not None:
        budget = api.EFFORT_BUDGETS[opts.reasoning_effort]
    if not budget:
        return None
    field = _thinking_field(opts)
    found = known(model)
    if found is not None and not found.thinking:
        warnings.append(_warn("unsupported-setting", f"{model} has no extended thinking; it was not "
                              "turned on", field))
        return None
    if budget < api.MIN_THINKING_BUDGET:
        warnings.append(_warn("adjusted-setting", f"a thinking budget of {budget} tokens is below "
                              f"Anthropic's minimum; {api.MIN_THINKING_BUDGET} was sent", field))
        budget = api.MIN_THINKING_BUDGET
    if budget >= max_tokens:
        if max_tokens - 1 < api.MIN_THINKING_BUDGET:
            warnings.append(_warn("unsupported-setting", f"max_tokens {max_tokens} leaves no room for "
                                  f"the minimum thinking budget ({api.MIN_THINKING_BUDGET}); thinking "
                                  "was not turned on", field))
            return None
        warnings.append(_warn("adjusted-setting", f"the thinking budget must stay below max_tokens "
                              f"({max_tokens}); {max_tokens - 1} was sent", field))
        budget = max_tokens - 1
    return budget


def _tool_loop_without_thinking(messages: list[api.WireMessage]) -> bool:
    """The last assistant turn calls tools but does not start with a thinking block."""
    for message in reversed(messages):
        if message["role"] == "assistant":
            content = message["content"]
            calls = any(b.get("type") == "tool_use" for b in content)
            return calls and content[0].get("type") not in api.THINKING_BLOCKS
    return False


def _format_tool(fmt: ResponseFormat | None, opts: ChatOptions, thinking: bool,
                 warnings: list[ProviderWarning]) -> dict[str, Any] | None:
    """The forced tool that asks for ``fmt``, or ``None`` (with a warning if one was asked for)."""
    if fmt is None or fmt.type == "text":
        return None
    schema = dict(fmt.schema) if fmt.schema is not None else {"type": "object"}
    why = ("other tools were given" if opts.tools else
           "extended thinking is on and it cannot be combined with a forced tool" if thinking else
           "the schema is not a JSON object" if schema.get("type", "object") != "object" else None)
    if why is not None:
        warnings.append(_warn("unsupported-setting", f"Anthropic has no response_format, and it could "
                              f"not be asked for through a forced tool: {why}; it was not sent",
                              "response_format"))
        return None
    name = fmt.name if fmt.name and _TOOL_NAME.match(fmt.name) else FORMAT_TOOL
    schema.setdefault("type", "object")
    if fmt.strict:
        warnings.append(_warn("unsupported-setting", "strict schema enforcement is not sent to "
                              "Anthropic; the answer is not guaranteed to match the schema",
                              "response_format.strict"))
    # The tool's description is the one place Anthropic reads what the answer is about.
    about = f" {fmt.description}" if fmt.description else ""
    return {"name": name, "description": f"Give the answer: its input is the whole JSON answer.{about}",
            "input_schema": schema}


def _mark_cache(body: dict[str, Any]) -> None:
    system = body.get("system")
    if isinstance(system, list) and system:
        system[-1]["cache_control"] = dict(api.EPHEMERAL)
    tools = body.get("tools")
    if tools:
        tools[-1]["cache_control"] = dict(api.EPHEMERAL)
    if body["messages"]:
        for block in reversed(body["messages"][-1]["content"]):
            if block.get("type") not in api.THINKING_BLOCKS:  # thinking blocks take no cache_control
                block["cache_control"] = dict(api.EPHEMERAL)
                break


def build_plan(provider: str, request: ChatRequest, *, stream: bool) -> Plan:
    """The body for ``POST /v1/messages`` and everything its reply is read with."""
    opts = request.options
    model = request.model
    codec = AnthropicToolCodec(provider=provider)
    encoded = encode_messages(request.messages, provider=provider, model=model, codec=codec)
    warnings = list(encoded.warnings)
    body: dict[str, Any] = {"model": model, "messages": encoded.messages}
    if encoded.system:
        cached = opts.prompt_cache
        body["system"] = (encoded.system if cached or len(encoded.system) > 1
                          else encoded.system[0]["text"])
    max_tokens = body["max_tokens"] = _max_tokens(opts, model, warnings)
    budget = _budget(opts, model, max_tokens, warnings)
    if budget is not None and _tool_loop_without_thinking(encoded.messages):
        warnings.append(_warn("unsupported-setting", "extended thinking was not turned on: the last "
                              "assistant turn calls tools without the thinking block it began with "
                              "(it came from another model, or none was kept), and Anthropic requires "
                              "one there", _thinking_field(opts)))
        budget = None
    if budget is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    body["stream"] = stream
    if opts.temperature is not None:
        if budget is not None and opts.temperature != 1:
            warnings.append(_warn("unsupported-setting", "temperature was not sent: with extended "
                                  "thinking Anthropic takes only the default", "temperature"))
        else:
            body["temperature"] = opts.temperature
    if opts.top_p is not None:
        if budget is not None and not 0.95 <= opts.top_p <= 1:
            warnings.append(_warn("unsupported-setting", "top_p was not sent: with extended thinking "
                                  "Anthropic takes only values from 0.95 to 1", "top_p"))
        else:
            body["top_p"] = opts.top_p
    if opts.stop:
        body["stop_sequences"] = list(opts.stop)
    if opts.seed is not None:
        warnings.append(_warn("unsupported-setting", "seed was not sent: Anthropic has no such setting",
                              "seed"))
    forced = _format_tool(opts.response_format, opts, budget is not None, warnings)
    if opts.tools:
        body["tools"], found = codec.encode_tools(opts.tools)
        warnings.extend(found)
        choice = _tool_choice(opts, budget is not None, codec, warnings)
        if choice is not None:
            body["tool_choice"] = choice
    else:
        if forced is not None:
            body["tools"] = [forced]
            body["tool_choice"] = {"type": "tool", "name": forced["name"]}
        if opts.tool_choice is not None or opts.parallel_tool_calls is not None:
            warnings.append(_warn("unsupported-setting", "tool settings were not sent: no tools were "
                                  "given", "tool_choice"))
    if opts.prompt_cache:
        _mark_cache(body)
    body.update(opts.extra)
    return Plan(provider=provider, model=model, body=body, warnings=tuple(warnings),
                format_tool=forced["name"] if forced is not None else None,
                include_raw=opts.include_raw)


def _tool_choice(opts: ChatOptions, thinking: bool, codec: AnthropicToolCodec,
                 warnings: list[ProviderWarning]) -> dict[str, Any] | None:
    choice = opts.tool_choice
    if thinking and choice is not None and choice.mode in ("required", "tool"):
        warnings.append(_warn("unsupported-setting", f"tool_choice {choice.mode!r} cannot be combined "
                              "with extended thinking; 'auto' was sent, so the model may answer "
                              "without calling a tool", "tool_choice"))
        choice = ToolChoice.auto()
    wire: dict[str, Any] | None = None
    if choice is not None:
        wire, found = codec.encode_tool_choice(choice)
        warnings.extend(found)
    if opts.parallel_tool_calls is False:
        if choice is not None and choice.mode == "none":
            return wire  # no calls at all: nothing to say about parallel ones
        wire = {**(wire or {"type": "auto"}), "disable_parallel_tool_use": True}
    return wire
