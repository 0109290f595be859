"""The provider contract for ``anthropic`` against real recorded Messages API traffic, and what the
recordings show beyond it: the exact request bodies of the error cases, the headers, streamed calls
equal to the whole ones a follow-up replays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from modelplex_anthropic.tools import AnthropicToolCodec

from modelplex import FinishReason, Message, ReasoningPart, TextPart, Tool, ToolCallPart, Usage
from modelplex.errors import AuthenticationError, ContextLengthExceededError, ModelNotFoundError
from modelplex_testing import FAKE_KEY, Expect, ProviderContract, Recording, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
EXACT = ("model", "system", "messages", "tools", "tool_choice", "max_tokens", "thinking", "stream",
         "temperature")


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    return AnthropicToolCodec().decode_tools(recording(name).request_body["tools"])


FAMILY = "Alice, Bob, Charlie and Daisy are a family. Who is the youngest?"
FAMILY_SYSTEM = recording("02_parallel_tool_use").request_body["system"]
FAMILY_CALLS = [ToolCallPart(id=i, name="retrieve_entity_info", arguments={"name": n}) for i, n in [
    ("toolu_0167cfEnoQaPviGdVXA95zcu", "Alice"), ("toolu_01EEe2V5HD1Ac4rKiUR4HD2T", "Bob"),
    ("toolu_01XFyAjstT3966qvRynZyVPo", "Charlie"), ("toolu_013mnQZbgtK2oe3Mo3XKJsx3", "Daisy")]]
FAMILY_INTRO = ("I'll help you find out who is the youngest by retrieving information about each "
                "family member. I'll retrieve their entity information to compare their ages.")
FAMILY_RESULTS = ["alice is bob's wife", "bob is alice's husband", "charlie is alice's son",
                  "daisy is bob's daughter and charlie's younger sister"]
BERLIN = "What's the weather in Berlin? (52.5200, 13.4050)"
BERLIN_CALL = ToolCallPart(id="toolu_01MKSN7NHsBVKr7Jvw5pqCQq", name="weather",
                           arguments={"latitude": "52.5200", "longitude": "13.4050"})
BERLIN_RESULT = "Current weather at 52.5200, 13.4050: 15°C, Wind: 10 km/h"
PELICAN_THINKING = (
    "The user wants two names for a pet pelican, and they want me to be brief. I'll suggest two names "
    "that would suit a pelican well.\n\nSome good options:\n- Pelé (play on pelican)\n- Pouch "
    "(referencing their bill pouch)\n- Captain Beak\n- Squirt\n- Scoop\n- Wing\n\nLet me give two "
    "brief, catchy names:")
COUNTRY_THINKING = recording("04_thinking_then_tool_use").response["body"]["content"][0]["thinking"]


def _massive() -> list[Message]:
    turns = [Message.user("<MASSIVE_TEXT>") if i % 2 == 0 else Message.assistant("<MASSIVE_TEXT>")
             for i in range(10)]
    return [*turns, Message.user("Hi")]


class TestAnthropicContract(ProviderContract):
    provider = "anthropic"
    fixtures = FIXTURES
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_list_models = True  # no recording of /v1/models: tested in test_anthropic_e2e.py
    scenarios = {
        "chat_text": Scenario(
            recording="01_text", model="claude-3-opus-latest",
            messages=[Message.system("You are a helpful assistant.\n\n"),
                      Message.user("What is the capital of France?")],
            options={"max_tokens": 4096}, compare=EXACT,
            expect=Expect(text="The capital of France is Paris.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=20, output=10), model="claude-3-opus-20240229")),
        "chat_parallel_tool_calls": Scenario(
            recording="02_parallel_tool_use", model="claude-haiku-4-5",
            messages=[Message.system(FAMILY_SYSTEM), Message.user(FAMILY)],
            options={"tools": recorded_tools("02_parallel_tool_use"), "tool_choice": "auto",
                     "max_tokens": 4096}, compare=EXACT,
            expect=Expect(text=FAMILY_INTRO, finish_reason=FinishReason.TOOL_CALLS,
                          tool_calls=[(c.name, c.arguments) for c in FAMILY_CALLS],
                          usage=Usage(input=423, output=202), model="claude-haiku-4-5-20251001")),
        "chat_tool_result_followup": Scenario(
            recording="03_tool_result_followup", model="claude-haiku-4-5",
            messages=[Message.system(FAMILY_SYSTEM), Message.user(FAMILY),
                      Message.assistant([TextPart(text=FAMILY_INTRO), *FAMILY_CALLS]),
                      *[Message.tool(c.id, r) for c, r in zip(FAMILY_CALLS, FAMILY_RESULTS,
                                                                strict=True)]],
            options={"tools": recorded_tools("03_tool_result_followup"), "tool_choice": "auto",
                     "max_tokens": 4096}, compare=EXACT,
            expect=Expect(text=recording("03_tool_result_followup").response["body"]["content"][0][
                "text"], finish_reason=FinishReason.STOP, usage=Usage(input=771, output=77))),
        "chat_tool_call": Scenario(
            recording="04_thinking_then_tool_use", model="claude-sonnet-4-0",
            messages=[Message.user("What is the largest city in the user country?")],
            options={"tools": recorded_tools("04_thinking_then_tool_use"), "tool_choice": "auto",
                     "max_tokens": 4096, "reasoning_budget": 3000}, compare=EXACT,
            expect=Expect(tool_calls=[("get_user_country", {})], finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=398, output=155), model="claude-sonnet-4-20250514")),
        "chat_reasoning": Scenario(
            recording="04_thinking_then_tool_use", model="claude-sonnet-4-0",
            messages=[Message.user("What is the largest city in the user country?")],
            options={"tools": recorded_tools("04_thinking_then_tool_use"), "tool_choice": "auto",
                     "max_tokens": 4096, "reasoning_budget": 3000}, compare=EXACT,
            expect=Expect(reasoning=COUNTRY_THINKING, text="I'll help you find the largest city in your "
                          "country. First, let me determine which country you're from.")),
        "stream_tool_call": Scenario(
            recording="05_stream_tool_use_input_json_delta", model="claude-haiku-4-5-20251001",
            call="stream", messages=[Message.user(BERLIN)],
            options={"tools": recorded_tools("05_stream_tool_use_input_json_delta")}, compare=EXACT,
            expect=Expect(tool_calls=[(BERLIN_CALL.name, BERLIN_CALL.arguments)], text="",
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=633, output=75),
                          model="claude-haiku-4-5-20251001")),
        # The recording's client sent the tool result as a list of text blocks without is_error;
        # this plugin sends a string with is_error (as recording 03 shows Anthropic taking).
        # test_stream_text_messages checks the messages with exactly that difference.
        "stream_text": Scenario(
            recording="06_stream_text_after_tool_result", model="claude-haiku-4-5-20251001",
            call="stream", messages=[Message.user(BERLIN), Message.assistant(BERLIN_CALL),
                                     Message.tool(BERLIN_CALL.id, BERLIN_RESULT)],
            options={"tools": recorded_tools("06_stream_text_after_tool_result")},
            compare=tuple(k for k in EXACT if k != "messages"),
            expect=Expect(text="The weather in Berlin is currently:\n- **Temperature:** 15°C\n- "
                          "**Wind:** 10 km/h\n\nIt's relatively mild with a light breeze. Perfect for "
                          "a walk around the city!", finish_reason=FinishReason.STOP,
                          usage=Usage(input=748, output=49), tool_calls=[])),
        "stream_parallel_tool_calls": Scenario(
            recording="07_stream_two_parallel_tool_use", model="claude-haiku-4-5-20251001",
            call="stream", messages=[Message.user("Two names for a pet pelican")],
            options={"tools": [Tool(name="pelican_name_generator")], "max_tokens": 8192,
                     "temperature": 1.0}, compare=EXACT,
            expect=Expect(tool_calls=[("pelican_name_generator", {})] * 2,
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=542, output=62))),
        "stream_reasoning": Scenario(
            recording="08_stream_thinking", model="claude-haiku-4-5-20251001", call="stream",
            messages=[Message.user("Two names for a pet pelican, be brief")],
            options={"reasoning_budget": 1024, "max_tokens": 8192, "temperature": 1.0}, compare=EXACT,
            expect=Expect(reasoning=PELICAN_THINKING, text="1. **Pouch** - references their iconic "
                          "bill pouch\n2. **Pelé** - playful take on \"pelican\"",
                          finish_reason=FinishReason.STOP, usage=Usage(input=46, output=133))),
        "error_401": Scenario(recording="09_error_401_authentication",
                              model="claude-haiku-4-5-20251001", messages=[Message.user("Hello")],
                              compare=EXACT, expect=Expect(error=AuthenticationError, status=401)),
        "error_400": Scenario(recording="10_error_400_prompt_too_long",
                              model="claude-haiku-4-5-20251001", messages=_massive(), compare=EXACT,
                              expect=Expect(error=ContextLengthExceededError, status=400)),
        "error_404": Scenario(recording="11_error_404_not_found", model="claude-sonet-4-5",
                              messages=[Message.user("hello")], options={"max_tokens": 4096},
                              compare=EXACT, expect=Expect(error=ModelNotFoundError, status=404)),
    }

    @pytest.mark.parametrize("name", ["error_401", "error_400", "error_404"])
    def test_error_requests_equal_the_recorded_ones(self, name: str) -> None:
        scn = self.scenarios[name]
        from modelplex_testing import Replayer

        replayer = Replayer(self.recording(scn.recording))
        with pytest.raises(scn.expect.error or Exception):
            self.run(scn, replayer)
        self.check_sent(scn, replayer)

    def test_error_messages_are_the_providers(self) -> None:
        with pytest.raises(ContextLengthExceededError) as info:
            self.run(self.scenarios["error_400"])
        assert "prompt is too long: 3333404 tokens > 200000 maximum" in str(info.value)
        assert "anthropic/claude-haiku-4-5-20251001" in str(info.value)
        assert info.value.code == "invalid_request_error"
        with pytest.raises(ModelNotFoundError) as missing:
            self.run(self.scenarios["error_404"])
        assert missing.value.model == "claude-sonet-4-5" and "model: claude-sonet-4-5" in str(missing.value)
        assert not missing.value.is_retryable

    def test_sends_key_version_and_no_beta_header(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        sent = replayer.sent[0]
        assert sent.headers["x-api-key"] == FAKE_KEY
        assert sent.headers["anthropic-version"] == "2023-06-01"
        assert "anthropic-beta" not in sent.headers and "authorization" not in sent.headers
        assert str(sent.url) == "https://api.anthropic.com/v1/messages"

    def test_stream_text_messages(self) -> None:
        """The follow-up's messages equal the recorded ones but for the tool result's shape."""
        scn = self.scenarios["stream_text"]
        _, replayer, _ = self.run(scn)
        sent = replayer.sent_json(0)["messages"]
        recorded = recording(scn.recording).request_body["messages"]
        assert sent[:2] == recorded[:2]
        result = recorded[2]["content"][0]
        assert sent[2] == {"role": "user", "content": [{
            "type": "tool_result", "tool_use_id": result["tool_use_id"],
            "content": result["content"][0]["text"], "is_error": False}]}

    def test_streamed_call_equals_the_one_the_followup_replays(self) -> None:
        """Stream 05's assembled call is the call the follow-up request (06) sends back verbatim."""
        response, _, events = self.run(self.scenarios["stream_tool_call"])
        wire = recording("06_stream_text_after_tool_result").request_body["messages"][1]["content"][0]
        assert response.tool_calls == (AnthropicToolCodec().decode_tool_call(wire),) == (BERLIN_CALL,)
        assert [type(e).__name__ for e in events].count("ToolCallDelta") == 6  # the empty one is not sent

    def test_reasoning_keeps_signature_and_origin(self) -> None:
        whole, _, _ = self.run(self.scenarios["chat_reasoning"])
        block = recording("04_thinking_then_tool_use").response["body"]["content"][0]
        first = whole.parts[0]
        assert isinstance(first, ReasoningPart) and first.signature == block["signature"]
        assert (first.origin.provider, first.origin.model) == ("anthropic", "claude-sonnet-4-0")  # type: ignore[union-attr]
        streamed, _, _ = self.run(self.scenarios["stream_reasoning"])
        body = recording("08_stream_thinking").response["body_text"]
        signature = body.split('"signature_delta","signature":"')[1].split('"')[0]
        reasoning = [p for p in streamed.parts if isinstance(p, ReasoningPart)]
        assert [(p.text, p.signature, p.origin.model) for p in reasoning] == [  # type: ignore[union-attr]
            (PELICAN_THINKING, signature, "claude-haiku-4-5-20251001")]
        assert [type(p).__name__ for p in streamed.parts] == ["ReasoningPart", "TextPart"]

    def test_parallel_stream_calls_have_their_own_ids(self) -> None:
        response, _, events = self.run(self.scenarios["stream_parallel_tool_calls"])
        assert [c.id for c in response.tool_calls] == ["toolu_01LtHJmixrs9NcWQkK8hu8hj",
                                                       "toolu_01N8a4jWyf116qKTMqKKmjyt"]
        started = [(e.index, e.id) for e in events if type(e).__name__ == "ToolCallStarted"]  # type: ignore[union-attr]
        assert started == [(0, "toolu_01LtHJmixrs9NcWQkK8hu8hj"), (1, "toolu_01N8a4jWyf116qKTMqKKmjyt")]

    def test_ids_and_resolved_models(self) -> None:
        response, _, events = self.run(self.scenarios["stream_parallel_tool_calls"])
        assert response.id == "msg_01V2noLbAb2NgKnjaNw6Cn3w"
        assert type(events[0]).__name__ == "ResponseStarted"
        whole: Any = self.run(self.scenarios["chat_text"])[0]
        assert whole.id == "msg_01Fg1JVgvCYUHWsxrj9GkpEv" and whole.raw_finish_reason == "end_turn"
