"""The provider contract for ``deepseek``, against real recorded DeepSeek traffic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import (
    FinishReason,
    Message,
    Origin,
    ReasoningPart,
    TextPart,
    Tool,
    ToolCallPart,
    Usage,
)
from modelplex.errors import AuthenticationError, ContextLengthExceededError
from modelplex_testing import Expect, ProviderContract, Recording, Replayer, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
DEEPSEEK = FIXTURES / "deepseek"
# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format")


def recording(name: str) -> Recording:
    return Recording.load(DEEPSEEK / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    return OpenAIChatToolCodec().decode_tools(recording(name).request_body["tools"])


def recorded_message(name: str) -> dict[str, Any]:
    message: dict[str, Any] = recording(name).response["body"]["choices"][0]["message"]
    return message


def streamed(name: str, field: str) -> str:
    """The concatenated ``delta[field]`` of a recorded stream, read straight from its SSE text."""
    out = []
    for line in str(recording(name).response["body_text"]).splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[len("data: "):])["choices"]:
                out.append(choice["delta"].get(field) or "")
    return "".join(out)


REASONER = "deepseek-reasoner"
DICE_SYSTEM = ("You're a dice game, you should roll the die and see if the number you get back matches "
               "the user's guess. If so, tell them they're a winner. Use the player's name in the "
               "response.")
DEFERRED = ("The following capabilities are deferred and can be loaded using the `load_capability` "
            "tool:\n- DICE_ROLL")
LOAD = ToolCallPart(id="call_00_sXqYgMESDht75NCLLZtt9804", name="load_capability",
                    arguments={"id": "DICE_ROLL"})
SEARCH = ToolCallPart(id="auto_load_eb5fc31bb581b4e7", name="search_tools",
                      arguments={"queries": ["DICE_ROLL"]})
DISCOVERED = ('{"discovered_tools":[{"name":"get_player_name","description":"Get the player\'s name."},'
              '{"name":"roll_dice","description":"Roll a six-sided die and return the result."}]}')


def own(text: str) -> ReasoningPart:
    """Reasoning that deepseek-reasoner produced, as a reply from this plugin carries it."""
    return ReasoningPart(text=text, origin=Origin(provider="deepseek", model=REASONER))


# Recording 03: a thinking-mode tool loop in progress. Both earlier assistant turns made tool calls,
# so both carry their reasoning_content back (the second one's is empty), as DeepSeek requires.
DICE_CONVERSATION = [
    Message.system(DICE_SYSTEM), Message.system(DEFERRED), Message.user("My guess is 4"),
    Message.assistant([own("The user wants to play a dice game. I need to roll a die and compare it "
                           "to the user's guess of 4. But the DICE_ROLL capability is deferred - I "
                           "need to load it first using the `load_capability` tool.\n\nLet me load "
                           "the capability first."),
                       TextPart(text="Let me load the dice rolling capability!"), LOAD]),
    Message.tool(LOAD.id, "{}"),
    Message.assistant([own(""), SEARCH]),
    Message.tool(SEARCH.id, DISCOVERED),
]
MASSIVE = "<MASSIVE_TEXT>"


class TestDeepSeekContract(ProviderContract):
    provider = "deepseek"
    fixtures = DEEPSEEK
    settings: ClassVar[dict[str, Any]] = {}  # the default base URL: the recordings' own
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = False  # JSON Output is json_object only
    supports_embeddings = False
    supports_list_models = True  # no recording of /models: tested in test_deepseek_e2e.py
    scenarios = {
        "chat_text": Scenario(
            recording="01_text", model="deepseek-chat", messages=[Message.user("What's 2 + 2?")],
            compare=EXACT,
            expect=Expect(text="4", finish_reason=FinishReason.STOP, usage=Usage(input=12, output=1),
                          model="deepseek-v4-flash")),
        "chat_reasoning": Scenario(
            recording="02_reasoning_content", model=REASONER,
            messages=[Message.user("How do I cross the street?")], compare=EXACT,
            expect=Expect(text=recorded_message("02_reasoning_content")["content"],
                          reasoning=recorded_message("02_reasoning_content")["reasoning_content"],
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=12, output=374, reasoning=415), model=REASONER)),
        "chat_parallel_tool_calls": Scenario(
            recording="04_parallel_tool_calls", model="deepseek-chat", messages=[Message.user(
                "What's the weather in Berlin (52.5200, 13.4050) and what's the best language to "
                "learn?")],
            options={"tools": recorded_tools("04_parallel_tool_calls")}, compare=EXACT,
            expect=Expect(text="Let me look up both pieces of information for you!",
                          tool_calls=[("weather", {"latitude": "52.5200", "longitude": "13.4050"}),
                                      ("best_language_to_learn", {})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=407, output=94))),
        # The recorded client wrote one tool call's arguments with a space after the colon; this
        # plugin writes compact JSON. test_followup_messages checks the messages with exactly that
        # difference.
        "chat_tool_result_followup": Scenario(
            recording="03_reasoning_parallel_tool_calls", model=REASONER, messages=DICE_CONVERSATION,
            options={"tools": recorded_tools("03_reasoning_parallel_tool_calls"),
                     "tool_choice": "auto"},
            compare=tuple(k for k in EXACT if k != "messages"),
            expect=Expect(text="Let me get your name and roll the die!",
                          reasoning="Great, now I have access to the dice roll tool. Let me first get "
                                    "the player's name and then roll the die.",
                          tool_calls=[("get_player_name", {}), ("roll_dice", {})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=875, output=53, reasoning=26), model="deepseek-v4-flash")),
        "stream_tool_call": Scenario(
            recording="05_stream_tool_call", model="deepseek-chat", call="stream",
            messages=[Message.user("What's the weather in Berlin? (52.5200, 13.4050)")],
            options={"tools": recorded_tools("05_stream_tool_call")}, compare=EXACT,
            expect=Expect(text="", tool_calls=[("weather", {"latitude": "52.5200",
                                                            "longitude": "13.4050"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=348, output=65),
                          model="deepseek-v4-flash")),
        "stream_text": Scenario(
            recording="06_stream_text_with_usage", model="deepseek-chat", call="stream",
            messages=[Message.user("Count from 1 to 3")], compare=EXACT,
            expect=Expect(text="1, 2, 3.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=11, output=8))),
        "stream_reasoning": Scenario(
            recording="07_stream_reasoning_content", model=REASONER, call="stream",
            messages=[Message.user("Hello")], compare=EXACT,
            expect=Expect(text="Hello there! 😊 How can I help you today?",
                          reasoning=streamed("07_stream_reasoning_content", "reasoning_content"),
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=6, output=14, reasoning=198))),
        "error_401": Scenario(recording="08_error_401_authentication", model="deepseek-chat",
                              messages=[Message.user("Hello")],
                              expect=Expect(error=AuthenticationError, status=401)),
        "error_context_length": Scenario(
            recording="09_error_400_context_length_octet_stream", model="deepseek-chat",
            messages=[*[Message(role=role, parts=MASSIVE) for _ in range(5)
                        for role in ("user", "assistant")], Message.user("Hi")],
            compare=EXACT, expect=Expect(error=ContextLengthExceededError, status=400)),
    }

    def test_followup_messages(self) -> None:
        """The follow-up's messages equal the recorded ones, reasoning_content included, with the
        tool-call arguments compared as JSON (the recorded client spaced them differently)."""
        scn = self.scenarios["chat_tool_result_followup"]
        _, replayer, _ = self.run(scn)

        def normal(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = json.loads(json.dumps(messages))
            for message in out:
                for call in message.get("tool_calls") or ():
                    call["function"]["arguments"] = json.loads(call["function"]["arguments"])
            return out

        sent = replayer.sent_json(0)["messages"]
        assert normal(sent) == normal(recording(scn.recording).request_body["messages"])
        assert [m.get("reasoning_content") for m in sent if m["role"] == "assistant"] == [
            recording(scn.recording).request_body["messages"][3]["reasoning_content"], ""]

    def test_context_length_error_keeps_the_message_sent_as_octet_stream(self) -> None:
        scn = self.scenarios["error_context_length"]
        assert recording(scn.recording).content_type == "application/octet-stream"
        with pytest.raises(ContextLengthExceededError) as info:
            self.run(scn)
        assert "maximum context length is 1048565 tokens" in str(info.value)
        assert info.value.code == "invalid_request_error"
        assert str(info.value).startswith("deepseek/deepseek-chat: ")

    def test_the_error_request_matches_the_recording(self) -> None:
        """What was sent for an error is checked too (the contract checks only the error)."""
        scn = self.scenarios["error_context_length"]
        replayer = Replayer(self.recording(scn.recording))
        with pytest.raises(ContextLengthExceededError):
            self.run(scn, replayer)
        self.check_sent(scn, replayer)

    def test_sends_the_key_as_a_bearer_token_to_the_default_base_url(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        sent = replayer.sent[0]
        assert str(sent.url) == "https://api.deepseek.com/chat/completions"
        assert sent.headers["authorization"] == "Bearer sk-contract-test-DO-NOT-LEAK-0123456789"

    def test_reasoning_parts_remember_the_requested_model(self) -> None:
        """The reply names the snapshot that answered; its reasoning is replayed to the model asked."""
        response, _, _ = self.run(self.scenarios["chat_tool_result_followup"])
        assert response.model == "deepseek-v4-flash"
        reasoning = [p for p in response.parts if isinstance(p, ReasoningPart)]
        assert [p.origin for p in reasoning] == [Origin(provider="deepseek", model=REASONER)]
