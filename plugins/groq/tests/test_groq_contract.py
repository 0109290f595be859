"""The provider contract for ``groq``, against real recorded Groq traffic."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import FinishReason, Message, ReasoningDelta, TextPart, Tool, Usage
from modelplex.errors import BadRequestError, ContextLengthExceededError, ModelNotFoundError
from modelplex_testing import Expect, ProviderContract, Recording, Replayer, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
GROQ = FIXTURES / "groq"
# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format")
# The recorded client did not ask for stream usage (Groq sends it regardless); this plugin does.
STREAMED = tuple(k for k in EXACT if k != "stream_options")
CODEC = OpenAIChatToolCodec()
OSS = "openai/gpt-oss-120b"
SCOUT = "meta-llama/llama-4-scout-17b-16e-instruct"


def recording(name: str) -> Recording:
    return Recording.load(GROQ / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    return CODEC.decode_tools(recording(name).request_body["tools"])


def conversation(name: str) -> list[Message]:
    """The recorded request's messages as canonical ones; the scenario checks they encode back
    exactly. The recorded client (pydantic-ai) sent its reasoning back as ``<think>`` text in the
    assistant's content, so here it is text, and it is sent as text."""
    out = []
    for wire in recording(name).request_body["messages"]:
        role = wire["role"]
        if role == "tool":
            out.append(Message.tool(wire["tool_call_id"], wire["content"]))
        elif role == "assistant":
            calls = [CODEC.decode_tool_call(c) for c in wire.get("tool_calls") or ()]
            out.append(Message.assistant([TextPart(text=wire["content"]), *calls]))
        else:
            out.append(Message(role=role, parts=wire["content"]))
    return out


def recorded_message(name: str) -> dict[str, Any]:
    message: dict[str, Any] = recording(name).response["body"]["choices"][0]["message"]
    return message


def streamed(name: str, field: str) -> str:
    """The concatenated ``delta[field]`` of a recorded stream, read straight from its SSE text."""
    out = []
    for line in str(recording(name).response["body_text"]).splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[len("data: "):]).get("choices", ()):
                out.append(choice["delta"].get(field) or "")
    return "".join(out)


def failed_generation(name: str) -> str:
    """The ``failed_generation`` of a recorded tool_use_failed error (a body, or an error event)."""
    rec = recording(name)
    if "body" in rec.response:
        return str(rec.response["body"]["error"]["failed_generation"])
    data = str(rec.response["body_text"]).split("event: error\ndata: ", 1)[1]
    return str(json.loads(data)["error"]["failed_generation"])


TOOL_LOOP = {"tools": recorded_tools("06_stream_error_event_tool_use_failed"), "tool_choice": "auto"}


class TestGroqContract(ProviderContract):
    provider = "groq"
    fixtures = GROQ
    settings: ClassVar[dict[str, Any]] = {}  # the default base URL: the recordings' own
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = True  # no recording of it: tested in test_groq_quirks.py
    supports_embeddings = False
    supports_list_models = True  # no recording of /models: tested in test_groq_e2e.py
    scenarios = {
        "chat_text": Scenario(
            recording="01_text", model="llama-3.3-70b-versatile", messages=conversation("01_text"),
            compare=EXACT,
            expect=Expect(text="The capital of France is Paris.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=48, output=8), model="llama-3.3-70b-versatile")),
        "chat_tool_call": Scenario(
            recording="02_tool_call", model=SCOUT, messages=conversation("02_tool_call"),
            options={"tools": recorded_tools("02_tool_call"), "tool_choice": "auto"}, compare=EXACT,
            expect=Expect(tool_calls=[("get_weather", {"city": "Paris"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=717, output=29),
                          model=SCOUT)),
        "chat_parallel_tool_calls": Scenario(
            recording="03_parallel_tool_calls", model=SCOUT,
            messages=conversation("03_parallel_tool_calls"),
            options={"tools": recorded_tools("03_parallel_tool_calls"), "tool_choice": "required"},
            compare=EXACT,
            expect=Expect(tool_calls=[("get_weather", {"city": "Paris"}),
                                      ("final_result", {"city": "Paris",
                                                        "summary": "Current weather in Paris"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=779, output=65))),
        "chat_reasoning": Scenario(
            recording="09_reasoning_field", model=OSS, messages=conversation("09_reasoning_field"),
            options={"extra": {"reasoning_effort": "high", "reasoning_format": "parsed"}},
            compare=(*EXACT, "reasoning_effort", "reasoning_format"),
            expect=Expect(text="4", reasoning=recorded_message("09_reasoning_field")["reasoning"],
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=84, output=10, reasoning=95), model=OSS)),
        "stream_tool_call": Scenario(
            recording="04_stream_reasoning_then_tool_call", model=OSS, call="stream",
            messages=conversation("04_stream_reasoning_then_tool_call"), options=TOOL_LOOP,
            compare=STREAMED,
            expect=Expect(text="", reasoning=streamed("04_stream_reasoning_then_tool_call",
                                                      "reasoning"),
                          tool_calls=[("get_something_by_name", {"name": "example"})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=304, output=26, reasoning=23), model=OSS)),
        "stream_text": Scenario(
            recording="05_stream_text", model=OSS, call="stream",
            messages=conversation("05_stream_text"), options=TOOL_LOOP, compare=STREAMED,
            expect=Expect(text="The tool returned the expected result for the valid call.",
                          reasoning=streamed("05_stream_text", "reasoning"),
                          finish_reason=FinishReason.STOP,
                          usage=Usage(input=339, output=20, reasoning=38), model=OSS)),
        "error_stream_tool_use_failed": Scenario(
            recording="06_stream_error_event_tool_use_failed", model=OSS, call="stream",
            messages=conversation("06_stream_error_event_tool_use_failed"), options=TOOL_LOOP,
            compare=STREAMED, expect=Expect(error=BadRequestError, status=400)),
        "error_tool_use_failed": Scenario(
            recording="07_error_400_tool_use_failed", model=OSS,
            messages=conversation("07_error_400_tool_use_failed"), options=TOOL_LOOP, compare=EXACT,
            expect=Expect(error=BadRequestError, status=400)),
        "error_404": Scenario(
            recording="08_error_404_model_not_found", model="non-existent",
            messages=[Message.user("hello")], compare=EXACT,
            expect=Expect(error=ModelNotFoundError, status=404)),
    }

    def test_stream_reasoning(self) -> None:
        """Both recorded streams carry reasoning; the text one stands for this group."""
        self.chat_case("stream_text", self.supports_streaming and self.supports_reasoning)

    def error_case(self, name: str) -> tuple[BaseException, Replayer, list[Any]]:
        """Run an error scenario; the error, the replayer, and the events delivered before it."""
        scn = self.scenarios[name]
        replayer = Replayer(self.recording(scn.recording))
        events: list[Any] = []

        async def stream() -> None:
            async with self.client(replayer) as client, client.stream(
                    f"groq/{scn.model}", list(scn.messages), **scn.options) as s:
                async for event in s:
                    events.append(event)

        def attempt() -> None:
            if scn.call == "stream":
                asyncio.run(stream())
            else:
                self.run(scn, replayer)

        assert scn.expect.error is not None
        with pytest.raises(scn.expect.error) as info:
            attempt()
        self.check_sent(scn, replayer)  # what was sent is checked for errors too
        return info.value, replayer, events

    @pytest.mark.parametrize("name", ["error_tool_use_failed", "error_stream_tool_use_failed"])
    def test_tool_use_failed_says_what_the_model_generated(self, name: str) -> None:
        err, _, _ = self.error_case(name)
        assert type(err) is BadRequestError and not isinstance(err, ContextLengthExceededError)
        assert err.code == "tool_use_failed" and err.status_code == 400 and not err.is_retryable
        text = str(err)
        assert text.startswith(f"groq/{OSS}: Tool call validation failed: ")
        assert "did not match schema" in text
        assert failed_generation(self.scenarios[name].recording) in text

    def test_the_error_event_comes_after_the_reasoning_already_streamed(self) -> None:
        _, _, events = self.error_case("error_stream_tool_use_failed")
        reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
        assert reasoning == streamed("06_stream_error_event_tool_use_failed", "reasoning")
        assert reasoning.startswith("We need to call the tool with invalid parameters first")

    def test_model_not_found_keeps_groq_s_message(self) -> None:
        err, _, _ = self.error_case("error_404")
        assert "The model `non-existent` does not exist" in str(err)
        assert isinstance(err, ModelNotFoundError) and err.code == "model_not_found"

    def test_streams_ask_for_usage(self) -> None:
        _, replayer, _ = self.run(self.scenarios["stream_text"])
        assert replayer.sent_json(0)["stream_options"] == {"include_usage": True}

    def test_sends_the_key_as_a_bearer_token_to_the_default_base_url(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        sent = replayer.sent[0]
        assert str(sent.url) == "https://api.groq.com/openai/v1/chat/completions"
        assert sent.headers["authorization"] == "Bearer sk-contract-test-DO-NOT-LEAK-0123456789"
