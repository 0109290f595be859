"""The provider contract for ``mistral``, against real recorded Mistral traffic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import FinishReason, Message, Origin, ReasoningPart, TextPart, Tool, Usage
from modelplex.errors import AuthenticationError
from modelplex_testing import Expect, ProviderContract, Recording, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
MISTRAL = FIXTURES / "mistral"
# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format",
         "reasoning_effort")
CODEC = OpenAIChatToolCodec()
SMALL = "mistral-small-latest"
WEATHER_AND_LANGUAGE = ("What's the weather in Berlin (52.5200, 13.4050) and what's the best "
                        "language to learn?")
TWELVE = "What is 12 * 12? Answer with just the number."


def recording(name: str) -> Recording:
    return Recording.load(MISTRAL / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    return CODEC.decode_tools(recording(name).request_body["tools"])


def conversation(name: str) -> list[Message]:
    """The recorded request's messages as canonical ones; the scenario checks they encode back."""
    out = []
    for wire in recording(name).request_body["messages"]:
        if wire["role"] == "tool":
            out.append(Message.tool(wire["tool_call_id"], wire["content"]))
        elif wire["role"] == "assistant":
            calls = [CODEC.decode_tool_call(c) for c in wire.get("tool_calls") or ()]
            out.append(Message.assistant([TextPart(text=wire["content"]), *calls]))
        else:
            out.append(Message(role=wire["role"], parts=wire["content"]))
    return out


def thinking(name: str) -> str:
    """The text of the recorded reply's ``thinking`` chunks, read straight from the recording."""
    rec = recording(name)
    if "body" in rec.response:
        chunks = rec.response["body"]["choices"][0]["message"]["content"]
    else:
        chunks = [c for line in str(rec.response["body_text"]).splitlines()
                  if line.startswith("data: {")
                  for choice in json.loads(line[len("data: "):])["choices"]
                  if isinstance(content := choice["delta"].get("content"), list) for c in content]
    return "".join(p["text"] for c in chunks if c["type"] == "thinking" for p in c["thinking"])


def own(text: str) -> ReasoningPart:
    """Thinking as this plugin's reply from mistral-small-latest carries it."""
    return ReasoningPart(text=text, origin=Origin(provider="mistral", model=SMALL))


# Recording 06's reply, continued in recording 09 with its thinking sent back.
THOUGHT_TURN = [Message.user(TWELVE), Message.assistant([own(thinking("06_thinking_chunks")),
                                                         TextPart(text="144")]),
                Message.user("Now add 10 to that. Answer with just the number.")]


class TestMistralContract(ProviderContract):
    provider = "mistral"
    fixtures = MISTRAL
    settings: ClassVar[dict[str, Any]] = {}  # the default base URL: the recordings' own
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = False  # no recording of a schema reply
    supports_embeddings = False  # no recording of /embeddings
    supports_list_models = False  # no recording of /models
    scenarios = {
        "chat_text": Scenario(
            recording="01_text", model=SMALL, messages=[Message.user("What's 2 + 2?")], compare=EXACT,
            expect=Expect(text="2 + 2 equals **4**.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=23, output=9), model=SMALL)),
        "chat_parallel_tool_calls": Scenario(
            recording="02_parallel_tool_calls", model=SMALL,
            messages=[Message.user(WEATHER_AND_LANGUAGE)],
            options={"tools": recorded_tools("02_parallel_tool_calls")}, compare=EXACT,
            expect=Expect(text="", tool_calls=[("weather", {"latitude": "52.5200",
                                                            "longitude": "13.4050"}),
                                               ("best_language_to_learn", {})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=227, output=36))),
        "chat_tool_result_followup": Scenario(
            recording="03_tool_result_followup", model=SMALL,
            messages=conversation("03_tool_result_followup"),
            options={"tools": recorded_tools("03_tool_result_followup")}, compare=EXACT,
            expect=Expect(text=recording("03_tool_result_followup").response["body"]["choices"][0][
                "message"]["content"], finish_reason=FinishReason.STOP,
                usage=Usage(input=301, output=52))),
        "chat_reasoning": Scenario(
            recording="06_thinking_chunks", model=SMALL, messages=[Message.user(TWELVE)],
            options={"reasoning_effort": "high"}, compare=EXACT,
            expect=Expect(text="144", reasoning=thinking("06_thinking_chunks"),
                          finish_reason=FinishReason.STOP, usage=Usage(input=31, output=66))),
        "stream_text": Scenario(
            recording="04_stream_text", model=SMALL, call="stream",
            messages=[Message.user("Count from 1 to 3")], compare=EXACT,
            expect=Expect(text="1, 2, 3", finish_reason=FinishReason.STOP,
                          usage=Usage(input=22, output=8))),
        "stream_tool_call": Scenario(
            recording="05_stream_tool_call", model=SMALL, call="stream",
            messages=[Message.user("What's the weather in Berlin? (52.5200, 13.4050)")],
            options={"tools": recorded_tools("05_stream_tool_call")}, compare=EXACT,
            expect=Expect(text="", tool_calls=[("weather", {"latitude": "52.5200",
                                                            "longitude": "13.4050"})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=31, cache_read=128, output=28))),
        "stream_reasoning": Scenario(
            recording="07_stream_thinking", model=SMALL, call="stream",
            messages=[Message.user(TWELVE)], options={"reasoning_effort": "high"}, compare=EXACT,
            expect=Expect(reasoning=thinking("07_stream_thinking"),
                          finish_reason=FinishReason.STOP)),
        "chat_thinking_replayed": Scenario(
            recording="09_thinking_replayed", model=SMALL, messages=THOUGHT_TURN,
            options={"reasoning_effort": "high"}, compare=EXACT,
            expect=Expect(text="154", finish_reason=FinishReason.STOP,
                          reasoning=thinking("09_thinking_replayed"), usage=Usage(input=113, output=58))),
        "error_401": Scenario(recording="08_error_401", model=SMALL, messages=[Message.user("Hello")],
                              compare=EXACT, expect=Expect(error=AuthenticationError, status=401)),
    }

    def test_the_thinking_is_read_apart_from_the_answer(self) -> None:
        """The recorded thinking is long and the answer one number: neither leaks into the other."""
        response, _, _ = self.run(self.scenarios["chat_reasoning"])
        assert response.reasoning.startswith("The user is asking for the product of 12")
        assert response.text == "144"
        streamed, _, _ = self.run(self.scenarios["stream_reasoning"])
        assert streamed.reasoning == thinking("07_stream_thinking") != ""
        assert "144" in streamed.text and streamed.reasoning not in streamed.text

    @pytest.mark.feature("reasoning_replay")
    def test_own_thinking_goes_back_as_chunks_and_to_no_other_model(self) -> None:
        """Recording 09: the thinking of 06 sent back as a thinking chunk before the text, exactly;
        to another Mistral model none of it goes, and a warning says so."""
        scn = self.scenarios["chat_thinking_replayed"]
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        self.check_response(scn, response)
        other = Scenario(recording="09_thinking_replayed", model="mistral-large-latest",
                         messages=THOUGHT_TURN, compare=())
        response, replayer, _ = self.run(other)
        assert replayer.sent_json(0)["messages"][1]["content"] == "144"
        assert ("dropped-reasoning", "messages[1]") in {(w.code, w.field) for w in response.warnings}

    def test_the_401_keeps_mistrals_own_message(self) -> None:
        with pytest.raises(AuthenticationError, match="Invalid API Key"):
            self.run(self.scenarios["error_401"])

    def test_sends_the_key_as_a_bearer_token_to_the_default_base_url(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        sent = replayer.sent[0]
        assert str(sent.url) == "https://api.mistral.ai/v1/chat/completions"
        assert sent.headers["authorization"] == "Bearer sk-contract-test-DO-NOT-LEAK-0123456789"
