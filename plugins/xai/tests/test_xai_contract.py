"""The provider contract for ``xai``, against real recorded xAI traffic."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import FinishReason, Message, Origin, ReasoningPart, TextPart, Tool, Usage
from modelplex.errors import AuthenticationError
from modelplex_testing import Expect, ProviderContract, Recording, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
XAI = FIXTURES / "xai"
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format",
         "reasoning_effort")
CODEC = OpenAIChatToolCodec()
GROK = "grok-4.3"
FAST = "grok-4-1-fast-non-reasoning"
MIRROR = ("If a magic mirror shows your future self, but only if you ask a question it cannot answer "
          "truthfully, what question do you ask to see your future, and what would the mirror reveal "
          "about the answer it gives?")


def recording(name: str) -> Recording:
    return Recording.load(XAI / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    return CODEC.decode_tools(recording(name).request_body["tools"])


def recorded_message(name: str) -> dict[str, Any]:
    message: dict[str, Any] = recording(name).response["body"]["choices"][0]["message"]
    return message


def conversation(name: str) -> list[Message]:
    """The recorded request's messages as canonical ones (an assistant's recorded reasoning as the
    reasoning part this plugin's reply gave it)."""
    out = []
    for wire in recording(name).request_body["messages"]:
        if wire["role"] == "tool":
            out.append(Message.tool(wire["tool_call_id"], wire["content"]))
        elif wire["role"] == "assistant":
            reasoning = [ReasoningPart(text=wire["reasoning_content"],
                                       origin=Origin(provider="xai", model=GROK))
                         ] if wire.get("reasoning_content") else []
            calls = [CODEC.decode_tool_call(c) for c in wire.get("tool_calls") or ()]
            out.append(Message.assistant([*reasoning, TextPart(text=wire["content"]), *calls]))
        else:
            out.append(Message(role=wire["role"], parts=wire["content"]))
    return out


def recorded_usage(name: str) -> dict[str, Any]:
    """The ``usage`` object of a recorded reply (of the last chunk that has one, in a stream)."""
    rec = recording(name)
    if "body" in rec.response:
        usage: dict[str, Any] = rec.response["body"]["usage"]
        return usage
    return [json.loads(line[len("data: "):]) for line in str(rec.response["body_text"]).splitlines()
            if '"usage"' in line][-1]["usage"]


def cost(name: str) -> Decimal:
    """What xAI said the recorded call cost: ``cost_in_usd_ticks``, a tick being 1e-10 US dollar."""
    return Decimal(recorded_usage(name)["cost_in_usd_ticks"]) / Decimal(10) ** 10


def streamed(name: str, field: str) -> str:
    """The concatenated ``delta[field]`` of a recorded stream, read straight from its SSE text."""
    out = []
    for line in str(recording(name).response["body_text"]).splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[len("data: "):])["choices"]:
                out.append(choice["delta"].get(field) or "")
    return "".join(out)


class TestXAIContract(ProviderContract):
    provider = "xai"
    fixtures = XAI
    settings: ClassVar[dict[str, Any]] = {}  # the default base URL: the recordings' own
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = False  # no recording of a schema reply
    supports_embeddings = False
    supports_list_models = False  # no recording of /models
    scenarios = {
        # reasoning_tokens beside completion_tokens: 137 + 1 + 116 = 254 billed.
        "chat_text": Scenario(
            recording="01_text_reasoning", model=GROK, messages=[Message.user("What's 2 + 2?")],
            compare=EXACT,
            expect=Expect(text="4", reasoning=recorded_message("01_text_reasoning")["reasoning_content"],
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=9, cache_read=128, output=1, reasoning=116,
                                      reported_cost=cost("01_text_reasoning")), model=GROK)),
        "chat_parallel_tool_calls": Scenario(
            recording="02_parallel_tool_calls", model=FAST, messages=[Message.user(
                "What's the weather in Berlin (52.5200, 13.4050) and what's the best language to "
                "learn?")],
            options={"tools": recorded_tools("02_parallel_tool_calls")}, compare=EXACT,
            expect=Expect(text="", tool_calls=[("weather", {"latitude": "52.5200",
                                                            "longitude": "13.4050"}),
                                               ("best_language_to_learn", {})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=303, cache_read=158, output=58,
                                      reported_cost=cost("02_parallel_tool_calls")))),
        "chat_tool_result_followup": Scenario(
            recording="03_tool_result_followup", model=FAST,
            messages=conversation("03_tool_result_followup"),
            options={"tools": recorded_tools("03_tool_result_followup")}, compare=EXACT,
            expect=Expect(text=recorded_message("03_tool_result_followup")["content"],
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=99, cache_read=461, output=37,
                                      reported_cost=cost("03_tool_result_followup")))),
        # The recorded client sent its reasoning back; xAI ignores it and this plugin does not send
        # it: the messages are compared without it in test_followup_sends_no_reasoning.
        "chat_reasoning": Scenario(
            recording="06_reasoning_followup", model=GROK,
            messages=conversation("06_reasoning_followup"), options={"reasoning_effort": "medium"},
            compare=tuple(k for k in EXACT if k != "messages"),
            expect=Expect(text="16 \n\n\\confidence{100}", reasoning="The conversation history:\n",
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=334, cache_read=128, output=7, reasoning=161,
                                      reported_cost=cost("06_reasoning_followup")))),
        "stream_reasoning": Scenario(
            recording="04_stream_reasoning", model=GROK, call="stream", messages=[Message.user(MIRROR)],
            options={"reasoning_effort": "medium"}, compare=EXACT,
            expect=Expect(text=streamed("04_stream_reasoning", "content"),
                          reasoning=streamed("04_stream_reasoning", "reasoning_content"),
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=45, cache_read=128, output=235, reasoning=3197,
                                      reported_cost=cost("04_stream_reasoning")))),
        "stream_tool_call": Scenario(
            recording="05_stream_tool_call", model=FAST, call="stream",
            messages=[Message.user("What's the weather in Berlin? (52.5200, 13.4050)")],
            options={"tools": recorded_tools("05_stream_tool_call")}, compare=EXACT,
            expect=Expect(text="", tool_calls=[("weather", {"latitude": "52.5200",
                                                            "longitude": "13.4050"})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=259, cache_read=158, output=40,
                                      reported_cost=cost("05_stream_tool_call")))),
        "error_invalid_key": Scenario(
            recording="07_error_400_invalid_api_key", model=GROK, messages=[Message.user("Hello")],
            compare=EXACT, expect=Expect(error=AuthenticationError)),
    }

    @pytest.mark.feature("reasoning_replay", unsupported="the xai plugin sends no reasoning back")
    def test_followup_sends_no_reasoning(self) -> None:
        """The follow-up's messages are the recorded ones less the reasoning the Ruby client sent."""
        scn = self.scenarios["chat_reasoning"]
        _, replayer, _ = self.run(scn)
        recorded = [{k: v for k, v in m.items() if k not in ("reasoning", "reasoning_content")}
                    for m in recording(scn.recording).request_body["messages"]]
        assert replayer.sent_json(0)["messages"] == recorded

    @pytest.mark.parametrize("name", ["01_text_reasoning", "04_stream_reasoning", "06_reasoning_followup"])
    def test_every_billed_token_is_in_a_bucket(self, name: str) -> None:
        """The buckets add up to the reply's own total_tokens, reasoning included."""
        scn = next(s for s in self.scenarios.values() if s.recording == name)
        response, _, _ = self.run(scn)
        assert response.usage.total == recorded_usage(name)["total_tokens"]
        assert response.usage.reasoning > response.usage.output  # most of the bill is reasoning

    def test_the_invalid_key_400_keeps_xais_message(self) -> None:
        with pytest.raises(AuthenticationError, match="Incorrect API key provided") as info:
            self.run(self.scenarios["error_invalid_key"])
        assert info.value.status_code == 400 and not info.value.is_retryable  # the status as sent

    def test_sends_the_key_as_a_bearer_token_to_the_default_base_url(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        sent = replayer.sent[0]
        assert str(sent.url) == "https://api.x.ai/v1/chat/completions"
        assert sent.headers["authorization"] == "Bearer sk-contract-test-DO-NOT-LEAK-0123456789"
