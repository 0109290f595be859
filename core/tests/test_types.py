"""Validation and helpers of the public value types, and the secrecy of keys and errors."""

from __future__ import annotations

import base64
import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

import modelplex
from modelplex import (
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Origin,
    ReasoningPart,
    ResponseFormat,
    Secret,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    Usage,
)
from modelplex.errors import (
    APIStatusError,
    InvalidRequestError,
    ModelplexError,
    ProviderError,
    RateLimitError,
    ToolError,
    ToolSchemaError,
)
from modelplex_testing import strategies as mst

# --- Tool -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["get_weather", "_private", "a", "A-b-c_9", "x" * 64])
def test_tool_accepts_good_names(name: str) -> None:
    assert Tool(name=name).name == name


@pytest.mark.parametrize(
    "name",
    ["", "9lives", "-dash", ".dot", "a.b", "has space", "a/b", "héllo", "x" * 65, "get_weather\n",
     "get\nweather", "tab\t"],
)
def test_tool_rejects_bad_names(name: str) -> None:
    with pytest.raises(ToolSchemaError) as info:
        Tool(name=name)
    assert info.value.field == "name"
    assert repr(name) in str(info.value)


@given(mst.tool_names())
def test_generated_tool_names_are_accepted(name: str) -> None:
    assert Tool(name=name).name == name


def test_tool_schema_error_is_a_value_error_and_a_modelplex_error() -> None:
    with pytest.raises(ValueError, match="invalid"):
        Tool(name="bad name")
    assert issubclass(ToolSchemaError, ToolError)
    assert issubclass(ToolSchemaError, ModelplexError)


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ([], "parameters"),
        ("object", "parameters"),
        ({"type": "array"}, "parameters.type"),
        ({"type": "string", "properties": {}}, "parameters.type"),
        ({"type": "object", "properties": []}, "parameters.properties"),
        ({"type": "object", "properties": {"x": "string"}}, "parameters.properties.x"),
        ({"type": "object", "properties": {"x": {"type": "str"}}}, "parameters.properties.x.type"),
        ({"type": "object", "properties": {"x": {"type": ["string", "nul"]}}},
         "parameters.properties.x.type"),
        ({"type": "object", "properties": {"city": {"type": "float"}}},
         "parameters.properties.city.type"),
        ({"type": "object", "properties": {}, "required": "x"}, "parameters.required"),
        ({"type": "object", "properties": {}, "required": [1]}, "parameters.required"),
        ({"type": "object", "properties": {}, "required": {"x": True}}, "parameters.required"),
    ],
)
def test_tool_schema_errors_name_the_field(parameters: Any, field: str) -> None:
    with pytest.raises(ToolSchemaError) as info:
        Tool(name="lookup", parameters=parameters)
    assert info.value.field == field
    assert info.value.tool == "lookup"
    assert "lookup" in str(info.value)


@pytest.mark.parametrize(
    "kind",
    ["string", "number", "integer", "boolean", "array", "object", "null", ["string", "null"]],
)
def test_tool_accepts_every_json_type(kind: Any) -> None:
    params = {"type": "object", "properties": {"x": {"type": kind}}, "required": ["x"]}
    assert Tool(name="t", parameters=params).parameters == params


def test_tool_schema_without_type_becomes_an_object() -> None:
    given_schema = {"properties": {"q": {"type": "string"}}, "required": ["q"]}
    tool = Tool(name="search", parameters=given_schema)
    assert tool.parameters == {"type": "object", "properties": {"q": {"type": "string"}},
                               "required": ["q"]}
    assert "type" not in given_schema  # the caller's dict is not changed


def test_tool_default_parameters_take_no_arguments() -> None:
    tool = Tool(name="now")
    assert tool.parameters == {"type": "object", "properties": {}}
    assert tool.description == ""
    assert tool.strict is None


@given(mst.tools())
def test_generated_tools_have_object_schemas(tool: Tool) -> None:
    assert tool.parameters["type"] == "object"
    props = tool.parameters["properties"]
    assert set(tool.parameters.get("required", [])) <= set(props)


# --- ToolChoice -----------------------------------------------------------------------------------


def test_tool_choice_constructors() -> None:
    assert ToolChoice() == ToolChoice.auto() == ToolChoice(mode="auto")
    assert ToolChoice.none() == ToolChoice(mode="none", name=None)
    assert ToolChoice.required().mode == "required"
    choice = ToolChoice.tool("get_weather")
    assert (choice.mode, choice.name) == ("tool", "get_weather")


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "tool"}, {"mode": "auto", "name": "x"}, {"mode": "none", "name": "x"},
     {"mode": "required", "name": "x"}, {"name": "x"}],
)
def test_tool_choice_name_with_mode_tool_and_only_then(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ToolSchemaError) as info:
        ToolChoice(**kwargs)
    assert info.value.field == "tool_choice.name"


# --- ImagePart ------------------------------------------------------------------------------------


def test_image_part_needs_url_or_data() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ImagePart()


def test_image_part_takes_not_both_url_and_data() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ImagePart(url="https://example.com/a.png", data=b"x", media_type="image/png")


@pytest.mark.parametrize("media_type", [None, ""])
def test_image_part_data_needs_a_media_type(media_type: str | None) -> None:
    with pytest.raises(ValueError, match="media_type"):
        ImagePart(data=b"\x89PNG", media_type=media_type)


def test_image_part_data_url() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    part = ImagePart(data=png, media_type="image/png")
    assert part.data_base64() == base64.b64encode(png).decode("ascii")
    assert part.data_url() == "data:image/png;base64,iVBORw0KGgo="
    assert ImagePart(data=b"", media_type="image/gif").data_url() == "data:image/gif;base64,"


def test_image_part_url_is_its_own_data_url() -> None:
    part = ImagePart(url="https://example.com/cat.jpg")
    assert part.data_url() == "https://example.com/cat.jpg"
    with pytest.raises(ValueError, match="URL"):
        part.data_base64()


@given(mst.image_parts())
def test_generated_image_data_urls_decode_to_the_bytes(part: ImagePart) -> None:
    url = part.data_url()
    if part.data is None:
        assert url == part.url
    else:
        head, _, payload = url.partition(",")
        assert head == f"data:{part.media_type};base64"
        assert base64.b64decode(payload) == part.data


# --- ResponseFormat -------------------------------------------------------------------------------


def test_response_format_defaults_to_text() -> None:
    assert ResponseFormat().type == "text"
    assert ResponseFormat(type="json_object").schema is None


def test_response_format_json_schema_needs_a_schema() -> None:
    with pytest.raises(ValueError, match="schema"):
        ResponseFormat(type="json_schema")


@pytest.mark.parametrize("kind", ["text", "json_object"])
def test_response_format_schema_only_with_json_schema(kind: Any) -> None:
    with pytest.raises(ValueError, match="schema"):
        ResponseFormat(type=kind, schema={"type": "object"})


def test_response_format_json_schema() -> None:
    fmt = ResponseFormat(type="json_schema", schema={"type": "object"}, name="out", strict=True)
    assert (fmt.schema, fmt.name, fmt.strict) == ({"type": "object"}, "out", True)


def test_response_format_description_is_optional_text() -> None:
    assert ResponseFormat(type="json_object").description is None
    fmt = ResponseFormat(type="json_schema", schema={"type": "object"}, description="A city.")
    assert fmt.description == "A city."
    with pytest.raises(InvalidRequestError) as info:
        ResponseFormat(type="json_schema", schema={"type": "object"}, description=3)  # type: ignore[arg-type]
    assert info.value.field == "response_format.description"


# --- Usage ----------------------------------------------------------------------------------------


def test_usage_totals_come_from_disjoint_buckets() -> None:
    usage = Usage(input=1, cache_read=2, cache_write=4, output=8, reasoning=16)
    assert usage.total_input == 7
    assert usage.total_output == 24
    assert usage.total == 31
    assert usage.estimated is False


def test_usage_defaults_to_zero() -> None:
    assert Usage().total == 0


def test_usage_add() -> None:
    a = Usage(input=1, cache_read=2, cache_write=3, output=4, reasoning=5)
    b = Usage(input=10, cache_read=20, cache_write=30, output=40, reasoning=50, estimated=True)
    assert a + b == Usage(input=11, cache_read=22, cache_write=33, output=44, reasoning=55,
                          estimated=True)
    assert (a + a).estimated is False


@given(mst.usages(), mst.usages())
def test_usage_add_adds_every_total(a: Usage, b: Usage) -> None:
    s = a + b
    assert s.total == a.total + b.total
    assert s.total_input == a.total_input + b.total_input
    assert s.total_output == a.total_output + b.total_output
    assert s.estimated == (a.estimated or b.estimated)
    assert a + Usage() == a


def test_usage_keeps_cache_writes_by_lifetime() -> None:
    usage = Usage(input=1, cache_write=2, cache_write_1h=4, output=8)
    assert usage.total_cache_write == 6
    assert usage.total_input == 7
    assert usage.total == 15


def test_usage_reported_cost_is_decimal_and_unknown_is_none() -> None:
    assert Usage().reported_cost is None
    assert Usage(reported_cost="0.000123").reported_cost == Decimal("0.000123")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Usage(reported_cost=0.1)  # type: ignore[arg-type]


def test_usage_sum_of_reported_costs() -> None:
    priced = Usage(input=5, reported_cost=Decimal("0.01"))
    assert (priced + Usage(output=3, reported_cost=Decimal("0.02"))).reported_cost == Decimal("0.03")
    # Tokens nobody priced make the sum's cost unknown, never smaller than what was charged.
    assert (priced + Usage(output=3)).reported_cost is None
    assert (Usage(output=3) + priced).reported_cost is None
    assert (Usage() + priced).reported_cost == Decimal("0.01")
    # Summed in the cost engine's context: an application's prec=2 neither rounds nor raises.
    with decimal.localcontext(prec=2, traps=[decimal.Inexact, decimal.Rounded]):
        summed = priced + Usage(output=3, reported_cost=Decimal("0.001234"))
    assert summed.reported_cost == Decimal("0.011234")


def test_usage_reported_cost_round_trips_as_a_string() -> None:
    usage = Usage(input=3, cache_write_1h=2, reported_cost=Decimal("0.0000123"))
    data = modelplex.unstructure(usage)
    assert data["reported_cost"] == "0.0000123"
    assert modelplex.structure(data, Usage) == usage
    with pytest.raises(ValueError, match="reported_cost"):
        modelplex.structure({**data, "reported_cost": 0.5}, Usage)
    with pytest.raises(ValueError, match="reported_cost"):
        modelplex.structure({**data, "reported_cost": "NaN"}, Usage)


# --- ChatResponse and Message ---------------------------------------------------------------------


def _response() -> ChatResponse:
    call = ToolCallPart(id="call_1", name="get_weather", arguments={"city": "Oslo"})
    return ChatResponse(
        provider="fake", model="echo",
        parts=[ReasoningPart(text="Think"), TextPart(text="Hel"), call, ReasoningPart(text="ing"),
               TextPart(text="lo")],
        finish_reason=FinishReason.TOOL_CALLS,
    )


def test_chat_response_helpers() -> None:
    response = _response()
    assert isinstance(response.parts, tuple)
    assert response.text == "Hello"
    assert response.reasoning == "Thinking"
    assert response.tool_calls == (ToolCallPart(id="call_1", name="get_weather",
                                                arguments={"city": "Oslo"}),)
    assert response.message == Message(role="assistant", parts=response.parts)
    assert response.message.role == "assistant"


def test_chat_response_empty() -> None:
    response = ChatResponse(provider="p", model="m")
    assert (response.text, response.reasoning, response.tool_calls) == ("", "", ())
    assert response.finish_reason is FinishReason.STOP
    assert response.usage == Usage()


def test_chat_response_raw_is_not_compared() -> None:
    with_raw = ChatResponse(provider="p", model="m", raw={"a": 1})
    assert with_raw == ChatResponse(provider="p", model="m")


@given(mst.chat_responses())
def test_chat_response_message_keeps_every_part(response: ChatResponse) -> None:
    assert response.message.parts == response.parts
    assert response.message.text == response.text
    assert response.message.tool_calls == response.tool_calls


def test_message_constructors_from_text() -> None:
    for role, make in [("system", Message.system), ("user", Message.user),
                       ("assistant", Message.assistant)]:
        message = make("hi")
        assert message == Message(role=role, parts=(TextPart(text="hi"),))
        assert message.text == "hi"


def test_message_constructors_from_parts() -> None:
    image = ImagePart(url="https://example.com/a.png")
    assert Message.user(image).parts == (image,)
    assert Message.user([TextPart(text="look"), image]).parts == (TextPart(text="look"), image)
    assert Message.user(()).parts == ()


def test_message_tool() -> None:
    message = Message.tool("call_1", "12 C", name="get_weather", is_error=True)
    assert message.role == "tool"
    assert message.parts == (ToolResultPart(tool_call_id="call_1", content="12 C",
                                            name="get_weather", is_error=True),)
    assert Message.tool("c", "x").parts == (ToolResultPart(tool_call_id="c", content="x"),)


def test_message_text_and_tool_calls() -> None:
    call = ToolCallPart(id="c1", name="f", origin=Origin(provider="p", model="m"))
    parts = [TextPart(text="a"), call, ReasoningPart(text="r"), TextPart(text="b")]
    message = Message.assistant(parts)
    assert message.text == "ab"
    assert message.tool_calls == (call,)


def test_tool_call_arguments_default_to_an_empty_object() -> None:
    call = ToolCallPart(id="c", name="f")
    assert call.arguments == {}
    assert call.raw_arguments is None


# --- secrets and errors ---------------------------------------------------------------------------


def test_secret_never_shows_its_value() -> None:
    secret = Secret("sk-abc123456789")
    assert "sk-abc123456789" not in repr(secret)
    assert "sk-abc123456789" not in str(secret)
    assert "abc123456789" not in f"{secret!r} {secret}"
    assert repr(secret) == "Secret('***')"
    assert secret.reveal() == "sk-abc123456789"


def test_secret_truthiness() -> None:
    assert Secret("sk-abc123456789")
    assert not Secret("")


def test_secret_inside_a_value_stays_hidden() -> None:
    settings = modelplex.ProviderSettings(name="acme", plugin="acme",
                                          api_key=Secret("acme-private-key-0000"))
    assert "acme-private-key-0000" not in repr(settings)


def _assert_scrubbed(error: ModelplexError, value: str) -> None:
    for shown in (str(error), repr(error), error.message, *map(str, error.args)):
        assert value not in shown
        assert "***" in shown


def test_provider_error_scrubs_a_known_secret() -> None:
    value = "my-very-private-value-42"
    Secret(value)
    error = ProviderError(f"key {value} was rejected", provider="acme", model="m1")
    _assert_scrubbed(error, value)
    assert str(error) == "acme/m1: key *** was rejected"
    assert repr(error) == "ProviderError('acme/m1: key *** was rejected')"


@pytest.mark.parametrize(
    "value",
    ["sk-AbCdEfGh12345678", "sk-proj-abcdefghijklmnop", "sk-ant-api03-abcdefghij",
     "AIzaSyA1234567890abcdefghijkl", "gsk_abcdefghijklmnop1234"],
)
def test_errors_scrub_key_shaped_strings(value: str) -> None:
    error = ProviderError(f"invalid api key: {value}.", provider="acme")
    _assert_scrubbed(error, value)
    assert str(error) == "acme: invalid api key: ***."


def test_errors_scrub_bearer_tokens() -> None:
    error = ModelplexError("sent Authorization: Bearer abc.DEF-ghi_123456")
    _assert_scrubbed(error, "abc.DEF-ghi_123456")


def test_api_status_error_scrubs_message_and_body() -> None:
    value = "status-secret-value-77"
    Secret(value)
    error = RateLimitError(f"slow down {value}", provider="acme", body=f'{{"key": "{value}"}}',
                           retry_after=2.0)
    _assert_scrubbed(error, value)
    assert error.body == '{"key": "***"}'
    assert (error.status_code, error.retry_after, error.is_retryable) == (429, 2.0, True)
    assert isinstance(error, APIStatusError)


def test_scrubbing_masks_a_secret_that_contains_another_whole() -> None:
    # Whichever order the known secrets are tried in, no tail of the longer one may show.
    short, long = "nestedsecret", "nestedsecret-and-more-9876"
    Secret(short)
    Secret(long)
    error = ModelplexError(f"a={long} b={short}")
    assert str(error) == "a=*** b=***"


def test_short_values_are_not_scrubbed_everywhere() -> None:
    Secret("abc")  # too short to scrub: it would mask ordinary words
    assert str(ModelplexError("abc def")) == "abc def"
