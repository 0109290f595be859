"""The ``/api/chat`` request body: messages, ``options``, ``format``, ``think``, tools, ``keep_alive``.

Options left at ``None`` send nothing (the model's default). Model options start from the
``options`` table and ``num_ctx`` of the settings; ``ChatOptions`` fields come next
(``max_tokens`` is Ollama's ``num_predict``); ``extra`` is last: its keys that are top-level fields
of ``/api/chat`` (``keep_alive``, ``think``, ``format``, ``truncate``, ...) go in the body, every
other key (``num_ctx``, ``top_k``, ``repeat_penalty``, ...) into ``options``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex import ChatOptions, ChatRequest, ProviderSettings, ProviderWarning, Tool
from modelplex_ollama.config import keep_alive, model_options
from modelplex_ollama.messages import MessageEncoder
from modelplex_ollama.tools import OllamaToolCodec

# Top-level fields of POST /api/chat besides model, messages, tools and stream.
BODY_FIELDS = frozenset({"format", "options", "keep_alive", "think", "truncate", "shift", "logprobs",
                         "top_logprobs"})


def _warn(field: str, message: str) -> ProviderWarning:
    return ProviderWarning(code="unsupported-setting", field=field, message=message)


def think_value(opts: ChatOptions, warnings: list[ProviderWarning]) -> bool | str | None:
    """``think`` from the reasoning options: an effort is Ollama's level; a token budget cannot be
    honoured, so any budget turns thinking on (0 turns it off), with a warning."""
    if opts.reasoning_effort is not None:
        if opts.reasoning_budget is not None:
            warnings.append(_warn("reasoning_budget", "Ollama takes a thinking level, not a token "
                                  f"budget; reasoning_effort {opts.reasoning_effort!r} was sent and "
                                  "the budget left out"))
        return opts.reasoning_effort
    if opts.reasoning_budget is None:
        return None
    if opts.reasoning_budget <= 0:
        return False
    warnings.append(_warn("reasoning_budget", "Ollama cannot limit thinking to a number of tokens; "
                          "thinking was turned on without a limit"))
    return True


def response_format(opts: ChatOptions) -> str | dict[str, Any] | None:
    fmt = opts.response_format
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return "json"
    return dict(fmt.schema or {})


def _tools(request: ChatRequest, codec: OllamaToolCodec, body: dict[str, Any],
           warnings: list[ProviderWarning]) -> None:
    opts = request.options
    if opts.parallel_tool_calls is not None:
        warnings.append(_warn("parallel_tool_calls", "Ollama has no setting for parallel tool calls; "
                              "the model decides"))
    if not opts.tools:
        if opts.tool_choice is not None:
            warnings.append(_warn("tool_choice", "tool_choice was not used: no tools were given"))
        return
    tools: tuple[Tool, ...] = opts.tools
    if opts.tool_choice is not None:
        choice, found = codec.encode_tool_choice(opts.tool_choice)
        warnings.extend(found)
        if choice == "none":
            return
        if isinstance(choice, Mapping):
            tools = tuple(t for t in tools if t.name == choice["name"])
    wire, found = codec.encode_tools(tools)
    warnings.extend(found)
    if wire:
        body["tools"] = wire


def build_body(settings: ProviderSettings, request: ChatRequest, *, stream: bool,
               codec: OllamaToolCodec | None = None) -> tuple[dict[str, Any], list[ProviderWarning]]:
    """The JSON body for ``/api/chat``, and warnings for what could not be sent."""
    codec = codec or OllamaToolCodec(provider=settings.name)
    encoder = MessageEncoder(settings.name, request.model, codec)
    messages = encoder.encode(request.messages)
    warnings = encoder.warnings
    opts = request.options
    body: dict[str, Any] = {"model": request.model, "messages": messages, "stream": stream}
    if opts.tools or opts.tool_choice is not None or opts.parallel_tool_calls is not None:
        _tools(request, codec, body, warnings)

    options = model_options(settings)
    # One test per option, not a dict of them filtered: this runs on every call.
    if opts.temperature is not None:
        options["temperature"] = opts.temperature
    if opts.top_p is not None:
        options["top_p"] = opts.top_p
    if opts.max_tokens is not None:
        options["num_predict"] = opts.max_tokens
    if opts.seed is not None:
        options["seed"] = opts.seed
    if opts.stop:
        options["stop"] = list(opts.stop)
    fmt = response_format(opts)
    if fmt is not None:
        body["format"] = fmt
    think = think_value(opts, warnings)
    if think is not None:
        body["think"] = think
    alive = keep_alive(settings)
    if alive is not None:
        body["keep_alive"] = alive

    for key, value in opts.extra.items():
        if key == "options" and isinstance(value, Mapping):
            options.update(value)
        elif key in BODY_FIELDS:
            body[key] = value
        else:
            options[key] = value
    if options:
        body["options"] = options
    return body, warnings
