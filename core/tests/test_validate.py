"""Validation before any request (issue 11, item 3): every bad input of the issue, and more, is refused
with an :class:`InvalidRequestError` (a ``ValueError``) naming the field, and nothing else escapes.

The checks run as the call path runs them (:func:`_chat_request`); the end-to-end proof that no byte
reaches a server is ``tests/test_validation_e2e.py``, through a real plugin and a loopback server.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelplex import (
    ChatOptions,
    ChatRequest,
    EmbedRequest,
    ImagePart,
    Message,
    ProviderInfo,
    ProviderWarning,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from modelplex._validate import (
    build_options,
    check_address,
    check_chat,
    check_embed,
    check_for_provider,
    messages_from,
)
from modelplex.errors import (
    InvalidRequestError,
    ModelplexError,
    PluginError,
    ToolSchemaError,
    UnknownModelError,
)
from modelplex_testing import fake_client
from modelplex_testing import strategies as mst


def _chat_request(model: Any = "acme/m", messages: Any = "Hi", *, system: Any = None,
                  options: Any = None, **kwargs: Any) -> ChatRequest:
    """What the call path does before it sends a chat: resolve, build, check."""
    address = check_address(model)
    msgs = messages_from(messages, system)
    opts = build_options(options, kwargs)
    check_chat(msgs, opts)
    return ChatRequest(model=address.partition("/")[2], messages=msgs, options=opts)


def _user(*parts: Any) -> Message:
    return Message(role="user", parts=tuple(parts))


HISTORY = [Message.user("a"), Message.assistant("b"), Message.user("c")]
NAN, INF = float("nan"), float("inf")

# (what is passed to _chat_request, the error class, the field it names)
BAD_CHATS: list[tuple[dict[str, Any], type[Exception], str]] = [
    # options: types and ranges
    ({"temperature": NAN}, InvalidRequestError, "temperature"),
    ({"temperature": INF}, InvalidRequestError, "temperature"),
    ({"temperature": -INF}, InvalidRequestError, "temperature"),
    ({"temperature": -1}, InvalidRequestError, "temperature"),
    ({"temperature": "hot"}, InvalidRequestError, "temperature"),
    ({"temperature": True}, InvalidRequestError, "temperature"),
    ({"temperature": [0.5]}, InvalidRequestError, "temperature"),
    ({"temperature": 10**400}, InvalidRequestError, "temperature"),  # past float's range
    ({"top_p": 2}, InvalidRequestError, "top_p"),
    ({"top_p": -0.1}, InvalidRequestError, "top_p"),
    ({"top_p": NAN}, InvalidRequestError, "top_p"),
    ({"top_p": "all"}, InvalidRequestError, "top_p"),
    ({"max_tokens": 0}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": -1}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": 10**12}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": 10**5000}, InvalidRequestError, "max_tokens"),  # too long for repr()
    ({"max_tokens": "100"}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": True}, InvalidRequestError, "max_tokens"),
    ({"max_tokens": 100.0}, InvalidRequestError, "max_tokens"),
    ({"stop": 123}, InvalidRequestError, "stop"),
    ({"stop": {"a": 1}}, InvalidRequestError, "stop"),
    ({"stop": ["ok", 5]}, InvalidRequestError, "stop[1]"),
    ({"stop": ["ok", ""]}, InvalidRequestError, "stop[1]"),
    ({"seed": "1"}, InvalidRequestError, "seed"),
    ({"seed": 1.5}, InvalidRequestError, "seed"),
    ({"seed": False}, InvalidRequestError, "seed"),
    ({"seed": 2**64}, InvalidRequestError, "seed"),
    ({"reasoning_effort": "max"}, InvalidRequestError, "reasoning_effort"),
    ({"reasoning_effort": 3}, InvalidRequestError, "reasoning_effort"),
    ({"reasoning_budget": -2}, InvalidRequestError, "reasoning_budget"),
    ({"reasoning_budget": "1024"}, InvalidRequestError, "reasoning_budget"),
    ({"reasoning_budget": True}, InvalidRequestError, "reasoning_budget"),
    ({"parallel_tool_calls": "yes"}, InvalidRequestError, "parallel_tool_calls"),
    ({"prompt_cache": 1}, InvalidRequestError, "prompt_cache"),
    ({"include_raw": "yes"}, InvalidRequestError, "include_raw"),
    ({"extra": "x"}, InvalidRequestError, "extra"),
    ({"extra": ["x"]}, InvalidRequestError, "extra"),
    ({"extra": {"a": NAN}}, InvalidRequestError, "extra.a"),
    ({"extra": {"a": [1, {"b": INF}]}}, InvalidRequestError, "extra.a[1].b"),
    ({"extra": {"a": object()}}, InvalidRequestError, "extra.a"),
    ({"extra": {"a": {1, 2}}}, InvalidRequestError, "extra.a"),
    ({"extra": {1: "x"}}, InvalidRequestError, "extra"),
    ({"response_format": "xml"}, InvalidRequestError, "response_format.type"),
    ({"response_format": 5}, InvalidRequestError, "response_format"),
    ({"response_format": {"type": "json_schema"}}, InvalidRequestError, "response_format.schema"),
    ({"response_format": {"type": "json_object", "shape": 1}}, InvalidRequestError,
     "response_format.shape"),
    ({"response_format": {"type": "json_schema", "schema": {"type": "object"}, "name": "has space"}},
     InvalidRequestError, "response_format.name"),
    ({"response_format": {"type": "json_schema", "schema": "object"}}, InvalidRequestError,
     "response_format.schema"),
    ({"temprature": 0.5}, InvalidRequestError, "temprature"),
    ({"options": 5}, InvalidRequestError, "options"),
    ({"options": {"temperature": 1}}, InvalidRequestError, "options"),
    ({"options": {"temperature": 1}, "max_tokens": 5}, InvalidRequestError, "options"),
    # tools and tool_choice
    ({"tools": [{"name": "a"}, {"name": "a"}]}, InvalidRequestError, "tools[1].name"),
    ({"tools": [Tool(name="a"), Tool(name="b"), Tool(name="a")]}, InvalidRequestError, "tools[2].name"),
    ({"tools": [{"name": "a"}], "tool_choice": "b"}, InvalidRequestError, "tool_choice.name"),
    ({"tool_choice": "lookup"}, InvalidRequestError, "tool_choice.name"),
    ({"tool_choice": ToolChoice.tool("lookup")}, InvalidRequestError, "tool_choice.name"),
    ({"tool_choice": 5}, InvalidRequestError, "tool_choice"),
    ({"tools": [{"name": "bad name"}]}, ToolSchemaError, "tools[0].name"),
    ({"tools": [{"name": "ok"}, {"name": "t", "parameters": {"type": "array"}}]}, ToolSchemaError,
     "tools[1].parameters.type"),
    ({"tools": [{"name": "t", "parameters": {"properties": {"x": {"default": NAN}}}}]}, ToolSchemaError,
     "tools[0].parameters.properties.x.default"),
    ({"tools": [{"name": "t", "description": 5}]}, ToolSchemaError, "tools[0].description"),
    ({"tools": [{"name": "t", "colour": "red"}]}, InvalidRequestError, "tools[0].colour"),
    ({"tools": [{}]}, InvalidRequestError, "tools[0].name"),
    ({"tools": ["lookup"]}, InvalidRequestError, "tools[0]"),
    ({"tools": 5}, InvalidRequestError, "tools"),
    ({"tools": {"name": "a"}}, InvalidRequestError, "tools"),
    # the conversation
    ({"messages": None}, InvalidRequestError, "messages"),
    ({"messages": []}, InvalidRequestError, "messages"),
    ({"messages": ()}, InvalidRequestError, "messages"),
    ({"messages": 123}, InvalidRequestError, "messages"),
    ({"messages": b"Hi"}, InvalidRequestError, "messages"),
    ({"messages": {"role": "user", "content": "Hi"}}, InvalidRequestError, "messages"),
    ({"messages": [{"role": "user", "content": "Hi"}]}, InvalidRequestError, "messages[0]"),
    ({"messages": ["Hi"]}, InvalidRequestError, "messages[0]"),
    ({"messages": [*HISTORY, None]}, InvalidRequestError, "messages[3]"),
    ({"messages": [Message(role="bot", parts="Hi")]}, InvalidRequestError, "messages[0].role"),
    ({"messages": [*HISTORY, Message(role="User", parts="Hi")]}, InvalidRequestError,
     "messages[3].role"),
    ({"messages": [Message.user(())]}, InvalidRequestError, "messages[0].parts"),
    ({"messages": [*HISTORY, Message.assistant([])]}, InvalidRequestError, "messages[3].parts"),
    ({"messages": [*HISTORY, _user(TextPart(text=None))]}, InvalidRequestError,
     "messages[3].parts[0].text"),
    ({"messages": [*HISTORY, _user(TextPart(text=None))], "system": "Be brief"},
     InvalidRequestError, "messages[3].parts[0].text"),
    ({"messages": [_user(TextPart(text="a"), TextPart(text=5))]}, InvalidRequestError,
     "messages[0].parts[1].text"),
    ({"messages": [_user(None)]}, InvalidRequestError, "messages[0].parts[0]"),
    ({"messages": [_user({"type": "text", "text": "Hi"})]}, InvalidRequestError, "messages[0].parts[0]"),
    ({"messages": [_user("Hi", "there")]}, InvalidRequestError, "messages[0].parts[0]"),
    ({"messages": [_user(ImagePart(url=5))]}, InvalidRequestError, "messages[0].parts[0].url"),
    ({"messages": [_user(ImagePart(data="AAAA", media_type="image/png"))]}, InvalidRequestError,
     "messages[0].parts[0].data"),
    ({"messages": [Message.tool("c1", {"temp": 12})]}, InvalidRequestError,
     "messages[0].parts[0].content"),
    ({"messages": [Message.tool(None, "12 C")]}, InvalidRequestError,
     "messages[0].parts[0].tool_call_id"),
    ({"messages": [Message(role="tool", parts=(ToolResultPart(tool_call_id="c", content="x",
                                                              is_error="no"),))]},
     InvalidRequestError, "messages[0].parts[0].is_error"),
    ({"messages": [Message.assistant(ToolCallPart(id=None, name="f"))]}, InvalidRequestError,
     "messages[0].parts[0].id"),
    ({"messages": [Message.assistant(ToolCallPart(id="c", name="f", arguments="{}"))]},
     InvalidRequestError, "messages[0].parts[0].arguments"),
    ({"messages": [Message.assistant(ReasoningPart(text=None))]}, InvalidRequestError,
     "messages[0].parts[0].text"),
    ({"messages": "Hi", "system": 5}, InvalidRequestError, "system"),
    ({"messages": "Hi", "system": ["Be brief"]}, InvalidRequestError, "system"),
    # the address
    ({"model": None}, InvalidRequestError, "model"),
    ({"model": 123}, InvalidRequestError, "model"),
    ({"model": ("openai", "gpt-4o")}, InvalidRequestError, "model"),
    ({"model": ""}, UnknownModelError, ""),
    ({"model": "x"}, UnknownModelError, "x"),
    ({"model": "openai/"}, UnknownModelError, "openai/"),
    ({"model": "/gpt-4o"}, UnknownModelError, "/gpt-4o"),
]


@pytest.mark.parametrize(("call", "error", "field"), BAD_CHATS,
                         ids=[f"{i}-{f or 'empty'}" for i, (_, _, f) in enumerate(BAD_CHATS)])
def test_bad_chat_input_is_refused_naming_the_field(call: dict[str, Any], error: type[Exception],
                                                    field: str) -> None:
    with pytest.raises(error) as info:
        _chat_request(**call)
    exc = info.value
    assert type(exc) is error
    assert isinstance(exc, ModelplexError)
    if error is UnknownModelError:  # a ConfigurationError and LookupError; names the address
        assert isinstance(exc, LookupError)
        assert exc.model == field
    else:
        assert isinstance(exc, ValueError)
        assert exc.field == field
        if error is InvalidRequestError:
            assert str(exc).startswith(f"{field}: ")


def test_the_message_names_the_path_and_both_types() -> None:
    with pytest.raises(InvalidRequestError) as info:
        _chat_request(messages=[*HISTORY, _user(TextPart(text=None))])
    assert str(info.value) == "messages[3].parts[0].text: expected str, got NoneType"
    assert (info.value.provider, info.value.model) == (None, None)


def test_a_range_error_shows_the_value() -> None:
    with pytest.raises(InvalidRequestError, match=r"^max_tokens: expected an int from 1 to \d+, got 0$"):
        _chat_request(max_tokens=0)
    with pytest.raises(InvalidRequestError, match=r"^temperature: expected a finite number >= 0, got nan$"):
        _chat_request(temperature=NAN)


# --- what is allowed --------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    {},
    {"temperature": 0, "top_p": 0, "max_tokens": 1, "seed": 0, "reasoning_budget": 0},
    {"temperature": 1.7, "top_p": 1.0, "max_tokens": 64_000, "seed": -5, "reasoning_budget": 32_000},
    {"stop": "END"},
    {"stop": ["a", "b"], "extra": {"logprobs": True, "nested": {"x": [1, 2.5, None, "s"]}}},
    {"temperature": None, "max_tokens": None},  # None leaves the provider's default
    {"response_format": "json_object"},
    {"response_format": {"type": "json_schema", "schema": {"type": "object"}, "name": "out_1"}},
    {"tools": [{"name": "a"}, Tool(name="b")], "tool_choice": "b", "parallel_tool_calls": False},
    {"tools": [{"name": "a"}], "tool_choice": "required"},
    {"tool_choice": "auto"},  # a mode without tools: the provider warns that it was not sent
    {"messages": Message.user([TextPart(text="look"), ImagePart(url="https://example.com/a.png")])},
    {"messages": [Message.user("q"), Message.assistant(ToolCallPart(id="c", name="f")),
                  Message.tool("c", "12 C"), Message.user("")], "system": "Be brief"},
    {"messages": "Hi", "system": ""},
    {"model": "together/meta-llama/Llama-3:8b"},
    {"model": "chain/fast"},
])
def test_good_chat_input_passes(call: dict[str, Any]) -> None:
    request = _chat_request(**call)
    assert request.messages


def test_a_plain_prompt_builds_one_user_message_and_shares_the_empty_options() -> None:
    request = _chat_request("acme/m", "Hi")
    assert request.messages == (Message.user("Hi"),)
    assert request.options is build_options(None, {})
    assert _chat_request(system="Be brief").messages[0] == Message.system("Be brief")


@pytest.mark.parametrize("budget", [0, -1])
def test_reasoning_budgets_with_a_meaning_below_one_are_allowed(budget: int) -> None:
    # Anthropic, Gemini and Ollama read 0 as "do not think", Gemini -1 as "as much as the model
    # decides": a rule of "positive" would refuse both.
    assert _chat_request(reasoning_budget=budget).options.reasoning_budget == budget


# --- construction-time checks of the types --------------------------------------------------------


@pytest.mark.parametrize(("make", "error", "field"), [
    (lambda: ChatOptions(temperature=NAN), InvalidRequestError, "temperature"),
    (lambda: ChatOptions(stop=123), InvalidRequestError, "stop"),
    (lambda: ChatOptions(tools=[{"name": "a"}]), InvalidRequestError, "tools[0]"),
    (lambda: ChatOptions(tool_choice="auto"), InvalidRequestError, "tool_choice"),
    (lambda: ChatOptions(response_format="json_object"), InvalidRequestError, "response_format"),
    (lambda: ChatOptions(extra=None), InvalidRequestError, "extra"),
    (lambda: ChatOptions(max_tokens=0), InvalidRequestError, "max_tokens"),
    (lambda: ResponseFormat(type="yaml"), InvalidRequestError, "response_format.type"),
    (lambda: ResponseFormat(type="json_object", strict="yes"), InvalidRequestError,
     "response_format.strict"),
    (lambda: Tool(name=None), ToolSchemaError, "name"),
    (lambda: Tool(name="t", strict="yes"), ToolSchemaError, "strict"),
    (lambda: ToolChoice(mode="sometimes"), ToolSchemaError, "tool_choice.mode"),
    (lambda: ToolChoice(mode="tool", name=5), ToolSchemaError, "tool_choice.name"),
    (lambda: Message(role="user", parts=None), InvalidRequestError, "parts"),
    (lambda: Message.user(5), InvalidRequestError, "parts"),
    (lambda: Message.user({"text": "Hi"}), InvalidRequestError, "parts"),
    (lambda: ImagePart(), InvalidRequestError, "ImagePart.url"),
    (lambda: ImagePart(data=b"x"), InvalidRequestError, "ImagePart.media_type"),
    (lambda: ChatRequest(model="m", messages=None), InvalidRequestError, "messages"),
    (lambda: EmbedRequest(model="m", inputs=None), InvalidRequestError, "inputs"),
    (lambda: EmbedRequest(model="m", inputs=5), InvalidRequestError, "inputs"),
])
def test_types_refuse_bad_values_when_built(make: Any, error: type[Exception], field: str) -> None:
    with pytest.raises(error) as info:
        make()
    assert type(info.value) is error
    assert isinstance(info.value, ValueError)
    assert info.value.field == field


def test_evolving_options_checks_the_new_values() -> None:
    import attrs

    with pytest.raises(InvalidRequestError, match=r"^top_p: "):
        attrs.evolve(ChatOptions(top_p=0.5), top_p=3)


def test_none_for_a_sequence_option_is_its_empty_default() -> None:
    assert ChatOptions(stop=None, tools=None) == ChatOptions()


# --- embeddings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field"), [
    ({"inputs": []}, "inputs"),
    ({"inputs": ["a", None]}, "inputs[1]"),
    ({"inputs": [b"bytes"]}, "inputs[0]"),
    ({"inputs": [1, 2]}, "inputs[0]"),
    ({"dimensions": 0}, "dimensions"),
    ({"dimensions": -1}, "dimensions"),
    ({"dimensions": "256"}, "dimensions"),
    ({"dimensions": True}, "dimensions"),
    ({"dimensions": 256.0}, "dimensions"),
    ({"task_type": 5}, "task_type"),
    ({"extra": {"x": NAN}}, "extra.x"),
])
def test_bad_embed_requests_are_refused_naming_the_field(fields: dict[str, Any], field: str) -> None:
    request = EmbedRequest(model="m", **{"inputs": ["text"], **fields})
    with pytest.raises(InvalidRequestError) as info:
        check_embed(request)
    assert info.value.field == field


def test_a_bare_string_is_one_input() -> None:
    request = EmbedRequest(model="m", inputs="one text")
    assert request.inputs == ("one text",)
    check_embed(request)


# --- a provider's own ranges -------------------------------------------------------------------------

ANTHROPIC_LIKE = ProviderInfo(spec_version=1, option_ranges={"temperature": (0, 1)},
                              option_limits={"max_tokens": 64_000})


def _request(**options: Any) -> ChatRequest:
    return ChatRequest(model="claude-x", messages=[Message.user("Hi")], options=ChatOptions(**options))


def test_a_value_outside_a_providers_certain_range_is_refused_naming_it() -> None:
    with pytest.raises(InvalidRequestError) as info:
        check_for_provider(_request(temperature=1.5), provider="anthropic", info=ANTHROPIC_LIKE)
    exc = info.value
    assert (exc.field, exc.provider, exc.model) == ("temperature", "anthropic", "claude-x")
    assert str(exc) == "anthropic/claude-x: temperature: anthropic takes 0 to 1, got 1.5"


def test_a_value_above_a_model_dependent_limit_is_sent_with_a_warning() -> None:
    warnings = check_for_provider(_request(max_tokens=100_000), provider="anthropic", info=ANTHROPIC_LIKE)
    assert [(w.code, w.field) for w in warnings] == [("above-known-limit", "max_tokens")]
    assert isinstance(warnings[0], ProviderWarning)
    assert "100000" in warnings[0].message and "64000" in warnings[0].message


@pytest.mark.parametrize("options", [{}, {"temperature": 1}, {"temperature": 0}, {"max_tokens": 64_000},
                                     {"top_p": 1.0, "seed": 7}])
def test_values_within_a_providers_ranges_pass_without_warnings(options: dict[str, Any]) -> None:
    assert check_for_provider(_request(**options), provider="anthropic", info=ANTHROPIC_LIKE) == ()


def test_without_declared_ranges_there_is_nothing_to_check() -> None:
    request = _request(temperature=1.9, max_tokens=10**6)
    assert check_for_provider(request, provider="acme", info=None) == ()
    assert check_for_provider(request, provider="acme", info=ProviderInfo(spec_version=1)) == ()


@pytest.mark.parametrize(("fields", "match"), [
    ({"option_ranges": {"colour": (0, 1)}}, "not a numeric chat option"),
    ({"option_ranges": {"temperature": (1, 0)}}, "low <= high"),
    ({"option_ranges": {"temperature": (0, NAN)}}, "finite"),
    ({"option_ranges": {"temperature": [0, 1]}}, r"\(low, high\)"),
    ({"option_limits": {"max_tokens": "lots"}}, "finite number"),
    ({"option_limits": {"stop": 4}}, "not a numeric chat option"),
])
def test_a_plugin_declaring_bad_ranges_is_a_plugin_error(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(PluginError, match=match):
        ProviderInfo(spec_version=1, **fields)


# --- properties ---------------------------------------------------------------------------------------


@given(mst.chat_requests())
def test_every_well_formed_request_passes(request: ChatRequest) -> None:
    check_chat(request.messages, request.options)
    # the client's way in too: the caller's list of messages and the options as keyword arguments
    assert messages_from(list(request.messages), None) == request.messages
    fields = {a.name: getattr(request.options, a.name) for a in ChatOptions.__attrs_attrs__}
    assert build_options(None, fields) == request.options


@given(mst.chat_requests())
def test_openai_style_ranges_take_every_well_formed_request(request: ChatRequest) -> None:
    info = ProviderInfo(spec_version=1, option_ranges={"temperature": (0, 2), "top_p": (0, 1)})
    assert check_for_provider(request, provider="openai", info=info) == ()


@given(mst.chat_requests())
def test_a_narrower_range_refuses_exactly_what_is_outside_it(request: ChatRequest) -> None:
    temperature = request.options.temperature
    if temperature is not None and temperature > 1:
        with pytest.raises(InvalidRequestError, match="temperature"):
            check_for_provider(request, provider="anthropic", info=ANTHROPIC_LIKE)
    else:
        warnings = check_for_provider(request, provider="anthropic", info=ANTHROPIC_LIKE)
        assert all(w.field == "max_tokens" for w in warnings)


@given(mst.embed_requests())
def test_every_well_formed_embed_request_passes(request: EmbedRequest) -> None:
    check_embed(request)


# Anything a caller might pass by mistake, of every kind.
_ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5), st.binary(max_size=3),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.one_of(st.none(), st.integers(), st.floats()), max_size=2),
    st.builds(object), st.just(math.nan),
)


@given(st.dictionaries(st.sampled_from(sorted(a.name for a in ChatOptions.__attrs_attrs__)), _ANYTHING,
                       max_size=3), _ANYTHING, _ANYTHING)
def test_no_raw_python_error_escapes_for_any_input(options: dict[str, Any], messages: Any,
                                                   system: Any) -> None:
    for call in ({"messages": "Hi", **options}, {"messages": messages, "system": system},
                 {"model": messages}):
        with contextlib.suppress(InvalidRequestError, ToolSchemaError, UnknownModelError):
            _chat_request(**call)


# --- through the synchronous client ---------------------------------------------------------------


@pytest.mark.parametrize(("call", "error", "field"), [
    ({"model": None}, InvalidRequestError, "model"),
    ({"messages": []}, InvalidRequestError, "messages"),
    ({"messages": [Message(role="bot", parts="Hi")]}, InvalidRequestError, "messages[0].role"),
    ({"temperature": NAN}, InvalidRequestError, "temperature"),
    ({"tools": [{"name": "a"}], "tool_choice": "b"}, InvalidRequestError, "tool_choice.name"),
], ids=["model", "messages", "role", "temperature", "tool_choice"])
def test_the_sync_client_refuses_before_the_plugin_sees_the_call(call: dict[str, Any],
                                                                 error: type[Exception], field: str) -> None:
    # The fake plays one turn of its script per call it receives: the good call after the refused ones
    # gets the first turn only if the refused ones never reached it.
    with fake_client([{"text": "first"}, {"text": "second"}]) as client:
        args = {"model": "fake/echo", "messages": "Hi", **call}
        model, messages = args.pop("model"), args.pop("messages")
        with pytest.raises(error) as info:
            client.chat(model, messages, **args)
        with pytest.raises(error), client.stream(model, messages, **args) as stream:
            list(stream)
        assert client.chat("fake/echo", "Hi").text == "first"
    assert info.value.field == field  # type: ignore[attr-defined]


def _parts_of_any_content() -> st.SearchStrategy[Any]:
    """Parts whose fields hold anything (the part types check nothing when built), or not parts at all."""
    return st.one_of(
        st.builds(TextPart, text=_ANYTHING),
        st.builds(ReasoningPart, text=_ANYTHING, signature=_ANYTHING, redacted_data=_ANYTHING),
        st.builds(ToolCallPart, id=_ANYTHING, name=_ANYTHING, arguments=_ANYTHING,
                  raw_arguments=_ANYTHING),
        st.builds(ToolResultPart, tool_call_id=_ANYTHING, content=_ANYTHING, name=_ANYTHING,
                  is_error=_ANYTHING),
        _ANYTHING,
    )


@given(st.lists(st.builds(Message, role=st.sampled_from(("user", "assistant", "tool", "system"))
                          | _ANYTHING, parts=st.lists(_parts_of_any_content(), max_size=3).map(tuple)),
                max_size=3))
def test_no_raw_python_error_escapes_for_any_message(messages: list[Message]) -> None:
    with contextlib.suppress(InvalidRequestError):
        check_chat(messages_from(messages, None), ChatOptions())

