"""The provider contract for ``openai`` through Chat Completions (``api = "chat_completions"``),
against real recorded OpenAI traffic. The Responses API has its own: test_openai_responses.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import FinishReason, Message, Tool, ToolCallPart, Usage
from modelplex.errors import AuthenticationError, BadRequestError, ModelNotFoundError
from modelplex_testing import Expect, ProviderContract, Recording, Replayer, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
CHAT = FIXTURES / "openai"
# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format")


def _object(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"additionalProperties": False, "properties": props, "type": "object"}
    if required is not None:
        schema["required"] = required
    return schema


TEMPERATURE = Tool(name="get_temperature", parameters=_object({"city": {"type": "string"}}, ["city"]),
                   strict=True)
CAPITAL = Tool(name="get_capital", parameters=_object({"country": {"type": "string"}}, ["country"]),
               strict=True)
CREATE = Tool(name="create_file", parameters=_object({"path": {"type": "string"}}, ["path"]),
              strict=True)
DELETE = Tool(name="delete_file", parameters=_object({"path": {"type": "string"}}, ["path"]),
              strict=True)
SYSTEM = Message.system("You are a helpful assistant.")
UK = "What is the capital of the UK? Use the tool, then answer."
TOKYO_CALL = ToolCallPart(id="call_bhZkmIKKItNGJ41whHUHB7p9", name="get_temperature",
                          arguments={"city": "Tokyo"})
UK_CALL = ToolCallPart(id="call_ZR5UUuTt3pf61kjwAJIYdVMj", name="get_capital",
                       arguments={"country": "UK"})


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    body = Recording.load(CHAT / f"{name}.json").request_body
    return OpenAIChatToolCodec().decode_tools(body["tools"])


class TestOpenAIChatCompletionsContract(ProviderContract):
    provider = "openai"
    fixtures = CHAT
    settings: ClassVar[dict[str, Any]] = {"api": "chat_completions"}
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_json_schema = True  # no OpenAI recording of it: tested in test_openai_e2e.py
    supports_embeddings = True
    supports_list_models = True  # no recording of /models: tested in test_openai_e2e.py
    scenarios = {
        "chat_text": Scenario(
            recording="01_chat_text", model="gpt-4o", messages=[
                SYSTEM, Message.user("What is the capital of France?")], compare=EXACT,
            expect=Expect(text="The capital of France is Paris.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=24, output=8), model="gpt-4o-2024-08-06")),
        "chat_tool_call": Scenario(
            recording="02_chat_tool_call", model="gpt-4.1-mini", messages=[
                SYSTEM, Message.user("What is the temperature in Tokyo?")],
            options={"tools": [TEMPERATURE], "tool_choice": "auto"}, compare=EXACT,
            expect=Expect(tool_calls=[("get_temperature", {"city": "Tokyo"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=50, output=15),
                          model="gpt-4.1-mini-2025-04-14")),
        "chat_parallel_tool_calls": Scenario(
            recording="04_chat_parallel_tool_calls", model="gpt-4o", messages=[
                Message.system("Just call tools without asking for confirmation."),
                Message.user("Delete the file `.env` and create `test.txt`")],
            options={"tools": [CREATE, DELETE], "tool_choice": "auto"}, compare=EXACT,
            expect=Expect(tool_calls=[("delete_file", {"path": ".env"}),
                                      ("create_file", {"path": "test.txt"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=71, output=46))),
        # The recording's client left out the assistant's "content" key; this plugin sends
        # "content": null (as recording 06 shows OpenAI taking). test_followup_messages checks the
        # messages against the recording with exactly that difference.
        "chat_tool_result_followup": Scenario(
            recording="03_chat_tool_result_followup", model="gpt-4.1-mini", messages=[
                SYSTEM, Message.user("What is the temperature in Tokyo?"),
                Message.assistant(TOKYO_CALL), Message.tool(TOKYO_CALL.id, "20.0")],
            options={"tools": [TEMPERATURE], "tool_choice": "auto"},
            compare=tuple(k for k in EXACT if k != "messages"),
            expect=Expect(text="The temperature in Tokyo is currently 20.0 degrees Celsius.",
                          finish_reason=FinishReason.STOP, usage=Usage(input=75, output=15))),
        "stream_tool_call": Scenario(
            recording="05_chat_stream_tool_call_with_usage", model="gpt-4o-mini", call="stream",
            messages=[Message.user(UK)], options={"tools": [CAPITAL], "tool_choice": "auto"},
            compare=EXACT,
            expect=Expect(tool_calls=[("get_capital", {"country": "UK"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=53, output=15),
                          model="gpt-4o-mini-2024-07-18")),
        "stream_text": Scenario(
            recording="06_chat_stream_text_with_usage", model="gpt-4o-mini", call="stream",
            messages=[Message.user(UK), Message.assistant(UK_CALL),
                      Message.tool(UK_CALL.id, "London")],
            options={"tools": [CAPITAL], "tool_choice": "auto"}, compare=EXACT,
            expect=Expect(text="The capital of the UK is London.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=78, output=9))),
        "stream_parallel_tool_calls": Scenario(
            recording="07_chat_stream_parallel_tool_calls", model="gpt-4o", call="stream",
            messages=[Message.user("Tell me: the capital of the country; the weather there; the "
                                   "product name")],
            options={"tools": recorded_tools("07_chat_stream_parallel_tool_calls"),
                     "tool_choice": "required"}, compare=EXACT,
            expect=Expect(tool_calls=[("get_country", {}), ("get_product_name", {})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=364, output=40))),
        "embed": Scenario(
            recording="11_embeddings_dimensions", model="text-embedding-3-small", call="embed",
            inputs=["Ruby is a programmer's best friend"], options={"dimensions": 768},
            compare=("model", "input", "dimensions", "encoding_format"),
            expect=Expect(vectors=1, dimensions=768)),
        "error_400": Scenario(recording="08_error_400_unsupported_system_role", model="o1-mini",
                              messages=[SYSTEM, Message.user("Hello")],
                              expect=Expect(error=BadRequestError, status=400)),
        "error_404": Scenario(recording="09_error_404_model_not_found", model="gpt-5.2-proo",
                              messages=[Message.user("hello")],
                              expect=Expect(error=ModelNotFoundError, status=404)),
        "error_401": Scenario(recording="10_error_401_invalid_api_key", model="gpt-5-nano",
                              messages=[Message.user("Hello")],
                              expect=Expect(error=AuthenticationError, status=401)),
    }

    def test_followup_messages(self) -> None:
        """The follow-up's messages equal the recorded ones but for the assistant's content key."""
        scn = self.scenarios["chat_tool_result_followup"]
        _, replayer, _ = self.run(scn)
        sent = replayer.sent_json(0)["messages"]
        recorded = Recording.load(CHAT / f"{scn.recording}.json").request_body["messages"]
        assert sent[2] == {"content": None, **recorded[2]}
        assert sent[:2] + sent[3:] == recorded[:2] + recorded[3:]

    def test_sends_the_key_as_a_bearer_token(self) -> None:
        scn = self.scenarios["chat_text"]
        _, replayer, _ = self.run(scn)
        headers = replayer.sent[0].headers
        assert headers["authorization"] == "Bearer sk-contract-test-DO-NOT-LEAK-0123456789"
        assert str(replayer.sent[0].url) == "https://api.openai.com/v1/chat/completions"

    def test_error_keeps_the_providers_message(self) -> None:
        scn = self.scenarios["error_404"]
        with pytest.raises(ModelNotFoundError) as info:
            self.run(scn)
        assert "The model `gpt-5.2-proo` does not exist" in str(info.value)
        assert info.value.code == "model_not_found" and info.value.model == "gpt-5.2-proo"

    def test_streamed_calls_equal_the_recorded_whole_ones(self) -> None:
        """Stream 05's assembled call is the call the follow-up request (06) replays verbatim."""
        scn = self.scenarios["stream_tool_call"]
        response, _, events = self.run(scn)
        recorded = Recording.load(CHAT / "06_chat_stream_text_with_usage.json").request_body
        wire = recorded["messages"][1]["tool_calls"][0]
        assert response.tool_calls == (OpenAIChatToolCodec().decode_tool_call(wire),)
        assert [type(e).__name__ for e in events].count("ToolCallDelta") == 5

    def test_embedding_values_are_the_recorded_ones(self) -> None:
        scn = self.scenarios["embed"]
        response, _, _ = self.run(scn)
        body = Recording.load(CHAT / f"{scn.recording}.json").response["body"]
        assert list(response.vectors[0]) == body["data"][0]["embedding"]
        assert response.usage == Usage(input=body["usage"]["prompt_tokens"])

    def test_many_inputs_are_batched_and_ordered(self) -> None:
        """2 049 inputs take two requests (OpenAI takes 2 048 a request); vectors keep input order."""
        import httpx

        sent: list[Any] = []

        def handle(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            sent.append(body)
            items = [{"index": i, "embedding": [float(len(t))]} for i, t in enumerate(body["input"])]
            items.reverse()  # the server may list them in any order; "index" says which is which
            return httpx.Response(200, json={"data": items, "model": body["model"],
                                             "usage": {"prompt_tokens": len(items)}})

        inputs = ["x" * (i % 7) for i in range(2049)]

        async def go() -> Any:
            async with self.client(_Replay(handle)) as client:
                return await client.embed("openai/text-embedding-3-small", inputs)

        response = asyncio.run(go())
        assert [len(b["input"]) for b in sent] == [2048, 1]
        assert [v[0] for v in response.vectors] == [float(len(t)) for t in inputs]
        assert response.usage == Usage(input=2049)


class _Replay(Replayer):
    """A replayer whose answers come from a handler function rather than recordings."""

    def __init__(self, handler: Any) -> None:
        import httpx

        super().__init__()
        self.transport = httpx.MockTransport(handler)
