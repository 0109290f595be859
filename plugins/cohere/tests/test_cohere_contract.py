"""Modelplex's provider contract for ``cohere`` against recorded Cohere API v2 traffic (the recordings'
sources are in fixtures/SOURCES.md), and what the recordings show beyond it."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from cohere_helpers import FIXTURES, recorded_tools, recording
from modelplex_cohere.tools import ToolCodec

from modelplex import (
    Citation,
    CitationSource,
    FinishReason,
    Message,
    ReasoningPart,
    Tool,
    ToolCallPart,
    Usage,
)
from modelplex.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ModelNotFoundError,
    RateLimitError,
)
from modelplex_testing import FAKE_KEY, Expect, ProviderContract, Replayer, Scenario

# The request keys a scenario reproduces exactly (where the recording or the plugin has them).
EXACT = ("model", "messages", "tools", "tool_choice", "stream")
PICKLE = [Message.user("I'm Pickle Rick")]
PICKLE_REPLY = ("Hi there! You're Pickle Rick? That's a fun nickname! Do you have a question or would you "
                "like some help with something?")
MAGIC = [Message.system("You are a helpful assistant"),
         Message.user("what is the value of magic_function(3)?")]
MAGIC_TOOLS = {"tools": recorded_tools("03_chat_tool_call")}
MAGIC_CALL = ToolCallPart(id="magic_function_avre629p2czn", name="magic_function", arguments={"input": 3})
MAGIC_PLAN = "I will use the magic_function tool to find the value of magic_function(3)."
SF = [Message.user("What is the weather in San Francisco and what attractions should I visit?")]
SF_TOOLS = {"tools": recorded_tools("06_chat_parallel_tool_calls")}
SF_CALLS = [("weather", {"location": "San Francisco"}), ("cityAttractions", {"city": "San Francisco"})]
ERICK = [Message.user("Erick, 27 years old")]
HELLO = [Message.user("Hello")]
# Recording 05's tool as LangChain meant it: it sent the Python type names "str" and "int", which are no
# JSON Schema types (the canonical Tool refuses them), so its tools are not compared.
PERSON = Tool(name="Person", parameters={"type": "object", "required": ["name", "age"], "properties": {
    "name": {"type": "string", "description": "The name of the person"},
    "age": {"type": "integer", "description": "The age of the person"}}})


def _streamed(name: str, key: str) -> str:
    """What a recorded stream's content deltas carry under ``key`` (``text`` or ``thinking``)."""
    from cohere_helpers import stream_data

    return "".join(e["delta"]["message"]["content"].get(key, "") for e in stream_data(name)
                   if e["type"] == "content-delta")


def _followup() -> list[Message]:
    """Recording 04's conversation: 03's reply (its plan as Cohere's reasoning), then the tool's output."""
    from modelplex import Origin

    plan = ReasoningPart(text=MAGIC_PLAN, origin=Origin(provider="cohere", model="command-a-03-2025"))
    return [*MAGIC, Message.assistant([plan, MAGIC_CALL]), Message.tool(MAGIC_CALL.id, "5")]


class TestCohereContract(ProviderContract):
    provider = "cohere"
    fixtures = FIXTURES
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True  # command-a-reasoning's thinking items: recording 11, test_cohere_parse
    supports_json_schema = True  # response_format with json_schema: no recording, test_cohere_body
    supports_embeddings = True
    supports_list_models = True  # no recording of /v1/models: tested against a loopback server (e2e)
    scenarios: ClassVar[dict[str, Scenario]] = {
        "chat_text": Scenario(
            recording="01_chat_text", model="command-r", messages=PICKLE, compare=EXACT,
            expect=Expect(text=PICKLE_REPLY, finish_reason=FinishReason.STOP, usage=Usage(input=4, output=28),
                          model="command-r")),
        "stream_text": Scenario(
            recording="02_stream_text", model="command-r", call="stream", messages=PICKLE, compare=EXACT,
            expect=Expect(finish_reason=FinishReason.STOP, usage=Usage(input=4, output=69),
                          model="command-r")),
        "chat_tool_call": Scenario(
            recording="03_chat_tool_call", model="command-a-03-2025", messages=MAGIC, options=MAGIC_TOOLS,
            compare=EXACT,
            expect=Expect(tool_calls=[("magic_function", {"input": 3})], reasoning=MAGIC_PLAN,
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=60, output=27))),
        # LangChain replayed the call's arguments as `{"input": 3}` where Cohere sent `{"input":3}`: the
        # messages are compared as JSON in test_followup_messages_are_the_recorded_ones.
        "chat_tool_result_followup": Scenario(
            recording="04_chat_tool_result_followup", model="command-a-03-2025", messages=_followup(),
            options=MAGIC_TOOLS, compare=("model", "tools", "tool_choice", "stream"),
            expect=Expect(text="The value of magic_function(3) is 5.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=83, output=13))),
        "stream_tool_call": Scenario(
            recording="05_stream_tool_call", model="command-r", call="stream", messages=ERICK,
            options={"tools": [PERSON], "temperature": 0.0}, compare=("model", "messages", "stream"),
            expect=Expect(tool_calls=[("Person", {"name": "Erick", "age": 27})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=23, output=41))),
        "chat_parallel_tool_calls": Scenario(
            recording="06_chat_parallel_tool_calls", model="command-r-plus", messages=SF, options=SF_TOOLS,
            compare=EXACT, expect=Expect(tool_calls=SF_CALLS, finish_reason=FinishReason.TOOL_CALLS,
                                         usage=Usage(input=119, output=52))),
        "stream_parallel_tool_calls": Scenario(
            recording="07_stream_parallel_tool_calls", model="command-r-plus", call="stream", messages=SF,
            options=SF_TOOLS, compare=EXACT,
            expect=Expect(tool_calls=SF_CALLS, finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=119, output=44))),
        "chat_reasoning": Scenario(
            recording="11_chat_thinking_tool_call", model="command-a-reasoning-08-2025",
            messages=[Message.user("Can you get the weather for the city that is the 2nd largest city of the "
                                   "land of the rising sun?")],
            options={"tools": recorded_tools("11_chat_thinking_tool_call"), "temperature": 0.3},
            compare=EXACT,
            expect=Expect(reasoning=recording("11_chat_thinking_tool_call").response["body"]["message"][
                "content"][0]["thinking"], finish_reason=FinishReason.TOOL_CALLS)),
        "stream_reasoning": Scenario(
            recording="20_stream_thinking", model="command-a-reasoning-08-2025", call="stream",
            messages=[Message.user("What is 2 + 2?")], compare=EXACT,
            expect=Expect(reasoning=_streamed("20_stream_thinking", "thinking"),
                          text=_streamed("20_stream_thinking", "text"), finish_reason=FinishReason.STOP,
                          usage=Usage(input=8, output=50))),
        "embed": Scenario(
            recording="12_embed", model="embed-english-v3.0", call="embed",
            inputs=["sunny day at the beach", "rainy day in the city"],
            options={"task_type": "search_query", "truncate": "END"},
            compare=("model", "texts", "input_type", "embedding_types", "truncate"),
            expect=Expect(vectors=2, dimensions=5)),
        "error_401": Scenario(recording="16_error_401", model="command-r", messages=HELLO, compare=EXACT,
                              expect=Expect(error=AuthenticationError, status=401)),
        "error_429": Scenario(recording="17_error_429", model="command-r", messages=HELLO, compare=EXACT,
                              expect=Expect(error=RateLimitError, status=429)),
        "error_400_too_many_tokens": Scenario(
            recording="18_error_400_too_many_tokens", model="command-r", messages=HELLO, compare=EXACT,
            expect=Expect(error=ContextLengthExceededError, status=400)),
        "error_404": Scenario(recording="19_error_404_model", model="command-r-nope", messages=HELLO,
                              compare=EXACT, expect=Expect(error=ModelNotFoundError, status=404)),
    }

    # -- the wire --------------------------------------------------------------------------------
    def test_the_key_is_a_bearer_token_and_the_routes_are_v2(self) -> None:
        for name in ("chat_text", "stream_text", "embed"):
            _, replayer, _ = self.run(self.scenarios[name])
            sent = replayer.sent[0]
            assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
            assert FAKE_KEY not in str(sent.url)
        assert str(replayer.sent[0].url) == "https://api.cohere.com/v2/embed"

    @pytest.mark.parametrize("name", ["error_401", "error_429", "error_400_too_many_tokens", "error_404"])
    def test_error_requests_are_the_recorded_ones(self, name: str) -> None:
        scn = self.scenarios[name]
        replayer = Replayer(self.recording(scn.recording))
        with pytest.raises(scn.expect.error or Exception):
            self.run(scn, replayer)
        self.check_sent(scn, replayer)

    def test_errors_name_the_provider_and_keep_coheres_message(self) -> None:
        with pytest.raises(AuthenticationError, match="invalid api token") as auth:
            self.run(self.scenarios["error_401"])
        assert auth.value.provider == "cohere" and not auth.value.is_retryable
        with pytest.raises(RateLimitError, match="per minute request limit") as limit:
            self.run(self.scenarios["error_429"])
        assert limit.value.is_retryable and "cohere/command-r" in str(limit.value)
        with pytest.raises(ModelNotFoundError) as missing:
            self.run(self.scenarios["error_404"])
        assert missing.value.model == "command-r-nope"

    def test_followup_messages_are_the_recorded_ones(self) -> None:
        """The tool plan goes back as `tool_plan`, the result as a document; the arguments differ only in
        LangChain's spacing."""
        _, replayer, _ = self.run(self.scenarios["chat_tool_result_followup"])
        sent = replayer.sent_json(0)["messages"]
        recorded = recording("04_chat_tool_result_followup").request_body["messages"]
        for messages in (sent, recorded):
            for call in messages[2]["tool_calls"]:
                call["function"]["arguments"] = json.loads(call["function"]["arguments"])
        assert sent == recorded

    def test_the_reply_of_03_answered_gives_the_request_of_04(self) -> None:
        response, _, _ = self.run(self.scenarios["chat_tool_call"])
        (call,) = response.tool_calls
        conversation = [*MAGIC, response.message, Message.tool(call.id, "5")]
        scn = self.scenarios["chat_tool_result_followup"]
        import attrs

        result, replayer, _ = self.run(attrs.evolve(scn, messages=conversation))
        assert result.text == "The value of magic_function(3) is 5."
        assert replayer.sent_json(0)["messages"][2]["tool_plan"] == MAGIC_PLAN

    def test_citations_of_a_tool_output_are_kept(self) -> None:
        response, _, _ = self.run(self.scenarios["chat_tool_result_followup"])
        assert response.citations == (Citation(text="5.", start=34, end=36, kind="TEXT_CONTENT", sources=[
            CitationSource(kind="tool", id="magic_function_avre629p2czn:0")]),)
        assert response.text[34:36] == "5."

    # -- streams ---------------------------------------------------------------------------------
    def test_streamed_plan_and_call_equal_the_recorded_events(self) -> None:
        response, _, events = self.run(self.scenarios["stream_tool_call"])
        (call,) = response.tool_calls
        assert call.id == "Person_8ab0ws5ycmpx" or call.id.startswith("Person_")
        plan = "".join(e["delta"]["message"]["tool_plan"] for e in _stream("05_stream_tool_call")
                       if e["type"] == "tool-plan-delta")
        assert response.reasoning == plan
        kinds = [type(e).__name__ for e in events]
        assert kinds[0] == "ResponseStarted" and kinds[-2:] == ["UsageReported", "Finished"]
        assert kinds.count("ToolCallStarted") == kinds.count("ToolCallEnded") == 1

    def test_the_done_line_after_message_end_is_no_error(self) -> None:
        assert recording("02_stream_text").response["body_text"].endswith("data: [DONE]\n\n")
        response, _, _ = self.run(self.scenarios["stream_text"])
        text = "".join(e["delta"]["message"]["content"]["text"] for e in _stream("02_stream_text")
                       if e["type"] == "content-delta")
        assert response.text == text and response.raw_finish_reason == "COMPLETE"

    def test_parallel_calls_keep_their_own_ids(self) -> None:
        whole, _, _ = self.run(self.scenarios["chat_parallel_tool_calls"])
        streamed, _, _ = self.run(self.scenarios["stream_parallel_tool_calls"])
        assert [c.id for c in whole.tool_calls] == ["weather_dqgshstja6p9", "cityAttractions_dcxfx4myvx68"]
        assert [c.id for c in streamed.tool_calls] == ["weather_e8p4pn45zt0t", "cityAttractions_pyxssbwnq9fq"]

    def test_embedding_values_and_billed_tokens(self) -> None:
        response, _, _ = self.run(self.scenarios["embed"])
        body = recording("12_embed").response["body"]
        assert [list(v) for v in response.vectors] == body["embeddings"]["float"]
        assert response.usage == Usage(input=10) and response.warnings == ()


def _stream(name: str) -> list[dict[str, Any]]:
    from cohere_helpers import stream_data

    return stream_data(name)


def test_the_codec_is_the_clients() -> None:
    import modelplex

    with modelplex.Client(config_file=False, env={}, providers={"cohere": {"api_key": "k"}}) as client:
        assert isinstance(client.tool_codec("cohere"), ToolCodec)
