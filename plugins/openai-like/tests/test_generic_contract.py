"""The provider contract for ``openai-like``, once per recorded server, each configured only
through settings (base URL, auth, query, profile), as a user would in the config file."""

from __future__ import annotations

import base64
import json
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from generic_helpers import (
    EXACT,
    FIXTURES,
    body,
    messages,
    response_body,
    same_messages,
    tools,
)

from modelplex import FinishReason, Message, ResponseFormat, Usage
from modelplex.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    ModelNotFoundError,
    RateLimitError,
)
from modelplex_testing import Expect, ProviderContract, Recording, Scenario
from modelplex_testing.contract import GROUPS

BERLIN = {"latitude": "52.5200", "longitude": "13.4050"}
WITHOUT_MESSAGES = tuple(k for k in EXACT if k != "messages")
SEARCHED = ("the permissively licensed recordings searched (crmne/ruby_llm fb5a49bf, pydantic/pydantic-ai "
            "4fda3898, tests/fixtures/README.md) hold none")
# Why a group has no scenario for a server: the reasons the skips give (tests/fixtures/README.md lists them).
NO_LIST = (f"no recording of this server's GET /models exists: {SEARCHED}; the listing is tested against "
           "a loopback server (test_models_of_a_loopback_server_are_local, test_generic_e2e.py)")
NO_STREAM_PARALLEL = (f"no recording of this server streaming several tool calls exists: {SEARCHED}; "
                      "this plugin assembles them from OpenAI's recorded stream (TestOpenAI) and "
                      "interleaved ones in modelplex-openai-compat's test_compat_stream.py")
NO_EMBEDDINGS_API = "the server has no embeddings endpoint"


def followup_sends_null_content(name: str, sent: list[dict[str, Any]], dropped: tuple[str, ...] = ()) -> bool:
    """The recorded client sent the assistant's content as "" (or not at all) beside its tool calls; this
    plugin sends null on purpose (modelplex_openai_compat/messages.py says why), and leaves out
    ``dropped``, the keys of what the recorded client sent back and this server's profile does not.
    Everything else of the follow-up request is the recorded one."""
    recorded = body(name)["messages"]
    index = next(i for i, m in enumerate(recorded) if m.get("tool_calls"))
    kept = {k: v for k, v in recorded[index].items() if k not in dropped}
    return (recorded[index].get("content", "") == "" and set(dropped) <= set(recorded[index])
            and sent[index] == {**kept, "content": None}
            and same_messages(sent[:index] + sent[index + 1:], recorded[:index] + recorded[index + 1:]))


def chat(name: str, *, reasoning_field: str = "reasoning_content", call: str = "chat",
         compare: tuple[str, ...] = EXACT, expect: Expect, **options: Any) -> Scenario:
    """A scenario that replays ``name``'s recorded request: its model, messages and tools."""
    recorded = body(name)
    if recorded.get("tools"):
        options.setdefault("tools", tools(name))
    if "tool_choice" in recorded:
        options.setdefault("tool_choice", recorded["tool_choice"])
    return Scenario(recording=name.split("/", 1)[1], model=recorded["model"], call=call,
                    messages=messages(name, reasoning_field), options=options, compare=compare,
                    expect=expect)


def error(name: str, kind: type[Exception], status: int, call: str = "chat") -> Scenario:
    recorded = body(name)
    return Scenario(recording=name.split("/", 1)[1], model=recorded["model"], call=call,
                    messages=[Message.user("Hello")], expect=Expect(error=kind, status=status))


def streamed(name: str, field: str) -> str:
    """What the recorded stream's deltas carry in ``field`` (``content``, ``reasoning``), joined: read
    from the wire here, not by the plugin under test."""
    out = []
    for line in Recording.load(FIXTURES / f"{name}.json").response["body_text"].splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                out.append(choice.get("delta", {}).get(field) or "")
    return "".join(out)


def embed(name: str, vectors: int, dimensions: int) -> Scenario:
    """An embedding call of the recorded model and inputs."""
    recorded = body(name)
    return Scenario(recording=name.split("/", 1)[1], model=recorded["model"], call="embed",
                    inputs=recorded["input"], compare=("model", "input"),
                    expect=Expect(vectors=vectors, dimensions=dimensions))


def schema(name: str) -> ResponseFormat:
    """The recorded request's JSON-schema response format, as the call gives it."""
    wire = body(name)["response_format"]["json_schema"]
    return ResponseFormat(type="json_schema", name=wire.get("name"), schema=wire["schema"],
                          strict=wire.get("strict"), description=wire.get("description"))


class _Generic(ProviderContract):
    provider = "openai-like"
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = True
    supports_embeddings = True
    supports_list_models = True
    unavailable: ClassVar[dict[str, str]] = {"list_models": NO_LIST}


class TestOpenAI(_Generic):
    """OpenAI's own Chat Completions, the API the others copy, reached as any compatible server."""

    fixtures = FIXTURES / "openai"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://api.openai.com/v1"}
    supports_reasoning = False  # Chat Completions returns no reasoning text (only its token count)
    scenarios = {
        "chat_text": chat("openai/01_chat_text", expect=Expect(
            text="The capital of France is Paris.", finish_reason=FinishReason.STOP,
            usage=Usage(input=24, output=8), model="gpt-4o-2024-08-06")),
        "chat_tool_call": chat("openai/02_chat_tool_call", expect=Expect(
            tool_calls=[("get_temperature", {"city": "Tokyo"})], finish_reason=FinishReason.TOOL_CALLS,
            usage=Usage(input=50, output=15))),
        # The recording's client left the assistant's content out beside its tool call; this plugin
        # sends null. test_followup_messages checks everything else.
        "chat_tool_result_followup": chat("openai/03_chat_tool_result_followup", compare=WITHOUT_MESSAGES,
                                          expect=Expect(
            text="The temperature in Tokyo is currently 20.0 degrees Celsius.",
            finish_reason=FinishReason.STOP, usage=Usage(input=75, output=15))),
        "chat_parallel_tool_calls": chat("openai/04_chat_parallel_tool_calls", expect=Expect(
            tool_calls=[("delete_file", {"path": ".env"}), ("create_file", {"path": "test.txt"})],
            finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=71, output=46))),
        # After a tool call and its result, as test_followup_messages reads it.
        "chat_json_schema": chat("openai/12_chat_json_schema", compare=WITHOUT_MESSAGES,
                                 response_format=schema("openai/12_chat_json_schema"), expect=Expect(
            text='{"city":"Mexico City","country":"Mexico"}', usage=Usage(input=92, output=15))),
        "stream_tool_call": chat("openai/05_chat_stream_tool_call_with_usage", call="stream", expect=Expect(
            tool_calls=[("get_capital", {"country": "UK"})], finish_reason=FinishReason.TOOL_CALLS,
            usage=Usage(input=53, output=15))),
        "stream_text": chat("openai/06_chat_stream_text_with_usage", call="stream", expect=Expect(
            text="The capital of the UK is London.", finish_reason=FinishReason.STOP,
            usage=Usage(input=78, output=9))),
        "stream_parallel_tool_calls": chat("openai/07_chat_stream_parallel_tool_calls", call="stream",
                                           expect=Expect(
            tool_calls=[("get_country", {}), ("get_product_name", {})],
            finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=364, output=40))),
        "embed": Scenario(recording="11_embeddings_dimensions", model="text-embedding-3-small",
                          call="embed", inputs=[body("openai/11_embeddings_dimensions")["input"]],
                          options={"dimensions": 768}, compare=("model", "input", "dimensions"),
                          expect=Expect(vectors=1, dimensions=768)),
        "error_400": error("openai/08_error_400_unsupported_system_role", BadRequestError, 400),
        "error_404": error("openai/09_error_404_model_not_found", ModelNotFoundError, 404),
        "error_401": error("openai/10_error_401_invalid_api_key", AuthenticationError, 401),
    }

    def test_followup_messages(self) -> None:
        for name in ("chat_tool_result_followup", "chat_json_schema"):
            scn = self.scenarios[name]
            _, replayer, _ = self.run(scn)
            assert followup_sends_null_content(f"openai/{scn.recording}", replayer.sent_json(0)["messages"])


class TestDeepSeek(_Generic):
    fixtures = FIXTURES / "deepseek"
    settings: ClassVar[dict[str, Any]] = {
        "base_url": "https://api.deepseek.com",
        "profile": {"send_reasoning_back": True, "reasoning_fields": ["reasoning_content"]}}
    supports_json_schema = False  # DeepSeek's JSON output is response_format json_object only
    supports_embeddings = False  # DeepSeek's API has no embeddings endpoint
    unavailable: ClassVar[dict[str, str]] = {**_Generic.unavailable,
                                             "stream_parallel_tool_calls": NO_STREAM_PARALLEL}
    scenarios = {
        # tool_choice names the function: the model had to call it, for Rome, on an unrelated question.
        "chat_tool_call": chat("deepseek/10_tool_call_forced", tool_choice="weather", expect=Expect(
            tool_calls=[("weather", {"latitude": "41.9028", "longitude": "12.4964"})],
            finish_reason=FinishReason.TOOL_CALLS)),
        "chat_text": chat("deepseek/01_text", expect=Expect(
            text="4", finish_reason=FinishReason.STOP, usage=Usage(input=12, output=1),
            model="deepseek-v4-flash")),
        "chat_reasoning": chat("deepseek/02_reasoning_content", expect=Expect(
            text=response_body("deepseek/02_reasoning_content")["choices"][0]["message"]["content"],
            reasoning=response_body("deepseek/02_reasoning_content")["choices"][0]["message"][
                "reasoning_content"],
            usage=Usage(input=12, output=374, reasoning=415), finish_reason=FinishReason.STOP)),
        # Thinking mode with tools: the earlier turns' reasoning_content goes back as recorded.
        # The recording's client wrote one call's arguments with a space after the colon; this
        # plugin writes compact JSON. test_followup_messages compares the arguments as JSON.
        "chat_tool_result_followup": chat("deepseek/03_reasoning_parallel_tool_calls",
                                          compare=WITHOUT_MESSAGES, expect=Expect(
            text="Let me get your name and roll the die!",
            reasoning="Great, now I have access to the dice roll tool. Let me first get the "
                      "player's name and then roll the die.",
            tool_calls=[("get_player_name", {}), ("roll_dice", {})],
            finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=875, output=53, reasoning=26))),
        "chat_parallel_tool_calls": chat("deepseek/04_parallel_tool_calls", expect=Expect(
            text="Let me look up both pieces of information for you!",
            tool_calls=[("weather", BERLIN), ("best_language_to_learn", {})],
            usage=Usage(input=407, output=94), finish_reason=FinishReason.TOOL_CALLS)),
        "stream_tool_call": chat("deepseek/05_stream_tool_call", call="stream", expect=Expect(
            tool_calls=[("weather", BERLIN)], usage=Usage(input=348, output=65),
            finish_reason=FinishReason.TOOL_CALLS)),
        "stream_text": chat("deepseek/06_stream_text_with_usage", call="stream", expect=Expect(
            text="1, 2, 3.", usage=Usage(input=11, output=8), finish_reason=FinishReason.STOP)),
        "stream_reasoning": chat("deepseek/07_stream_reasoning_content", call="stream",
                                 expect=Expect(text="Hello there! 😊 How can I help you today?",
                                               usage=Usage(input=6, output=14, reasoning=198),
                                               model="deepseek-reasoner")),
        "error_401": error("deepseek/08_error_401_authentication", AuthenticationError, 401),
        "error_400": error("deepseek/09_error_400_context_length_octet_stream",
                           ContextLengthExceededError, 400),
    }

    @pytest.mark.feature("reasoning_replay")
    def test_followup_messages(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_tool_result_followup"])
        sent = replayer.sent_json(0)["messages"]
        recorded = body("deepseek/03_reasoning_parallel_tool_calls")["messages"]
        assert same_messages(sent, recorded)
        assert sent != recorded  # only because of the spacing inside one call's arguments
        assert sent[3]["reasoning_content"] == recorded[3]["reasoning_content"]
        assert sent[5]["reasoning_content"] == "" and sent[5]["content"] is None

    def test_streamed_reasoning_is_the_recorded_text(self) -> None:
        response, _, _ = self.run(self.scenarios["stream_reasoning"])
        assert response.reasoning.startswith("Hmm, the user just said \"Hello\".")
        assert len(response.reasoning) > 500


class TestGroq(_Generic):
    fixtures = FIXTURES / "groq"
    # Groq reports usage in its streams without being asked (the recorded requests do not ask).
    settings: ClassVar[dict[str, Any]] = {
        "base_url": "https://api.groq.com/openai/v1",
        "profile": {"stream_usage": False, "reasoning_fields": ["reasoning"]}}
    supports_embeddings = False  # Groq's API has no embeddings endpoint
    unavailable: ClassVar[dict[str, str]] = {**_Generic.unavailable,
                                             "stream_parallel_tool_calls": NO_STREAM_PARALLEL}
    scenarios = {
        # The recording's client left the assistant's content out beside its tool call; this plugin
        # sends null. test_followup_messages checks everything else.
        "chat_tool_result_followup": chat("groq/10_tool_result_followup", compare=WITHOUT_MESSAGES,
                                          expect=Expect(
            text="The weather in Paris is sunny with a temperature of 22C.",
            usage=Usage(input=774, output=15), finish_reason=FinishReason.STOP)),
        "chat_json_schema": chat("groq/11_json_schema", response_format=schema("groq/11_json_schema"),
                                 expect=Expect(
            text='{"city":"Mexico City","country":"Mexico"}', usage=Usage(input=178, output=94),
            reasoning=response_body("groq/11_json_schema")["choices"][0]["message"]["reasoning"])),
        "chat_text": chat("groq/01_text", expect=Expect(
            text="The capital of France is Paris.", usage=Usage(input=48, output=8),
            finish_reason=FinishReason.STOP, model="llama-3.3-70b-versatile")),
        "chat_tool_call": chat("groq/02_tool_call", expect=Expect(
            tool_calls=[("get_weather", {"city": "Paris"})], usage=Usage(input=717, output=29),
            finish_reason=FinishReason.TOOL_CALLS)),
        "chat_parallel_tool_calls": chat("groq/03_parallel_tool_calls", expect=Expect(
            tool_calls=[("get_weather", {"city": "Paris"}),
                        ("final_result", {"city": "Paris", "summary": "Current weather in Paris"})],
            usage=Usage(input=779, output=65))),
        "chat_reasoning": chat("groq/09_reasoning_field", reasoning_field="reasoning",
                               extra={"reasoning_effort": "high", "reasoning_format": "parsed"},
                               compare=(*EXACT, "reasoning_effort", "reasoning_format"),
                               expect=Expect(text="4", usage=Usage(input=84, output=10, reasoning=95),
                                             reasoning=response_body("groq/09_reasoning_field")[
                                                 "choices"][0]["message"]["reasoning"])),
        "stream_tool_call": chat("groq/04_stream_reasoning_then_tool_call", call="stream",
                                 expect=Expect(tool_calls=[("get_something_by_name",
                                                            {"name": "example"})],
                                               usage=Usage(input=304, output=26, reasoning=23),
                                               finish_reason=FinishReason.TOOL_CALLS)),
        "stream_text": chat("groq/05_stream_text", call="stream", expect=Expect(
            text="The tool returned the expected result for the valid call.",
            usage=Usage(input=339, output=20, reasoning=38), finish_reason=FinishReason.STOP)),
        "stream_reasoning": chat("groq/05_stream_text", call="stream", expect=Expect(
            reasoning=("The user wants to test error handling by calling tool with non-existent "
                       "parameters first (we did) and then second try with valid args. We have "
                       "succeeded. Now respond concisely."))),
        "error_stream_event": chat("groq/06_stream_error_event_tool_use_failed", call="stream",
                                   expect=Expect(error=BadRequestError, status=400)),
        "error_400": error("groq/07_error_400_tool_use_failed", BadRequestError, 400),
        "error_404": error("groq/08_error_404_model_not_found", ModelNotFoundError, 404),
    }


    def test_followup_messages(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_tool_result_followup"])
        assert followup_sends_null_content("groq/10_tool_result_followup", replayer.sent_json(0)["messages"])

    def test_json_schema_request(self) -> None:
        """The recorded response format, its schema's description included, is sent as it was."""
        _, replayer, _ = self.run(self.scenarios["chat_json_schema"])
        recorded = body("groq/11_json_schema")["response_format"]
        assert recorded["json_schema"]["description"] == "A city and its country."
        assert replayer.sent_json(0)["response_format"] == recorded


class TestMistral(_Generic):
    fixtures = FIXTURES / "mistral"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://api.mistral.ai/v1",
                                          "profile": {"stream_usage": False}}
    unavailable: ClassVar[dict[str, str]] = {**_Generic.unavailable,
                                             "stream_parallel_tool_calls": NO_STREAM_PARALLEL}
    scenarios = {
        "chat_tool_call": chat("mistral/10_tool_call", expect=Expect(
            tool_calls=[("weather", BERLIN)], usage=Usage(input=159, output=28),
            finish_reason=FinishReason.TOOL_CALLS)),
        "chat_json_schema": chat("mistral/11_json_schema", response_format=schema("mistral/11_json_schema"),
                                 expect=Expect(text='{"name": "Bob", "age": 30}',
                                               usage=Usage(input=8, output=14))),
        "embed": embed("mistral/12_embeddings", vectors=3, dimensions=1024),
        "chat_text": chat("mistral/01_text", expect=Expect(
            text="2 + 2 equals **4**.", usage=Usage(input=23, output=9),
            finish_reason=FinishReason.STOP)),
        "chat_parallel_tool_calls": chat("mistral/02_parallel_tool_calls", expect=Expect(
            tool_calls=[("weather", BERLIN), ("best_language_to_learn", {})],
            usage=Usage(input=227, output=36), finish_reason=FinishReason.TOOL_CALLS)),
        # The recording's client sent the assistant's content as "" beside its tool calls; this
        # plugin sends null. test_followup_messages checks everything else.
        "chat_tool_result_followup": chat(
            "mistral/03_tool_result_followup", compare=WITHOUT_MESSAGES, expect=Expect(
                text="The current weather in Berlin (52.5200, 13.4050) is **15°C** with a wind "
                     "speed of **10 km/h**.\n\nThe best language to learn right now is **Ruby**.",
                usage=Usage(input=301, output=52))),
        "chat_reasoning": chat("mistral/06_thinking_chunks", extra={"reasoning_effort": "high"},
                               compare=(*EXACT, "reasoning_effort"), expect=Expect(
                                   text="144", usage=Usage(input=31, output=66),
                                   reasoning=response_body("mistral/06_thinking_chunks")[
                                       "choices"][0]["message"]["content"][0]["thinking"][0][
                                       "text"])),
        "stream_text": chat("mistral/04_stream_text", call="stream", expect=Expect(
            text="1, 2, 3", usage=Usage(input=22, output=8), finish_reason=FinishReason.STOP)),
        "stream_tool_call": chat("mistral/05_stream_tool_call", call="stream", expect=Expect(
            tool_calls=[("weather", BERLIN)], usage=Usage(input=31, cache_read=128, output=28),
            finish_reason=FinishReason.TOOL_CALLS)),
        "stream_reasoning": chat("mistral/07_stream_thinking", call="stream",
                                 extra={"reasoning_effort": "high"},
                                 compare=(*EXACT, "reasoning_effort"),
                                 expect=Expect(text="144", usage=Usage(input=31, output=66))),
        "error_401": error("mistral/08_error_401", AuthenticationError, 401),
    }

    def test_followup_messages(self) -> None:
        scn = self.scenarios["chat_tool_result_followup"]
        _, replayer, _ = self.run(scn)
        sent = replayer.sent_json(0)["messages"]
        recorded = body("mistral/03_tool_result_followup")["messages"]
        assert sent[1] == {**recorded[1], "content": None} and recorded[1]["content"] == ""
        assert sent[:1] + sent[2:] == recorded[:1] + recorded[2:]

    def test_streamed_thinking_equals_the_whole_one(self) -> None:
        streamed, _, _ = self.run(self.scenarios["stream_reasoning"])
        whole, _, _ = self.run(self.scenarios["chat_reasoning"])
        assert streamed.reasoning.startswith("The user is asking for the product")
        assert [type(p) for p in streamed.parts] == [type(p) for p in whole.parts]


class TestTogether(_Generic):
    fixtures = FIXTURES / "together"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://router.huggingface.co/together/v1",
                                          "profile": {"think_tags": True}}
    unavailable: ClassVar[dict[str, str]] = {
        **_Generic.unavailable, "stream_parallel_tool_calls": NO_STREAM_PARALLEL,
        "stream_tool_call": f"no recording of a Together tool call streamed exists: {SEARCHED}",
        "chat_tool_result_followup": f"no recording of a Together tool-result follow-up exists: {SEARCHED}",
        "chat_json_schema": f"no recording of a Together JSON-schema answer exists: {SEARCHED}",
        "embed": f"no recording of Together's /embeddings exists: {SEARCHED}",
        "errors": f"no recording of a Together error answer exists: {SEARCHED}"}
    scenarios = {
        # The same recorded exchange: a plain answer whose reasoning came inline in <think> tags.
        "chat_text": chat("together/01_text", compare=("model", "stream", "tool_choice"),
                          expect=Expect(text="Hello! 👋 How can I help you today?",
                                        usage=Usage(input=4, output=197))),
        # The recording's client sent "name": null and "tool_calls": null in the user message and
        # "tools": []; test_think_tag_request checks the rest of the request.
        "chat_reasoning": chat("together/01_text", compare=("model", "stream", "tool_choice"),
                               expect=Expect(text="Hello! 👋 How can I help you today?",
                                             usage=Usage(input=4, output=197))),
        "chat_parallel_tool_calls": chat("together/02_parallel_tool_calls", expect=Expect(
            tool_calls=[("get_weather", {"city": "Paris"}),
                        ("final_result", {"city": "Paris", "summary": "Weather in Paris"})],
            usage=Usage(input=720, output=65), finish_reason=FinishReason.TOOL_CALLS)),
        "chat_tool_call": chat("together/03_tool_call_required", expect=Expect(
            tool_calls=[("get_weather", {"city": "Paris"})], usage=Usage(input=608, output=30))),
        # DeepSeek-R1's reasoning streamed inline, in <think> tags: the recording's client sent
        # "name": null, "tool_calls": null and "tools": [] as in 01_text.
        "stream_text": chat("together/05_stream_think_tags", call="stream",
                            compare=("model", "stream", "tool_choice"), expect=Expect(
            text=streamed("together/05_stream_think_tags", "content").split("</think>", 1)[1].strip(),
            usage=Usage(input=10, output=955), finish_reason=FinishReason.STOP)),
        "stream_reasoning": chat("together/05_stream_think_tags", call="stream",
                                 compare=("model", "stream", "tool_choice"), expect=Expect(
            reasoning=streamed("together/05_stream_think_tags", "content").split("</think>", 1)[0]
            .removeprefix("<think>").lstrip("\n"))),
    }

    def test_think_tag_request(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_reasoning"])
        assert replayer.sent_json(0)["messages"] == [{"role": "user", "content": "hello"}]
        assert "tools" not in replayer.sent_json(0)

    def test_reasoning_split_out_of_the_think_tags(self) -> None:
        response, _, _ = self.run(self.scenarios["chat_reasoning"])
        assert response.reasoning.startswith("Hmm, the user just said \"hello\".")
        assert "<think>" not in response.text and "</think>" not in response.reasoning


class TestAzureAIFoundry(_Generic):
    fixtures = FIXTURES / "azure"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://rubyllm.services.ai.azure.com/models",
                                          "query": {"api-version": "2024-05-01-preview"},
                                          "auth": "api-key"}
    unavailable: ClassVar[dict[str, str]] = {
        **_Generic.unavailable, "stream_parallel_tool_calls": NO_STREAM_PARALLEL,
        **dict.fromkeys(("chat_reasoning", "stream_reasoning"), (
            "the recorded Foundry deployment serves grok-4-1-fast-non-reasoning, a model that returns no "
            f"reasoning, and of a reasoning model on this endpoint {SEARCHED}")),
        "embed": ("Foundry serves embeddings at /openai/v1/embeddings, under another base URL than "
                  "this /models one (configure it as a provider of its own); of /models/embeddings "
                  f"{SEARCHED}")}
    scenarios = {
        "chat_text": chat("azure/10_foundry_text", expect=Expect(
            text="4", usage=Usage(cache_read=7, output=1), finish_reason=FinishReason.STOP)),
        "chat_tool_call": chat("azure/11_foundry_tool_call", expect=Expect(
            tool_calls=[("weather", BERLIN)], usage=Usage(input=91, cache_read=158, output=40),
            finish_reason=FinishReason.TOOL_CALLS)),
        # The recording's client sent the assistant's content as "" beside its tool call; this plugin
        # sends null. test_followup_messages checks everything else.
        "chat_tool_result_followup": chat("azure/12_foundry_tool_result_followup",
                                          compare=WITHOUT_MESSAGES, expect=Expect(
            text="The current weather in Berlin is 15°C with winds at 10 km/h.",
            usage=Usage(cache_read=325, output=17), finish_reason=FinishReason.STOP)),
        "chat_json_schema": chat("azure/13_foundry_json_schema",
                                 response_format=schema("azure/13_foundry_json_schema"),
                                 expect=Expect(text='{"name":"Bob","age":30}',
                                               usage=Usage(cache_read=78, output=9))),
        "stream_tool_call": chat("azure/14_foundry_stream_tool_call", call="stream", expect=Expect(
            tool_calls=[("best_language_to_learn", {})], usage=Usage(input=46, cache_read=159, output=18),
            finish_reason=FinishReason.TOOL_CALLS)),
        "chat_parallel_tool_calls": chat("azure/03_foundry_parallel_tool_calls", expect=Expect(
            tool_calls=[("weather", BERLIN), ("best_language_to_learn", {})],
            usage=Usage(cache_read=293, output=58), finish_reason=FinishReason.TOOL_CALLS)),
        "stream_text": chat("azure/04_foundry_stream_text", call="stream", expect=Expect(
            text="1, 2, 3.", usage=Usage(cache_read=7, output=8), finish_reason=FinishReason.STOP)),
        "error_401": error("azure/06_error_401", AuthenticationError, 401),
        "error_429": error("azure/07_error_429", RateLimitError, 429),
    }

    def test_url_and_key_header_are_the_recorded_ones(self) -> None:
        from modelplex_testing import FAKE_KEY, Recording

        _, replayer, _ = self.run(self.scenarios["chat_parallel_tool_calls"])
        recorded = Recording.load(self.fixtures / "03_foundry_parallel_tool_calls.json")
        assert str(replayer.sent[0].url) == recorded.request["url"]
        assert replayer.sent[0].headers["api-key"] == FAKE_KEY
        assert "authorization" not in replayer.sent[0].headers

    def test_followup_messages(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_tool_result_followup"])
        assert followup_sends_null_content("azure/12_foundry_tool_result_followup",
                                           replayer.sent_json(0)["messages"])


class TestOpenRouter(_Generic):
    fixtures = FIXTURES / "openrouter"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://openrouter.ai/api/v1",
                                          "profile": {"reasoning_fields": ["reasoning"]}}
    unavailable: ClassVar[dict[str, str]] = {**_Generic.unavailable,
                                             "stream_parallel_tool_calls": NO_STREAM_PARALLEL}
    # OpenRouter reports each call's cost in its usage: the parsed usage carries it.
    scenarios = {
        "chat_text": chat("openrouter/02_text", expect=Expect(
            text="2 + 2 = 4", finish_reason=FinishReason.STOP, model="anthropic/claude-4.5-haiku-20251001",
            usage=Usage(input=16, output=13, reported_cost=Decimal("0.000081")))),
        "chat_tool_call": chat("openrouter/03_tool_call", expect=Expect(
            tool_calls=[("weather", BERLIN)], finish_reason=FinishReason.TOOL_CALLS,
            usage=Usage(input=633, output=75, reported_cost=Decimal("0.001008")))),
        # The recording's client sent the assistant's content as "" beside its tool call; this plugin
        # sends null. test_followup_messages checks everything else.
        "chat_tool_result_followup": chat("openrouter/04_tool_result_followup", compare=WITHOUT_MESSAGES,
                                          expect=Expect(
            text=response_body("openrouter/04_tool_result_followup")["choices"][0]["message"]["content"],
            usage=Usage(input=748, output=42, reported_cost=Decimal("0.000958")))),
        "chat_parallel_tool_calls": chat("openrouter/05_parallel_tool_calls", expect=Expect(
            tool_calls=[("weather", BERLIN), ("best_language_to_learn", {})],
            finish_reason=FinishReason.TOOL_CALLS,
            usage=Usage(input=701, output=98, reported_cost=Decimal("0.001191")))),
        "chat_reasoning": chat("openrouter/06_reasoning", extra={"reasoning": {"effort": "medium"}},
                               compare=(*EXACT, "reasoning"), expect=Expect(
            text=response_body("openrouter/06_reasoning")["choices"][0]["message"]["content"],
            reasoning=response_body("openrouter/06_reasoning")["choices"][0]["message"]["reasoning"],
            usage=Usage(input=80, output=269, reasoning=586, reported_cost=Decimal("0.004355")))),
        "chat_json_schema": chat("openrouter/07_json_schema",
                                 response_format=schema("openrouter/07_json_schema"),
                                 expect=Expect(text='{"name":"John","age":30}', usage=Usage(
                                     input=181, output=12, reported_cost=Decimal("0.000241")))),
        "stream_text": chat("openrouter/08_stream_text", call="stream", expect=Expect(
            text="1\n2\n3", finish_reason=FinishReason.STOP,
            usage=Usage(input=15, output=9, reported_cost=Decimal("0.00006")))),
        "stream_tool_call": chat("openrouter/09_stream_tool_call", call="stream", expect=Expect(
            tool_calls=[("weather", BERLIN)], finish_reason=FinishReason.TOOL_CALLS,
            usage=Usage(input=633, output=75, reported_cost=Decimal("0.001008")))),
        "stream_reasoning": chat("openrouter/10_stream_reasoning", call="stream",
                                 extra={"reasoning": {"effort": "medium"}}, compare=(*EXACT, "reasoning"),
                                 expect=Expect(
            text=streamed("openrouter/10_stream_reasoning", "content"),
            reasoning=streamed("openrouter/10_stream_reasoning", "reasoning"),
            finish_reason=FinishReason.STOP,
            usage=Usage(input=80, output=427, reasoning=701, reported_cost=Decimal("0.00572")))),
        "embed": embed("openrouter/11_embeddings", vectors=3, dimensions=1536),
        "error_429": error("openrouter/01_error_429", RateLimitError, 429),
    }

    def test_followup_messages(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_tool_result_followup"])
        assert followup_sends_null_content("openrouter/04_tool_result_followup",
                                           replayer.sent_json(0)["messages"])

    def test_streamed_reasoning_is_the_recorded_text(self) -> None:
        response, _, _ = self.run(self.scenarios["stream_reasoning"])
        assert response.reasoning.startswith("This is a clever self-referential paradox puzzle")
        assert response.text.startswith("I'd ask: **")

    def test_upstream_message_is_kept(self) -> None:
        with pytest.raises(RateLimitError, match="temporarily rate-limited upstream"):
            self.run(self.scenarios["error_429"])


class TestOllamaLocal(_Generic):
    fixtures = FIXTURES / "ollama"
    settings: ClassVar[dict[str, Any]] = {"base_url": "http://localhost:11434/v1",
                                          "profile": {"reasoning_fields": ["reasoning"]}}
    unavailable: ClassVar[dict[str, str]] = {
        **_Generic.unavailable, "stream_parallel_tool_calls": NO_STREAM_PARALLEL,
        "embed": f"no recording of a local Ollama's /v1/embeddings exists: {SEARCHED}",
        "errors": ("a local Ollama asks for no key (no 401 to record), and of its other error answers on "
                   f"/v1 {SEARCHED}")}
    scenarios = {
        "chat_text": chat("ollama/20_v1_chat_text_local", reasoning_field="reasoning", expect=Expect(
            text=response_body("ollama/20_v1_chat_text_local")["choices"][0]["message"]["content"],
            usage=Usage(input=18, output=295), finish_reason=FinishReason.STOP, model="qwen3")),
        "chat_tool_call": chat("ollama/21_v1_chat_tool_call_local", extra={"enable_thinking": False},
                               compare=(*EXACT, "enable_thinking"), expect=Expect(
            tool_calls=[("weather", BERLIN)], finish_reason=FinishReason.TOOL_CALLS)),
        # The recording's client sent the assistant's content as "" beside its tool call; this plugin
        # sends null. test_followup_messages checks everything else.
        "chat_tool_result_followup": chat(
            "ollama/22_v1_chat_tool_result_followup_local", extra={"enable_thinking": False},
            compare=(*WITHOUT_MESSAGES, "enable_thinking"), expect=Expect(
                text=response_body("ollama/22_v1_chat_tool_result_followup_local")["choices"][0][
                    "message"]["content"], usage=Usage(input=381, output=173))),
        "chat_reasoning": chat("ollama/23_v1_chat_reasoning_local", expect=Expect(
            reasoning=response_body("ollama/23_v1_chat_reasoning_local")["choices"][0]["message"][
                "reasoning"], usage=Usage(input=54, output=1575))),
        "stream_text": chat("ollama/24_v1_chat_stream_text_local", call="stream", expect=Expect(
            text="1  \n2  \n3", usage=Usage(input=17, output=289), finish_reason=FinishReason.STOP)),
        "stream_tool_call": chat("ollama/25_v1_chat_stream_tool_call_local", call="stream",
                                 extra={"enable_thinking": False}, compare=(*EXACT, "enable_thinking"),
                                 expect=Expect(tool_calls=[("weather", BERLIN)],
                                               usage=Usage(input=195, output=140),
                                               finish_reason=FinishReason.TOOL_CALLS)),
        "stream_reasoning": chat("ollama/26_v1_chat_stream_reasoning_local", call="stream", expect=Expect(
            text=streamed("ollama/26_v1_chat_stream_reasoning_local", "content"),
            reasoning=streamed("ollama/26_v1_chat_stream_reasoning_local", "reasoning"),
            usage=Usage(input=54, output=1174), finish_reason=FinishReason.STOP)),
        "chat_parallel_tool_calls": chat(
            "ollama/10_v1_chat_parallel_tool_calls_local", extra={"enable_thinking": False},
            compare=(*EXACT, "enable_thinking"), expect=Expect(
                tool_calls=[("weather", BERLIN), ("best_language_to_learn", {})],
                usage=Usage(input=235, output=320), finish_reason=FinishReason.TOOL_CALLS)),
        "chat_json_schema": chat(
            "ollama/15_v1_chat_json_schema_local",
            response_format=ResponseFormat(
                type="json_schema", name="CityLocation",
                schema=body("ollama/15_v1_chat_json_schema_local")["response_format"][
                    "json_schema"]["schema"]),
            expect=Expect(text='{ "city": "Paris", "country": "France" }',
                          usage=Usage(input=136, output=15))),
    }

    def test_followup_messages(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_tool_result_followup"])
        # ruby_llm sent qwen3's reasoning back in two fields; a local Ollama's profile sends none back.
        assert followup_sends_null_content("ollama/22_v1_chat_tool_result_followup_local",
                                           replayer.sent_json(0)["messages"],
                                           dropped=("reasoning", "reasoning_content"))

    def test_streamed_reasoning_is_the_recorded_text(self) -> None:
        response, _, _ = self.run(self.scenarios["stream_reasoning"])
        assert response.reasoning.startswith("Okay, so the user is asking about a magic mirror")
        assert response.text.startswith("To unlock the magic mirror")

    def test_models_of_a_loopback_server_are_local(self) -> None:
        import asyncio

        import httpx

        from modelplex_testing import Replayer

        class Models(Replayer):
            def __init__(self) -> None:
                super().__init__()
                self.transport = httpx.MockTransport(
                    lambda request: httpx.Response(200, json={"data": [{"id": "qwen3"}]}))

        async def go() -> Any:
            async with self.client(Models()) as client:
                return await client.list_models("openai-like")

        assert [(m.address, m.local) for m in asyncio.run(go())] == [
            ("openai-like/qwen3", True)]


class TestOllamaCloud(_Generic):
    fixtures = FIXTURES / "ollama"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://ollama.com/v1",
                                          "profile": {"reasoning_fields": ["reasoning"]}}
    unavailable: ClassVar[dict[str, str]] = {
        **_Generic.unavailable, "stream_parallel_tool_calls": NO_STREAM_PARALLEL,
        "chat_parallel_tool_calls": (
            "gpt-oss:120b on Ollama Cloud answered the recorded two-question prompt with one call per turn "
            "(crmne/ruby_llm chat_function_calling_ollama_cloud_gpt-oss_120b_can_use_parallel_tool_calls), "
            f"and of several calls in one answer {SEARCHED}"),
        "chat_json_schema": f"no recording of an Ollama Cloud JSON-schema answer exists: {SEARCHED}",
        "embed": f"no recording of Ollama Cloud's /v1/embeddings exists: {SEARCHED}"}
    scenarios = {
        "chat_text": chat("ollama/30_v1_chat_text_cloud", expect=Expect(
            text="2\u202f+\u202f2\u202f=\u202f4.", usage=Usage(input=74, output=48),
            finish_reason=FinishReason.STOP, model="gpt-oss:120b")),
        # gpt-oss always reasons: the same exchange, its reasoning checked.
        "chat_reasoning": chat("ollama/30_v1_chat_text_cloud", expect=Expect(
            reasoning=response_body("ollama/30_v1_chat_text_cloud")["choices"][0]["message"]["reasoning"])),
        "chat_tool_call": chat("ollama/31_v1_chat_tool_call_cloud", reasoning_field="reasoning",
                               expect=Expect(tool_calls=[("weather", BERLIN)],
                                             reasoning=("User asks weather for Berlin coordinates. "
                                                        "Use function."),
                                             usage=Usage(input=169, output=50),
                                             finish_reason=FinishReason.TOOL_CALLS)),
        # The recording's client sent the assistant's content as "" beside its tool call; this plugin
        # sends null. test_followup_messages checks everything else.
        "chat_tool_result_followup": chat(
            "ollama/32_v1_chat_tool_result_followup_cloud", compare=WITHOUT_MESSAGES, expect=Expect(
                text=response_body("ollama/32_v1_chat_tool_result_followup_cloud")["choices"][0][
                    "message"]["content"], usage=Usage(input=247, output=44))),
        # gpt-oss reasons in every stream: the recorded text stream, its reasoning checked.
        "stream_reasoning": chat("ollama/12_v1_chat_stream_text_cloud", call="stream", expect=Expect(
            reasoning=streamed("ollama/12_v1_chat_stream_text_cloud", "reasoning"),
            finish_reason=FinishReason.STOP)),
        "stream_tool_call": chat("ollama/11_v1_chat_stream_tool_call_cloud", call="stream",
                                 expect=Expect(tool_calls=[("weather", BERLIN)],
                                               usage=Usage(input=169, output=55),
                                               finish_reason=FinishReason.TOOL_CALLS)),
        "stream_text": chat("ollama/12_v1_chat_stream_text_cloud", call="stream", expect=Expect(
            text="1  \n2  \n3", usage=Usage(input=74, output=53), finish_reason=FinishReason.STOP)),
        "error_401": error("ollama/13_v1_error_401_cloud", AuthenticationError, 401),
        "error_400": error("ollama/14_v1_error_400_context_length_cloud",
                           ContextLengthExceededError, 400),
    }


NO_PERPLEXITY_TOOLS = f"no recording of Perplexity answering with a tool call exists: {SEARCHED}"


class TestPerplexity(_Generic):
    """Perplexity's chat completions, at the API's root (``/chat/completions``)."""

    fixtures = FIXTURES / "perplexity"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://api.perplexity.ai"}
    unavailable: ClassVar[dict[str, str]] = {
        **dict.fromkeys(("chat_tool_call", "chat_parallel_tool_calls", "chat_tool_result_followup",
                         "stream_tool_call", "stream_parallel_tool_calls"), NO_PERPLEXITY_TOOLS),
        **dict.fromkeys(("chat_reasoning", "stream_reasoning"), (
            "sonar-reasoning-pro's recorded whole answer carries no reasoning, and its one streamed "
            "answer with reasoning (crmne/ruby_llm, 1.4 MB: every chunk repeats the search results) is "
            f"not kept; of another {SEARCHED}")),
        **dict.fromkeys(("list_models", "embed"), (
            "Perplexity serves its model list and embeddings under /v1, another base URL than its chat "
            "completions: TestPerplexityV1 replays those recordings"))}
    scenarios = {
        "chat_text": chat("perplexity/01_text", expect=Expect(
            text=response_body("perplexity/01_text")["choices"][0]["message"]["content"],
            usage=Usage(input=9, output=12), finish_reason=FinishReason.STOP, model="sonar")),
        "stream_text": chat("perplexity/02_stream_text", call="stream", expect=Expect(
            text="1 2 3", usage=Usage(input=8, output=5), finish_reason=FinishReason.STOP)),
        # The recording's client sent the schema without a name; this plugin names it "response", as
        # OpenAI requires. test_json_schema_request checks the rest.
        "chat_json_schema": chat("perplexity/05_json_schema",
                                 response_format=schema("perplexity/05_json_schema"),
                                 compare=("model", "messages", "stream"), expect=Expect(
            text='{"result":8}', usage=Usage(input=20, output=5))),
        "error_401": error("perplexity/06_error_401", AuthenticationError, 401),
        "error_400": error("perplexity/07_error_400_too_many_prompt_tokens", BadRequestError, 400),
    }

    def test_json_schema_request(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_json_schema"])
        recorded = body("perplexity/05_json_schema")["response_format"]
        assert "name" not in recorded["json_schema"]
        recorded["json_schema"] = {"name": "response", **recorded["json_schema"]}
        assert replayer.sent_json(0)["response_format"] == recorded


class TestPerplexityV1(_Generic):
    """Perplexity's ``/v1`` routes, its model list and embeddings: a configuration of its own. Its
    embeddings come base64-encoded as signed int8 unasked, which the profile table says."""

    fixtures = FIXTURES / "perplexity"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://api.perplexity.ai/v1",
                                          "profile": {"embedding_encoding": "base64_int8"}}
    unavailable: ClassVar[dict[str, str]] = {
        **dict.fromkeys(
            [g.scenario for g in GROUPS if g.scenario not in (None, "list_models", "embed")],
            "Perplexity's chat completions are recorded at /chat/completions: TestPerplexity replays them")}
    scenarios = {
        "list_models": Scenario(recording="08_models", call="list_models", expect=Expect(
            model_ids=[m["id"] for m in response_body("perplexity/08_models")["data"]])),
        "embed": attrs.evolve(embed("perplexity/09_embeddings_int8", vectors=3, dimensions=256),
                              options={"dimensions": 256}, compare=("model", "input", "dimensions")),
    }

    def test_int8_embeddings(self) -> None:
        """Each vector is the recorded bytes read as signed int8: 256 dimensions, not 64 float32s."""
        response, replayer, _ = self.run(self.scenarios["embed"])
        recorded = [base64.b64decode(item["embedding"])
                    for item in response_body("perplexity/09_embeddings_int8")["data"]]
        assert [list(v) for v in response.vectors] == [
            [float(x) for x in struct.unpack(f"{len(raw)}b", raw)] for raw in recorded]
        assert [len(v) for v in response.vectors] == [256, 256, 256]
        assert "encoding_format" not in replayer.sent_json(0)  # as the recorded client: the default


CLASSES = (TestOpenAI, TestDeepSeek, TestGroq, TestMistral, TestTogether, TestAzureAIFoundry,
           TestOpenRouter, TestOllamaLocal, TestOllamaCloud, TestPerplexity, TestPerplexityV1)


def test_every_group_runs_or_says_why_not() -> None:
    """No group of any server is skipped for want of a scenario alone: each runs, has its flag off (the
    server lacks it) or is declared unavailable with the reason (tests/fixtures/README.md lists them)."""
    from modelplex_testing.contract import GROUPS

    unexplained = []
    for cls in CLASSES:
        given = set(cls.scenarios)
        given |= {"stream"} if any(s.call == "stream" and s.expect.error is None
                                   for s in cls.scenarios.values()) else set()
        given |= {"errors"} if any(s.expect.error for s in cls.scenarios.values()) else set()
        for group in GROUPS:
            on = all(getattr(cls, flag) for flag in group.flags)
            if group.scenario and on and group.scenario not in given | set(cls.unavailable):
                unexplained.append(f"{cls.__name__}::{group.test}")
    assert unexplained == []


def test_every_fixture_is_used() -> None:
    """Each copied recording (Responses API ones aside: another wire) backs a scenario or test."""
    used = {f"{c.fixtures.name}/{s.recording}" for c in CLASSES for s in c.scenarios.values()}
    unused = {str(p.relative_to(FIXTURES).with_suffix("")) for p in FIXTURES.glob("*/*.json")
              } - used
    assert unused == {"azure/01_openai_deployment_chat_completions", "azure/02_openai_v1_responses",
                      "azure/05_openai_v1_responses_stream", "together/04_tool_call_deepseek_r1"}


def test_unused_azure_deployment_and_together_recordings_parse(tmp_path: Path) -> None:
    """The two chat recordings without a scenario still parse as their servers meant."""
    from modelplex_openai_compat import OpenAIChatToolCodec, Profile, Stages, parse_response
    from modelplex_openai_compat.call import Call

    from modelplex import ChatRequest

    request = ChatRequest(model="m", messages=[Message.user("x")])
    call = Call(provider="p", model="m", request=request, profile=Profile(),
                codec=OpenAIChatToolCodec(), stages=Stages())
    azure = parse_response(call, response_body("azure/01_openai_deployment_chat_completions"))
    assert azure.text == "The capital of France is **Paris**." and azure.usage == Usage(input=14,
                                                                                        output=9)
    r1 = parse_response(call, response_body("together/04_tool_call_deepseek_r1"))
    assert [(c.name, dict(c.arguments)) for c in r1.tool_calls] == [("final_result",
                                                                     {"response": [2, 3, 5]})]
