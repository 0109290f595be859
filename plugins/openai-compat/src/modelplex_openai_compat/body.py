"""The Chat Completions request body: one stage, :func:`build_body`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelplex import ChatOptions, ProviderWarning, ResponseFormat
from modelplex_openai_compat.call import Call


def _unsupported(name: str, why: str = "this server does not take it") -> ProviderWarning:
    return ProviderWarning(code="unsupported-setting", field=name,
                           message=f"{name} was not sent: {why}")


def response_format(call: Call, fmt: ResponseFormat,
                    warnings: list[ProviderWarning]) -> dict[str, Any] | None:
    """``response_format`` for the body, or ``None`` (with a warning when something was asked)."""
    profile = call.profile
    if fmt.type == "text":
        return None
    if fmt.type == "json_object":
        if not profile.supports_json_object:
            warnings.append(_unsupported("response_format", "this server has no JSON mode"))
            return None
        return {"type": "json_object"}
    if not profile.supports_json_schema:
        if profile.supports_json_object:
            warnings.append(ProviderWarning(
                code="unsupported-setting", field="response_format",
                message="this server takes no JSON Schema; JSON mode was asked for instead, so the "
                        "reply is JSON but not checked against the schema"))
            return {"type": "json_object"}
        warnings.append(_unsupported("response_format", "this server takes no JSON Schema"))
        return None
    schema: dict[str, Any] = {"name": fmt.name or "response", "schema": dict(fmt.schema or {})}
    if fmt.description is not None:
        schema["description"] = fmt.description
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": schema}


def build_body(call: Call, messages: list[dict[str, Any]]) -> tuple[dict[str, Any],
                                                                    list[ProviderWarning]]:
    """The JSON body for ``chat/completions``, and warnings for what was left out.

    Options left at ``None`` send nothing (the server's default). ``options.extra`` is merged last,
    as is, so it can set anything Modelplex has no name for.
    """
    opts, profile = call.request.options, call.profile
    warnings: list[ProviderWarning] = []
    body: dict[str, Any] = {"model": call.model, "messages": messages, "stream": call.stream}
    if call.stream and profile.stream_usage:
        body["stream_options"] = {"include_usage": True}

    if (opts.temperature is not None or opts.top_p is not None or opts.max_tokens is not None
            or opts.seed is not None or opts.stop):  # most calls set none of them
        simple: dict[str, Any] = {"temperature": opts.temperature, "top_p": opts.top_p,
                                  "max_tokens": opts.max_tokens, "seed": opts.seed,
                                  "stop": list(opts.stop) or None}
        for name, value in simple.items():
            if value is None:
                continue
            if name in profile.unsupported_options:
                warnings.append(_unsupported(name))
                continue
            body[profile.max_tokens_field if name == "max_tokens" else name] = value

    if opts.response_format is not None:
        if "response_format" in profile.unsupported_options:
            warnings.append(_unsupported("response_format"))
        else:
            fmt = response_format(call, opts.response_format, warnings)
            if fmt is not None:
                body["response_format"] = fmt

    if opts.tools:
        tools, found = call.codec.encode_tools(opts.tools)
        body["tools"] = tools
        warnings.extend(found)
        if opts.tool_choice is not None:
            choice, found = call.codec.encode_tool_choice(opts.tool_choice)
            body["tool_choice"] = choice
            warnings.extend(found)
        if opts.parallel_tool_calls is not None:
            if profile.supports_parallel_tool_calls and (
                    "parallel_tool_calls" not in profile.unsupported_options):
                body["parallel_tool_calls"] = opts.parallel_tool_calls
            else:
                warnings.append(_unsupported("parallel_tool_calls"))
    else:
        if opts.tool_choice is not None:
            warnings.append(_unsupported("tool_choice", "no tools were given"))
        if opts.parallel_tool_calls is not None:
            warnings.append(_unsupported("parallel_tool_calls", "no tools were given"))

    if opts.reasoning_effort is not None or opts.reasoning_budget is not None:
        reasoning_options(opts, profile.unsupported_options, body, warnings,
                          lambda effort: {"reasoning_effort": effort})
    if opts.extra:
        body.update(opts.extra)
    return body, warnings


def reasoning_options(opts: ChatOptions, unsupported: frozenset[str], body: dict[str, Any],
                      warnings: list[ProviderWarning],
                      effort_body: Callable[[str], dict[str, Any]]) -> None:
    """Reasoning effort as the server takes it (``effort_body``), or a warning; OpenAI-style servers
    take no token budget. ``prompt_cache`` needs nothing here: these servers cache prefixes on their own.
    """
    if opts.reasoning_effort is not None:
        if "reasoning_effort" in unsupported:
            warnings.append(_unsupported("reasoning_effort"))
        else:
            body.update(effort_body(opts.reasoning_effort))
    if opts.reasoning_budget is not None:
        warnings.append(_unsupported("reasoning_budget", "this API takes reasoning_effort, not a token "
                                                         "budget"))
