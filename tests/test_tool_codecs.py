"""Round trips of every installed provider's tool codec, reached through the hook (``client.tool_codec``).

One canonical tool list must go to any provider. For each codec (one per installed provider, two for
``openai``, whose codec depends on the API route) Hypothesis checks:

* tools: ``decode(encode(tools))`` equals the tools less exactly what the encoder warned about. A
  warning's ``field`` is a path (``tools.<name>.strict``, ``tools.<name>.parameters.properties.x...``);
  the expected value is the input with exactly those paths removed, and each path must exist in the
  input. The only other difference allowed is a documented normalisation of ``strict`` (see
  :data:`STRICT_NORMALISED`).
* tool calls: ``decode_call(encode_call(call))`` equals the call, less the fields a wire has no place
  for, listed per format in :data:`CALL_DROPS` (never ``id``, ``name`` or JSON-object ``arguments``).
* tool results: the same, with :data:`RESULT_DROPS`.
* tool choice: every choice maps (decodes back to itself) or warns, naming ``tool_choice``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import modelplex
from modelplex import (
    ProviderWarning,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolCodec,
    ToolResultPart,
    parse_tool_arguments,
)
from modelplex._plugins import Registry
from modelplex_testing import strategies as mst

# Every installed provider, as discovery sees it: a plugin installed later is covered without an edit.
# Replicate's language models take no tool definitions (its plugin writes calls and results into the
# prompt as text, with warnings): it has no tool wire, so no codec to round-trip.
NO_TOOL_WIRE = {"replicate"}
PROVIDERS = sorted(set(Registry(env={}).records) - NO_TOOL_WIRE)

# Providers whose codec depends on settings get one variant per wire format they can speak.
SETTINGS: dict[str, list[dict[str, Any]]] = {
    "openai": [{"api": "responses"}, {"api": "chat_completions"}],
}

# The formats this project speaks; each must be reached through some installed provider's hook.
EXPECTED_FORMATS = {"openai-chat", "openai-responses", "anthropic", "ollama", "canonical"}
# Checked when the plugin is installed.
OPTIONAL_FORMATS = {"gemini": "modelplex_gemini", "cohere": "modelplex_cohere"}

# What a wire has no place for in a tool call (documented in each codec's docstring):
# * signature, origin: provider artefacts; only Gemini carries a signature (``thoughtSignature``).
# * raw_arguments: arguments that are not a JSON object. OpenAI's wires carry argument *text*, so the
#   text goes as it came and is parsed on the way back ("reparsed"); the others take only objects.
CALL_DROPS: dict[str, set[str]] = {
    "canonical": set(),
    "openai-chat": {"signature", "origin", "reparsed"},
    "openai-responses": {"signature", "origin", "reparsed"},
    "anthropic": {"signature", "origin", "raw_arguments"},
    "gemini": {"origin", "raw_arguments"},
    "ollama": {"signature", "origin", "raw_arguments"},
    "cohere": {"signature", "origin", "reparsed"},
}
# What a wire has no place for in a tool result. Gemini sends content that is a JSON object as the
# response object itself, so it comes back re-serialised ("json_content": equal as JSON).
RESULT_DROPS: dict[str, set[str]] = {
    "canonical": set(),
    "openai-chat": {"name", "is_error"},
    "openai-responses": {"name", "is_error"},
    "anthropic": {"name"},
    "gemini": {"json_content"},
    "ollama": {"is_error"},
    "cohere": {"name", "is_error"},
}
# ``strict`` values a wire normalises without a warning, because the result means the same there:
# Anthropic and Gemini are never strict, so False is their default and is not sent (back: None); the
# Responses API is strict unless told otherwise, so None (no preference: not strict, as on every other
# wire) is sent as an explicit False.
STRICT_NORMALISED: dict[str, dict[bool | None, bool | None]] = {
    "anthropic": {False: None},
    "gemini": {False: None},
    "openai-responses": {None: False},
    "cohere": {False: None},  # strictness is one request flag (strict_tools), never a tool's
}

UNICODE_ARGS = {"città": "東京 🌸", "emoji": "👍🏽", "rtl": "שלום", "ctrl": "a\u0000b\nc\"\\",
                "n": [1.5, None]}


def _variants() -> list[Any]:
    """``(provider, settings)`` for every installed provider, one per wire format its codec speaks."""
    return [pytest.param(name, options, id="-".join([name, *(str(v) for v in options.values())]))
            for name in PROVIDERS for options in SETTINGS.get(name, [{}])]


_CODECS: dict[tuple[str, str], ToolCodec] = {}


def codec_for(provider: str, options: dict[str, Any]) -> ToolCodec:
    """The provider's codec, through the hook, as an application gets it."""
    key = (provider, json.dumps(options, sort_keys=True))
    if key not in _CODECS:
        client = modelplex.Client(env={}, config_file=False, providers={provider: dict(options)})
        try:
            codec = client.tool_codec(provider)
        finally:
            client.close()
        assert isinstance(codec, ToolCodec), provider
        _CODECS[key] = codec
    return _CODECS[key]


def known_format(codec: ToolCodec) -> str:
    fmt = codec.format
    if fmt not in CALL_DROPS:
        pytest.fail(f"codec format {fmt!r} is new: say in CALL_DROPS, RESULT_DROPS (and STRICT_NORMALISED) "
                    "what its wire cannot carry")
    return fmt


def wire_json(value: Any) -> Any:
    """What the wire value becomes after a trip through JSON (and so through a real request body)."""
    return json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))


# -- the formats -------------------------------------------------------------------------------------


def test_every_format_is_reached_through_the_hook() -> None:
    formats = {codec_for(name, options).format for name, options in
               ((p.values[0], p.values[1]) for p in _variants())}
    expected = set(EXPECTED_FORMATS)
    for fmt, module in OPTIONAL_FORMATS.items():
        try:
            __import__(module)
        except ImportError:
            continue
        expected.add(fmt)
    assert expected <= formats, f"not reached through any provider: {sorted(expected - formats)}"


# -- tools -------------------------------------------------------------------------------------------


def _remove(schema: Any, path: list[str], field: str) -> None:
    """Deletes ``path`` from ``schema``; the path must be there (a warning names what was in the input)."""
    node = schema
    for key in path[:-1]:
        assert isinstance(node, dict) and key in node, f"warning names {field!r}, not in the input"
        node = node[key]
    assert isinstance(node, dict) and path[-1] in node, f"warning names {field!r}, not in the input"
    del node[path[-1]]


def expected_tools(tools: Sequence[Tool], warnings: Sequence[ProviderWarning], fmt: str) -> list[Tool]:
    """``tools`` less exactly the fields the warnings name, ``strict`` normalised as the wire does."""
    by_name: dict[str, dict[str, Any]] = {
        t.name: {"parameters": copy.deepcopy(dict(t.parameters)), "strict": t.strict} for t in tools}
    for warning in warnings:
        field = warning.field or ""
        parts = field.split(".")
        assert len(parts) >= 3 and parts[0] == "tools" and parts[1] in by_name, (
            f"a tool warning must name the tool and the field it concerns, got {field!r}")
        entry = by_name[parts[1]]
        if parts[2:] == ["strict"]:
            assert entry["strict"] is not None, f"{field!r} warned, but strict was not set"
            entry["strict"] = None
        else:
            assert parts[2] == "parameters", f"unexpected tool field {field!r}"
            _remove(entry["parameters"], parts[3:], field)
    normalise = STRICT_NORMALISED.get(fmt, {})
    out = []
    for tool in tools:
        entry = by_name[tool.name]
        strict = normalise.get(entry["strict"], entry["strict"])
        out.append(attrs.evolve(tool, parameters=entry["parameters"], strict=strict))
    return out


@pytest.mark.parametrize(("provider", "options"), _variants())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tools=st.lists(mst.tools(), max_size=3, unique_by=lambda t: t.name))
def test_tools_round_trip_less_exactly_what_was_warned(provider: str, options: dict[str, Any],
                                                      tools: list[Tool]) -> None:
    codec = codec_for(provider, options)
    fmt = known_format(codec)
    wire, warnings = codec.encode_tools(tools)
    assert all(isinstance(w, ProviderWarning) for w in warnings)
    assert codec.decode_tools(wire_json(wire)) == expected_tools(tools, warnings, fmt)


@pytest.mark.parametrize(("provider", "options"), _variants())
def test_a_tool_every_format_takes_goes_through_unchanged_and_unwarned(provider: str,
                                                                       options: dict[str, Any]) -> None:
    tool = Tool(name="get_weather", description="Weather now, in °C — «détaillé» 東京",
                parameters={"type": "object", "properties": {
                    "city": {"type": "string", "description": "Città"},
                    "days": {"type": "integer"},
                    "units": {"type": "string", "enum": ["c", "f"]},
                    "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["city"]})
    codec = codec_for(provider, options)
    wire, warnings = codec.encode_tools([tool])
    assert warnings == []
    back = codec.decode_tools(wire_json(wire))
    assert back == expected_tools([tool], [], known_format(codec))
    assert back[0].parameters == tool.parameters


# -- tool calls and results --------------------------------------------------------------------------


def expected_call(call: ToolCallPart, fmt: str) -> ToolCallPart:
    drops = CALL_DROPS[fmt]
    out = call
    if "signature" in drops:
        out = attrs.evolve(out, signature=None)
    if "origin" in drops:
        out = attrs.evolve(out, origin=None)
    if call.raw_arguments is not None:
        if "reparsed" in drops:
            args, raw = parse_tool_arguments(call.raw_arguments)
            out = attrs.evolve(out, arguments=args, raw_arguments=raw)
        elif "raw_arguments" in drops:
            out = attrs.evolve(out, arguments={}, raw_arguments=None)
    return out


@pytest.mark.parametrize(("provider", "options"), _variants())
@settings(max_examples=60, deadline=None)
@given(call=mst.tool_calls())
@example(call=ToolCallPart(id="call_empty", name="no_args"))
@example(call=ToolCallPart(id="call_unicode", name="weather", arguments=UNICODE_ARGS))
@example(call=ToolCallPart(id="toolu_01", name="f", raw_arguments='{"city": "Par'))
def test_tool_calls_round_trip(provider: str, options: dict[str, Any], call: ToolCallPart) -> None:
    codec = codec_for(provider, options)
    fmt = known_format(codec)
    back = codec.decode_tool_call(wire_json(codec.encode_tool_call(call)))
    assert back == expected_call(call, fmt)
    assert (back.id, back.name) == (call.id, call.name)


def expected_result(result: ToolResultPart, fmt: str) -> ToolResultPart:
    drops = RESULT_DROPS[fmt]
    out = result
    if "name" in drops:
        out = attrs.evolve(out, name=None)
    if "is_error" in drops:
        out = attrs.evolve(out, is_error=False)
    return out


def _json_object(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@pytest.mark.parametrize(("provider", "options"), _variants())
@settings(max_examples=60, deadline=None)
@given(result=mst.tool_results())
@example(result=ToolResultPart(tool_call_id="call_1", content=""))
@example(result=ToolResultPart(tool_call_id="call_1", content="22 °C, ☀ 東京 👍🏽", name="weather"))
@example(result=ToolResultPart(tool_call_id="call_1", content='{"temp": 22, "sky": "☀"}'))
@example(result=ToolResultPart(tool_call_id="call_1", content="failed: timeout", is_error=True))
def test_tool_results_round_trip(provider: str, options: dict[str, Any], result: ToolResultPart) -> None:
    codec = codec_for(provider, options)
    fmt = known_format(codec)
    back = codec.decode_tool_result(wire_json(codec.encode_tool_result(result)))
    expected = expected_result(result, fmt)
    if "json_content" in RESULT_DROPS[fmt] and _json_object(result.content) is not None:
        assert _json_object(back.content) == _json_object(result.content)
        back = attrs.evolve(back, content=result.content)
    assert back == expected


@pytest.mark.parametrize(("provider", "options"), _variants())
def test_a_result_that_only_looks_like_json_goes_as_json_and_comes_back(provider: str,
                                                                        options: dict[str, Any]) -> None:
    """Python reads NaN and Infinity as numbers; JSON has neither, so such content is text."""
    codec = codec_for(provider, options)
    result = ToolResultPart(tool_call_id="call_1", content='{"x": NaN, "y": -Infinity}', name="f")
    back = codec.decode_tool_result(wire_json(codec.encode_tool_result(result)))
    assert back == expected_result(result, known_format(codec))


# -- tool choice -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "options"), _variants())
@settings(max_examples=30, deadline=None)
@given(choice=mst.tool_choices())
def test_every_tool_choice_maps_or_warns(provider: str, options: dict[str, Any], choice: ToolChoice) -> None:
    codec = codec_for(provider, options)
    wire, warnings = codec.encode_tool_choice(choice)
    if warnings:
        assert [w.field for w in warnings] == ["tool_choice"]
        assert all(w.message for w in warnings)
    else:
        assert codec.decode_tool_choice(wire_json(wire)) == choice


@pytest.mark.parametrize(("provider", "options"), _variants())
def test_auto_and_none_map_everywhere(provider: str, options: dict[str, Any]) -> None:
    """The two choices every wire has: the model decides, or none is called."""
    codec = codec_for(provider, options)
    for choice in (ToolChoice.auto(), ToolChoice.none()):
        wire, warnings = codec.encode_tool_choice(choice)
        assert warnings == [] and codec.decode_tool_choice(wire_json(wire)) == choice
