"""The provider contract for ``openrouter``, against real recorded OpenRouter traffic."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import (
    FinishReason,
    Message,
    Origin,
    ReasoningDelta,
    ReasoningPart,
    TextPart,
    Tool,
    Usage,
)
from modelplex.errors import AuthenticationError, BadRequestError, RateLimitError
from modelplex_testing import Expect, ProviderContract, Recording, Replayer, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
OPENROUTER = FIXTURES / "openrouter"
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format",
         "reasoning")
CODEC = OpenAIChatToolCodec()
HAIKU = "anthropic/claude-haiku-4.5"
SNAPSHOT = "anthropic/claude-4.5-haiku-20251001"
MIRROR = ("If a magic mirror shows your future self, but only if you ask a question it cannot answer "
          "truthfully, what question do you ask to see your future, and what would the mirror reveal "
          "about the answer it gives?")
WEATHER = "What is the weather in Berlin? Use the reasoning_weather tool."


def recording(name: str) -> Recording:
    return Recording.load(OPENROUTER / f"{name}.json")


def reply(name: str) -> dict[str, Any]:
    """A recorded whole reply (kept verbatim, whitespace padding and all, as ``body_text``)."""
    rec = recording(name)
    body: dict[str, Any] = rec.response["body"] if "body" in rec.response else json.loads(
        rec.response["body_text"])
    return body


def chunks(name: str) -> list[dict[str, Any]]:
    """The JSON chunks of a recorded stream, read straight from its SSE text."""
    text = str(recording(name).response["body_text"])
    return [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: {")]


def streamed_details(name: str) -> str:
    """The text of a recorded stream's ``reasoning_details``."""
    return "".join(d.get("text") or "" for c in chunks(name) for ch in c["choices"]
                   for d in ch["delta"].get("reasoning_details") or ())


def streamed_text(name: str) -> str:
    return "".join(ch["delta"].get("content") or "" for c in chunks(name) for ch in c["choices"])


def cost(usage: dict[str, Any]) -> Decimal:
    return Decimal(str(usage["cost"]))


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    return CODEC.decode_tools(recording(name).request_body["tools"])


def own(text: str, signature: str | None = None) -> ReasoningPart:
    """Claude's reasoning as this plugin's reply carries it: replayed to the model asked for."""
    return ReasoningPart(text=text, signature=signature, origin=Origin(provider="openrouter", model=HAIKU))


GPT5_MINI = "openai/gpt-5-mini"
VOLTAIRE = [Message.user("Hello!"), Message.assistant("Hello! How can I help you today?"),
            Message.user("What was the impact of Voltaire's writings on modern french culture?")]


def recorded_details(name: str) -> list[dict[str, Any]]:
    """A recorded reply's ``reasoning_details`` (each chunk's, in a stream), without the ``format``
    and ``index`` this plugin does not keep."""
    if "body_text" in recording(name).response and name.startswith(("06", "07", "11")):
        found = [d for c in chunks(name) for ch in c["choices"]
                 for d in ch["delta"].get("reasoning_details") or ()]
    else:
        found = reply(name)["choices"][0]["message"]["reasoning_details"]
    return [{k: v for k, v in d.items() if k not in ("format", "index")} for d in found]


# Recording 02's reply, as this plugin read it, continued in recording 03 with its signature.
_FIRST = reply("02_reasoning_signature")["choices"][0]["message"]
SIGNED_TURN = [Message.user("What is 5 + 3?"),
               Message.assistant([own(_FIRST["reasoning_details"][0]["text"],
                                      _FIRST["reasoning_details"][0]["signature"]),
                                  TextPart(text=_FIRST["content"])]),
               Message.user("Now multiply that by 2")]


class TestOpenRouterContract(ProviderContract):
    provider = "openrouter"
    fixtures = OPENROUTER
    settings: ClassVar[dict[str, Any]] = {}  # the default base URL: the recordings' own
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = False  # no recording of parallel calls
    supports_reasoning = True
    supports_json_schema = False  # no recording of a schema reply
    supports_embeddings = False
    supports_list_models = False  # no recording of /models
    scenarios = {
        "chat_text": Scenario(
            recording="01_text", model=HAIKU, messages=[Message.user("What's 2 + 2?")], compare=EXACT,
            expect=Expect(text="2 + 2 = 4", finish_reason=FinishReason.STOP, model=SNAPSHOT,
                          usage=Usage(input=16, output=13,
                                      reported_cost=cost(reply("01_text")["usage"])))),
        "chat_reasoning": Scenario(
            recording="02_reasoning_signature", model=HAIKU, messages=[Message.user("What is 5 + 3?")],
            options={"reasoning_effort": "medium"}, compare=EXACT,
            expect=Expect(text="5 + 3 = 8", reasoning=_FIRST["reasoning_details"][0]["text"],
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=45, output=26, reasoning=12,
                                      reported_cost=cost(reply("02_reasoning_signature")["usage"])))),
        # The signed reasoning of 02 goes back as reasoning_details, exactly as recorded.
        "chat_tool_result_followup": Scenario(
            recording="03_reasoning_replayed", model=HAIKU, messages=SIGNED_TURN,
            options={"reasoning_effort": "medium"}, compare=EXACT,
            expect=Expect(text="8 \u00d7 2 = 16", finish_reason=FinishReason.STOP,
                          reasoning="The user is asking me to multiply the previous result (8) by 2."
                                    "\n\n8 \u00d7 2 = 16",
                          usage=Usage(input=67, output=26, reasoning=21,
                                      reported_cost=cost(reply("03_reasoning_replayed")["usage"])))),
        "chat_tool_call": Scenario(
            recording="04_reasoning_tool_call", model=HAIKU, messages=[Message.user(WEATHER)],
            options={"tools": recorded_tools("04_reasoning_tool_call"), "reasoning_budget": 2000},
            compare=EXACT,
            expect=Expect(text="", tool_calls=[("reasoning_weather", {"city": "Berlin"})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=626, output=52, reasoning=61,
                                      reported_cost=cost(reply("04_reasoning_tool_call")["usage"])))),
        "stream_reasoning": Scenario(
            recording="06_stream_reasoning", model=HAIKU, call="stream", messages=[Message.user(MIRROR)],
            options={"reasoning_effort": "medium"}, compare=EXACT,
            expect=Expect(text=streamed_text("06_stream_reasoning"),
                          reasoning=streamed_details("06_stream_reasoning"),
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=80, output=427, reasoning=701,
                                      reported_cost=cost(chunks("06_stream_reasoning")[-1]["usage"])))),
        "stream_tool_call": Scenario(
            recording="07_stream_reasoning_tool_call", model=HAIKU, call="stream",
            messages=[Message.user(WEATHER)],
            options={"tools": recorded_tools("07_stream_reasoning_tool_call"), "reasoning_budget": 2000},
            compare=EXACT,
            expect=Expect(tool_calls=[("reasoning_weather", {"city": "Berlin"})],
                          reasoning=streamed_details("07_stream_reasoning_tool_call"),
                          finish_reason=FinishReason.TOOL_CALLS)),
        # An OpenAI model through OpenRouter: a summary and encrypted reasoning (pydantic-ai's recording).
        "chat_summary_encrypted": Scenario(
            recording="10_summary_encrypted", model=GPT5_MINI, messages=VOLTAIRE, compare=EXACT,
            expect=Expect(text=reply("10_summary_encrypted")["choices"][0]["message"]["content"],
                          reasoning=reply("10_summary_encrypted")["choices"][0]["message"]["reasoning"],
                          finish_reason=FinishReason.STOP, usage=Usage(input=41, output=753, reasoning=704))),
        "stream_encrypted": Scenario(
            recording="11_stream_encrypted", model="openai/o3", call="stream",
            messages=[Message.user("Who are you")], compare=EXACT,
            expect=Expect(text=streamed_text("11_stream_encrypted"), finish_reason=FinishReason.STOP,
                          usage=Usage(input=9, output=104,
                                      reported_cost=cost(chunks("11_stream_encrypted")[-1]["usage"])))),
        "error_401": Scenario(recording="08_error_401", model=HAIKU, messages=[Message.user("Hello")],
                              compare=EXACT, expect=Expect(error=AuthenticationError, status=401)),
        "error_429": Scenario(
            recording="09_error_429", model="google/gemini-2.0-flash-exp:free",
            messages=[Message.system("Be helpful."), Message.user("Tell me a joke.")], compare=EXACT,
            expect=Expect(error=RateLimitError, status=429)),
    }

    def test_reasoning_keeps_claudes_signature(self) -> None:
        """Each detail is a reasoning part with its signature, whole and streamed."""
        whole, _, _ = self.run(self.scenarios["chat_reasoning"])
        detail = _FIRST["reasoning_details"][0]
        assert [p for p in whole.parts if isinstance(p, ReasoningPart)] == [
            own(detail["text"], detail["signature"])]
        assert whole.reasoning == _FIRST["reasoning"]  # the plain field says the same, read once
        signatures = [d["signature"] for c in chunks("06_stream_reasoning") for ch in c["choices"]
                      for d in ch["delta"].get("reasoning_details") or () if d.get("signature")]
        streamed, _, _ = self.run(self.scenarios["stream_reasoning"])
        parts = [p for p in streamed.parts if isinstance(p, ReasoningPart)]
        assert [p.signature for p in parts] == signatures and len(signatures) == 1
        assert parts[0].text == streamed_details("06_stream_reasoning")

    @pytest.mark.feature("reasoning_replay")
    def test_encrypted_reasoning_and_its_summary_are_kept_and_go_back_as_they_came(self) -> None:
        """An OpenAI model's summary and encrypted reasoning (with its rs_ id) are parts of their own
        and go back to the same model as the details they came as; to another model, not at all."""
        scn = self.scenarios["chat_summary_encrypted"]
        first, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        self.check_response(scn, first)
        [summary, encrypted] = [p for p in first.parts if isinstance(p, ReasoningPart)]
        [wire_summary, wire_encrypted] = recorded_details("10_summary_encrypted")
        assert (summary.text, summary.signature, summary.redacted_data) == (
            wire_summary["summary"], None, None)
        assert (encrypted.text, encrypted.signature, encrypted.redacted_data) == (
            "", wire_encrypted["id"], wire_encrypted["data"])
        onward = [*VOLTAIRE, first.message, Message.user("And on German culture?")]
        for model, expected in ((GPT5_MINI, recorded_details("10_summary_encrypted")), ("openai/o3", None)):
            scn = Scenario(recording="01_text", model=model, messages=onward, compare=())
            _, replayer, _ = self.run(scn)
            assert replayer.sent_json(0)["messages"][3].get("reasoning_details") == expected

    def test_streamed_encrypted_reasoning_is_a_part_of_its_own(self) -> None:
        scn = self.scenarios["stream_encrypted"]
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        self.check_response(scn, response)
        [detail] = recorded_details("11_stream_encrypted")
        assert [p for p in response.parts if isinstance(p, ReasoningPart)] == [ReasoningPart(
            text="", signature=detail["id"], redacted_data=detail["data"],
            origin=Origin(provider="openrouter", model="openai/o3"))]

    @pytest.mark.feature("reasoning_replay")
    def test_reasoning_goes_back_beside_the_tool_calls(self) -> None:
        """The reply of 04, as this plugin read it, sent on with the tool's result, is the recorded
        follow-up 05 (less each detail's format and index, which are not kept)."""
        first, _, _ = self.run(self.scenarios["chat_tool_call"])
        call = first.tool_calls[0]
        result = Message.tool(call.id, "Current weather in Berlin: 15°C, cloudy")
        scn = Scenario(recording="05_reasoning_tool_result_followup", model=HAIKU,
            messages=[Message.user(WEATHER), first.message, result],
            options={"tools": recorded_tools("05_reasoning_tool_result_followup"), "reasoning_budget": 2000},
            compare=tuple(k for k in EXACT if k != "messages"),
            expect=Expect(text=reply("05_reasoning_tool_result_followup")["choices"][0]["message"]["content"],
                          finish_reason=FinishReason.STOP))
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        self.check_response(scn, response)
        recorded = recording(scn.recording).request_body["messages"]
        for message in recorded:
            for detail in message.get("reasoning_details") or ():
                detail.pop("format"), detail.pop("index")
        recorded[1]["content"] = None  # the Ruby client sent "" beside its tool calls
        assert replayer.sent_json(0)["messages"] == recorded

    def test_reasoning_of_another_model_is_not_sent(self) -> None:
        """Claude's signed reasoning is not replayed to another model, and a warning says so."""
        other = Scenario(recording="03_reasoning_replayed", model="openai/gpt-5-mini",
                         messages=SIGNED_TURN, compare=())
        response, replayer, _ = self.run(other)
        assert "reasoning_details" not in replayer.sent_json(0)["messages"][1]
        assert any(w.code == "dropped-reasoning" for w in response.warnings)

    def test_provider_routing_preferences_travel_in_the_body(self) -> None:
        routing = {"order": ["amazon-bedrock", "anthropic"], "allow_fallbacks": False}
        scn = Scenario(recording="01_text", model=HAIKU, messages=[Message.user("What's 2 + 2?")],
                       options={"extra": {"provider": routing}})
        _, replayer, _ = self.run(scn)
        assert replayer.sent_json(0)["provider"] == routing

    def test_an_error_chunk_mid_stream_is_the_error_its_code_says_after_the_reasoning_so_far(self) -> None:
        """OpenRouter reports an upstream failure mid-stream as a chunk with ``error`` (a real one:
        ``{"code": 400, "message": "Token limit reached"}``): a BadRequestError, raised after the
        reasoning already streamed was delivered, not a server error with an invented status."""
        scn = Scenario(recording="12_stream_error_400", model="minimax/minimax-m2:free", call="stream",
                       messages=[Message.user("Hello there")], options={"max_tokens": 10},
                       compare=("model", "messages", "stream", "stream_options"))
        replayer = Replayer(self.recording(scn.recording))
        delivered: list[Any] = []

        async def go() -> None:
            async with self.client(replayer) as client, client.stream(
                    f"openrouter/{scn.model}", list(scn.messages), max_tokens=10) as stream:
                async for event in stream:
                    delivered.append(event)

        with pytest.raises(BadRequestError, match="Token limit reached") as info:
            asyncio.run(go())
        assert info.value.status_code == 400 and not info.value.is_retryable
        self.check_sent(scn, replayer)
        assert "".join(e.text for e in delivered if isinstance(e, ReasoningDelta)) == (
            "We need to respond to a greeting. The user")

    def test_the_429_keeps_the_upstreams_message(self) -> None:
        with pytest.raises(RateLimitError) as info:
            self.run(self.scenarios["error_429"])
        # OpenRouter's own words and the upstream's, from metadata.raw, both kept.
        assert "Provider returned error" in str(info.value)
        assert "is temporarily rate-limited upstream" in str(info.value)

    def test_sends_the_key_as_a_bearer_token_to_the_default_base_url(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        sent = replayer.sent[0]
        assert str(sent.url) == "https://openrouter.ai/api/v1/chat/completions"
        assert sent.headers["authorization"] == "Bearer sk-contract-test-DO-NOT-LEAK-0123456789"
