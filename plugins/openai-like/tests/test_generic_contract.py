"""The provider contract for ``openai-like``, once per recorded server, each configured only
through settings (base URL, auth, query, profile), as a user would in the config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

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
from modelplex_testing import Expect, ProviderContract, Scenario

BERLIN = {"latitude": "52.5200", "longitude": "13.4050"}
WITHOUT_MESSAGES = tuple(k for k in EXACT if k != "messages")


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


class _Generic(ProviderContract):
    provider = "openai-like"
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = True


class TestDeepSeek(_Generic):
    fixtures = FIXTURES / "deepseek"
    settings: ClassVar[dict[str, Any]] = {
        "base_url": "https://api.deepseek.com",
        "profile": {"send_reasoning_back": True, "reasoning_fields": ["reasoning_content"]}}
    scenarios = {
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
    scenarios = {
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


class TestMistral(_Generic):
    fixtures = FIXTURES / "mistral"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://api.mistral.ai/v1",
                                          "profile": {"stream_usage": False}}
    scenarios = {
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
    supports_streaming = False  # no recorded Together stream
    scenarios = {
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
    scenarios = {
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


class TestOpenRouter(_Generic):
    fixtures = FIXTURES / "openrouter"
    settings: ClassVar[dict[str, Any]] = {"base_url": "https://openrouter.ai/api/v1"}
    scenarios = {"error_429": error("openrouter/01_error_429", RateLimitError, 429)}

    def test_upstream_message_is_kept(self) -> None:
        with pytest.raises(RateLimitError, match="temporarily rate-limited upstream"):
            self.run(self.scenarios["error_429"])


class TestOllamaLocal(_Generic):
    fixtures = FIXTURES / "ollama"
    settings: ClassVar[dict[str, Any]] = {"base_url": "http://localhost:11434/v1",
                                          "profile": {"reasoning_fields": ["reasoning"]}}
    supports_streaming = False  # the local recordings are whole responses
    scenarios = {
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
    scenarios = {
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


def test_every_fixture_is_used() -> None:
    """Each copied recording (Responses API ones aside: another wire) backs a scenario or test."""
    classes = [TestDeepSeek, TestGroq, TestMistral, TestTogether, TestAzureAIFoundry,
               TestOpenRouter, TestOllamaLocal, TestOllamaCloud]
    used = {f"{c.fixtures.name}/{s.recording}" for c in classes for s in c.scenarios.values()}
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
