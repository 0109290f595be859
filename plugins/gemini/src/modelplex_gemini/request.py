"""The ``generateContent`` request body: contents, system instruction, tools, tool config and
``generationConfig`` (sampling, stop sequences, seed, JSON output, thinking)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import ChatRequest, ProviderWarning
from modelplex_gemini.messages import encode_messages, signs_calls
from modelplex_gemini.schema import translate
from modelplex_gemini.tools import GeminiToolCodec

# reasoning_effort for models that take a thinking budget (Gemini 2.5) rather than a level.
EFFORT_BUDGETS = {"low": 1024, "medium": 8192, "high": 24576}


def _warn(field: str, message: str) -> ProviderWarning:
    return ProviderWarning(code="unsupported-setting", field=field, message=message)


def merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` laid over ``base``; objects present in both are merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def thinking_config(request: ChatRequest, warnings: list[ProviderWarning]) -> dict[str, Any] | None:
    """``reasoning_budget`` -> ``thinkingBudget`` (with ``includeThoughts`` unless it is 0);
    ``reasoning_effort`` -> ``thinkingLevel`` on Gemini 3 and later, a budget on earlier models."""
    opts = request.options
    budget, effort = opts.reasoning_budget, opts.reasoning_effort
    if budget is not None:
        if effort is not None:
            warnings.append(_warn("reasoning_effort", "reasoning_effort was not sent: Gemini takes a "
                                  "thinking budget or a level, not both, and reasoning_budget was given"))
        return {"thinkingBudget": budget} if budget == 0 else {"thinkingBudget": budget,
                                                               "includeThoughts": True}
    if effort is None:
        return None
    if signs_calls(request.model):
        return {"thinkingLevel": effort, "includeThoughts": True}
    return {"thinkingBudget": EFFORT_BUDGETS[effort], "includeThoughts": True}


def generation_config(request: ChatRequest, warnings: list[ProviderWarning]) -> dict[str, Any]:
    opts = request.options
    config: dict[str, Any] = {}
    for name, key in (("temperature", "temperature"), ("top_p", "topP"),
                      ("max_tokens", "maxOutputTokens"), ("seed", "seed")):
        value = getattr(opts, name)
        if value is not None:
            config[key] = value
    if opts.stop:
        config["stopSequences"] = list(opts.stop)
    fmt = opts.response_format
    if fmt is not None and fmt.type != "text":
        config["responseMimeType"] = "application/json"
        if fmt.type == "json_schema" and fmt.schema is not None:
            config["responseSchema"], found = translate(fmt.schema, field="response_format.schema",
                                                        subject="the response schema")
            warnings.extend(found)
            # Gemini's Schema object has a description, the one place for the format's; the
            # schema's own, if it has one, is the more precise and stays.
            if fmt.description and isinstance(config["responseSchema"], dict):
                config["responseSchema"].setdefault("description", fmt.description)
    thinking = thinking_config(request, warnings)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def build_body(request: ChatRequest, provider: str,
               codec: GeminiToolCodec | None = None) -> tuple[dict[str, Any], list[ProviderWarning]]:
    """The JSON body for ``:generateContent`` / ``:streamGenerateContent``, and the warnings for what
    could not be sent. ``generationConfig`` is always present (empty when nothing is asked);
    ``options.extra`` is merged in last, object by object."""
    codec = codec or GeminiToolCodec(provider)
    encoded = encode_messages(request, provider, codec)
    warnings = list(encoded.warnings)
    opts = request.options
    body: dict[str, Any] = {"contents": encoded.contents}
    if encoded.system:
        body["systemInstruction"] = {"role": "user", "parts": encoded.system}
    if opts.tools:
        body["tools"], found = codec.encode_tools(opts.tools)
        warnings.extend(found)
        if opts.tool_choice is not None:
            body["toolConfig"], found = codec.encode_tool_choice(opts.tool_choice)
            warnings.extend(found)
    elif opts.tool_choice is not None and opts.tool_choice.mode in ("required", "tool"):
        warnings.append(_warn("tool_choice", f"tool_choice {opts.tool_choice.mode!r} was not sent: "
                              "no tools were given"))
    if opts.parallel_tool_calls is False:
        warnings.append(_warn("parallel_tool_calls", "Gemini cannot be told to make one call at a "
                              "time; parallel_tool_calls=False was not sent"))
    body["generationConfig"] = generation_config(request, warnings)
    if opts.extra:
        body = merged(body, opts.extra)
    return body, warnings
