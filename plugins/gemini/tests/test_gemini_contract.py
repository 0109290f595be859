"""The provider contract for ``gemini`` against real recorded Gemini API traffic, and what the
recordings show beyond it: thought signatures, follow-ups built from parsed replies, errors."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import attrs
import pytest
from gemini_helpers import FIXTURES, recording
from modelplex_gemini.messages import SKIP_SIGNATURE, encode_messages
from modelplex_gemini.tools import GeminiToolCodec, is_generated

from modelplex import FinishReason, Message, ReasoningPart, TextPart, Tool, ToolCallPart, Usage
from modelplex.errors import AuthenticationError, ModelNotFoundError, RateLimitError
from modelplex_testing import FAKE_KEY, Expect, ProviderContract, Replayer, Scenario

# Every request key a scenario reproduces exactly (where the recording or the plugin has it).
EXACT = ("contents", "systemInstruction", "tools", "toolConfig", "generationConfig")
# pydantic-ai's client asks for text output in every request; with `extra` this plugin sends it too.
TEXT_ONLY = {"generationConfig": {"responseModalities": ["TEXT"]}}

WEATHER = Tool(name="weather", description="Gets current weather for a location", parameters={
    "type": "object", "properties": {
        "latitude": {"type": "string", "description": "Latitude (e.g., 52.5200)"},
        "longitude": {"type": "string", "description": "Longitude (e.g., 13.4050)"}},
    "required": ["latitude", "longitude"]})
LANGUAGE = Tool(name="best_language_to_learn", description="Gets the best language to learn",
                parameters={"type": "object", "properties": {}, "required": []})
BERLIN = "What's the weather in Berlin (52.5200, 13.4050) and what's the best language to learn?"
BERLIN_ARGS = {"latitude": "52.5200", "longitude": "13.4050"}
# What pydantic-ai declared in recording 04, as canonical tools (it sent `parameters_json_schema`).
TOPIC = Tool(name="generate_topic", parameters={"additionalProperties": False, "properties": {},
                                                "type": "object"})
FINAL = Tool(name="final_result", description="The final response which ends this conversation",
             parameters={"properties": {"response": {"items": {"type": "string"}, "type": "array"}},
                         "required": ["response"], "type": "object"})
JOKES = "Tell three jokes. Generate topics with the generate_topic tool."


def _signature(name: str, index: int = 0) -> str:
    """The ``index``-th thought signature in a recorded response (read straight from the file)."""
    rec = recording(name)
    text = rec.response.get("body_text") or json.dumps(rec.response["body"])
    return re.findall(r'"thoughtSignature": ?"([^"]+)"', text)[index]


def _stream_texts(name: str) -> tuple[str, str]:
    """``(thought text, answer text)`` of a recorded stream, read straight from its data lines."""
    thoughts, answer = [], []
    for line in recording(name).response["body_text"].splitlines():
        if line.startswith("data: "):
            for part in json.loads(line[6:])["candidates"][0]["content"]["parts"]:
                (thoughts if part.get("thought") else answer).append(part.get("text", ""))
    return "".join(thoughts), "".join(answer)


def _followup_messages() -> list[Message]:
    """Recording 03's conversation: ruby_llm replayed the one signature of 02 on both calls, and sent
    each tool's output as a JSON object, which this plugin passes through as the response object."""
    origin = {"origin": _origin("gemini-2.5-flash"), "signature": _signature(
        "02_parallel_function_calls")}
    weather = ToolCallPart(id="call_0_6ef9ed484d71", name="weather", arguments=BERLIN_ARGS, **origin)
    language = ToolCallPart(id="call_1_0a1b2c3d4e5f", name="best_language_to_learn", **origin)
    return [Message.user(BERLIN), Message.assistant([weather, language]),
            Message.tool(weather.id, json.dumps({"name": "weather", "content": [{
                "text": "Current weather at 52.5200, 13.4050: 15°C, Wind: 10 km/h"}]},
                ensure_ascii=False)),
            Message.tool(language.id, json.dumps({"name": "best_language_to_learn",
                                                  "content": [{"text": "Ruby"}]}))]


def _origin(model: str) -> Any:
    from modelplex import Origin

    return Origin(provider="gemini", model=model)


THINK = _stream_texts("07_stream_thinking")


class TestGeminiContract(ProviderContract):
    provider = "gemini"
    fixtures = FIXTURES
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True  # no non-streamed recording with thought parts: tested in test_gemini_parse
    supports_json_schema = True  # no recording: tested in test_gemini_e2e
    supports_embeddings = True
    supports_list_models = True  # no recording of /models: tested in test_gemini_provider and e2e
    scenarios: ClassVar[dict[str, Scenario]] = {
        "chat_text": Scenario(
            recording="01_generate_text", model="gemini-2.5-flash",
            messages=[Message.system("You are a chatbot."), Message.user("Hello!")],
            options={"extra": TEXT_ONLY}, compare=EXACT,
            expect=Expect(text="Hello! How can I help you today?", finish_reason=FinishReason.STOP,
                          usage=Usage(input=9, output=9, reasoning=34), model="gemini-2.5-flash")),
        "chat_parallel_tool_calls": Scenario(
            recording="02_parallel_function_calls", model="gemini-2.5-flash",
            messages=[Message.user(BERLIN)], options={"tools": [WEATHER, LANGUAGE]}, compare=EXACT,
            expect=Expect(tool_calls=[("weather", BERLIN_ARGS), ("best_language_to_learn", {})],
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=143, output=44, reasoning=109))),
        "chat_tool_result_followup": Scenario(
            recording="03_function_response_followup", model="gemini-2.5-flash",
            messages=_followup_messages(), options={"tools": [WEATHER, LANGUAGE]}, compare=EXACT,
            expect=Expect(text="The weather in Berlin (52.5200, 13.4050) is 15°C with a wind of 10 "
                               "km/h. The best language to learn is Ruby.",
                          finish_reason=FinishReason.STOP, usage=Usage(input=277, output=47))),
        # pydantic-ai declared its tools with `parameters_json_schema` and listed every tool as
        # allowed for "required": this plugin sends `parameters` and plain ANY (both checked in
        # test_gemini3_request), so those two keys are not compared.
        "chat_tool_call": Scenario(
            recording="04_gemini3_function_calls_thought_signature", model="gemini-3-flash-preview",
            messages=[Message.system(JOKES), Message.user("")],
            options={"tools": [TOPIC, FINAL], "tool_choice": "required", "extra": TEXT_ONLY},
            compare=("contents", "systemInstruction", "generationConfig"),
            expect=Expect(tool_calls=[("generate_topic", {})] * 3,
                          finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=83, output=30, reasoning=190),
                          model="gemini-3-flash-preview")),
        "stream_text": Scenario(
            recording="05_stream_text", model="gemini-2.0-flash-exp", call="stream",
            messages=[Message.system("You are a helpful chatbot."),
                      Message.user("What is the capital of France?")],
            options={"temperature": 0.0}, compare=EXACT,
            expect=Expect(text="The capital of France is Paris.\n", finish_reason=FinishReason.STOP,
                          usage=Usage(input=13, output=8), model="gemini-2.0-flash-exp")),
        "stream_tool_call": Scenario(
            recording="06_stream_function_call", model="gemini-2.5-flash", call="stream",
            messages=[Message.user("What's the weather in Berlin? (52.5200, 13.4050)")],
            options={"tools": [WEATHER]}, compare=EXACT,
            expect=Expect(tool_calls=[("weather", BERLIN_ARGS)], finish_reason=FinishReason.TOOL_CALLS,
                          usage=Usage(input=103, output=30, reasoning=43))),
        "stream_reasoning": Scenario(
            recording="07_stream_thinking", model="gemini-2.5-pro", call="stream",
            messages=[Message.system("You are a helpful assistant."),
                      Message.user("How do I cross the street?")],
            options={"tools": [Tool(name="dummy")],
                     "extra": {"generationConfig": {"thinkingConfig": {"includeThoughts": True}}}},
            compare=EXACT,
            expect=Expect(reasoning=THINK[0], text=THINK[1], finish_reason=FinishReason.STOP,
                          usage=Usage(input=34, output=469, reasoning=787), model="gemini-2.5-pro")),
        "embed": Scenario(
            recording="08_batch_embed_contents", model="gemini-embedding-001", call="embed",
            inputs=["Ruby is a programmer's best friend"], options={"dimensions": 768},
            compare=("requests",), expect=Expect(vectors=1, dimensions=768)),
        "error_400_api_key_invalid": Scenario(
            recording="09_error_400_api_key_invalid", model="gemini-2.5-flash",
            messages=[Message.user("Hello")], compare=EXACT,
            expect=Expect(error=AuthenticationError, status=400)),
        "error_429": Scenario(
            recording="10_error_429_resource_exhausted", model="gemini-2.5-flash",
            messages=[Message.user("Hi")],
            expect=Expect(error=RateLimitError, status=429, retry_after=48.0)),
        "error_404": Scenario(
            recording="11_error_404_model_not_found", model="gemini-3.6-flahs",
            messages=[Message.user("hello")], options={"extra": TEXT_ONLY}, compare=EXACT,
            expect=Expect(error=ModelNotFoundError, status=404)),
        # The Go SDK's request (numeric enums, safety settings): only its contents are this plugin's.
        "error_403": Scenario(
            recording="12_error_403_no_api_key", model="gemini-2.0-flash",
            messages=[Message.user("Hello")], compare=("contents",),
            expect=Expect(error=AuthenticationError, status=403)),
    }

    # -- the wire --------------------------------------------------------------------------------
    def test_the_key_travels_in_a_header_never_in_the_url(self) -> None:
        for name in ("chat_text", "stream_text", "embed"):
            scn = self.scenarios[name]
            _, replayer, _ = self.run(scn)
            sent = replayer.sent[0]
            assert sent.headers["x-goog-api-key"] == FAKE_KEY
            assert "key" not in sent.url.params and "authorization" not in sent.headers
        _, replayer, _ = self.run(self.scenarios["stream_text"])
        assert str(replayer.sent[0].url) == ("https://generativelanguage.googleapis.com/v1beta/models/"
                                             "gemini-2.0-flash-exp:streamGenerateContent?alt=sse")

    @pytest.mark.parametrize("name", ["error_400_api_key_invalid", "error_404", "error_403"])
    def test_error_requests_are_the_recorded_ones(self, name: str) -> None:
        scn = self.scenarios[name]
        replayer = Replayer(self.recording(scn.recording))
        with pytest.raises(scn.expect.error or Exception):
            self.run(scn, replayer)
        self.check_sent(scn, replayer)

    def test_errors_keep_geminis_message_and_reason(self) -> None:
        with pytest.raises(AuthenticationError, match="API key not valid") as auth:
            self.run(self.scenarios["error_400_api_key_invalid"])
        assert auth.value.code == "API_KEY_INVALID" and not auth.value.is_retryable
        with pytest.raises(RateLimitError, match="exceeded your current quota") as limit:
            self.run(self.scenarios["error_429"])
        assert limit.value.code == "RESOURCE_EXHAUSTED" and limit.value.is_retryable
        assert "gemini/gemini-2.5-flash" in str(limit.value)
        with pytest.raises(ModelNotFoundError, match=r"gemini-3\.6-flahs is not found") as missing:
            self.run(self.scenarios["error_404"])
        assert missing.value.model == "gemini-3.6-flahs" and missing.value.code == "NOT_FOUND"

    # -- function calls and thought signatures ---------------------------------------------------
    def test_calls_without_ids_get_stable_plain_unique_ids(self) -> None:
        first, _, _ = self.run(self.scenarios["chat_tool_call"])
        again, _, _ = self.run(self.scenarios["chat_tool_call"])
        ids = [c.id for c in first.tool_calls]
        assert ids == [c.id for c in again.tool_calls] and len(set(ids)) == 3
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) and is_generated(i) for i in ids)
        other, _, _ = self.run(self.scenarios["chat_parallel_tool_calls"])
        assert not set(ids) & {c.id for c in other.tool_calls}

    def test_gemini3_signature_is_kept_on_its_call_only(self) -> None:
        response, _, _ = self.run(self.scenarios["chat_tool_call"])
        signature = _signature("04_gemini3_function_calls_thought_signature")
        first, *rest = response.tool_calls
        assert first.signature == signature and first.origin == _origin("gemini-3-flash-preview")
        assert all(c.signature is None and c.origin is None for c in rest)
        assert signature not in "".join(c.id for c in response.tool_calls)

    def test_gemini3_request(self) -> None:
        """The tools go as `parameters` in Gemini's subset (additionalProperties dropped, warned)
        and "required" as plain ANY, where pydantic-ai sent `parameters_json_schema` and named
        every tool."""
        response, replayer, _ = self.run(self.scenarios["chat_tool_call"])
        body = replayer.sent_json(0)
        assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
        recorded = self.recording("04_gemini3_function_calls_thought_signature").request_body
        declarations = body["tools"][0]["functionDeclarations"]
        assert [d["name"] for d in declarations] == [
            d["name"] for d in recorded["tools"][0]["functionDeclarations"]]
        assert declarations[0]["parameters"] == {"type": "OBJECT", "properties": {}}
        assert declarations[1]["parameters"] == {"type": "OBJECT", "required": ["response"],
                                                 "properties": {"response": {
                                                     "type": "ARRAY", "items": {"type": "STRING"}}}}
        assert [(w.code, w.field) for w in response.warnings] == [
            ("dropped-schema-keyword", "tools.generate_topic.parameters.additionalProperties")]

    @pytest.mark.feature("reasoning_replay")
    def test_signature_replayed_to_the_same_model_only(self) -> None:
        response, _, _ = self.run(self.scenarios["chat_tool_call"])
        signature = _signature("04_gemini3_function_calls_thought_signature")
        conversation = [Message.system(JOKES), Message.user(""), response.message,
                        *[Message.tool(c.id, f"topic {i}") for i, c in enumerate(response.tool_calls)]]

        def sent(model: str) -> Any:
            from modelplex import ChatRequest

            return encode_messages(ChatRequest(model=model, messages=conversation), "gemini")

        same = sent("gemini-3-flash-preview")
        model_turn = same.contents[1]["parts"]
        assert [p.get("thoughtSignature") for p in model_turn] == [signature, None, None]
        assert all("id" not in p["functionCall"] for p in model_turn)
        assert same.warnings == []
        results = same.contents[2]["parts"]
        assert [(r["functionResponse"]["name"], r["functionResponse"]["response"]) for r in results] == [
            ("generate_topic", {"output": f"topic {i}"}) for i in range(3)]

        older = sent("gemini-2.5-flash")
        assert all("thoughtSignature" not in p for p in older.contents[1]["parts"])
        assert [(w.code, w.field) for w in older.warnings] == [("dropped-signature", "messages[2]")]
        assert "gemini/gemini-3-flash-preview" in older.warnings[0].message

        newer = sent("gemini-3-pro-preview")
        assert [p.get("thoughtSignature") for p in newer.contents[1]["parts"]] == [
            SKIP_SIGNATURE, None, None]
        assert [w.code for w in newer.warnings] == ["dropped-signature"]

    def test_followup_built_from_the_parsed_reply(self) -> None:
        """Recording 02's reply, answered, gives recording 03's request but for the signature
        ruby_llm copied onto the second call (Gemini put it on the first only)."""
        response, _, _ = self.run(self.scenarios["chat_parallel_tool_calls"])
        followup = _followup_messages()
        answers = [attrs.evolve(m.parts[0], tool_call_id=c.id)
                   for m, c in zip(followup[2:], response.tool_calls, strict=True)]
        conversation = [followup[0], response.message, *[Message(role="tool", parts=a)
                                                         for a in answers]]
        scn = attrs.evolve(self.scenarios["chat_tool_result_followup"], messages=conversation)
        result, replayer, _ = self.run(scn)
        assert result.text.startswith("The weather in Berlin")
        sent = replayer.sent_json(0)["contents"]
        recorded = self.recording(scn.recording).request_body["contents"]
        del recorded[1]["parts"][1]["thoughtSignature"]
        assert sent == recorded

    # -- streams ---------------------------------------------------------------------------------
    def test_stream_thinking_signature_lands_on_the_reasoning(self) -> None:
        response, _, events = self.run(self.scenarios["stream_reasoning"])
        reasoning, text = response.parts
        assert isinstance(reasoning, ReasoningPart) and isinstance(text, TextPart)
        assert reasoning.signature == _signature("07_stream_thinking")
        assert reasoning.origin == _origin("gemini-2.5-pro")
        assert sum(type(e).__name__ == "ReasoningDelta" for e in events) == 5  # 4 thoughts, 1 signature
        back = encode_messages(self._request("gemini-2.5-pro", response.message), "gemini")
        assert back.contents[1]["parts"] == [
            {"text": THINK[0], "thought": True},
            {"text": THINK[1], "thoughtSignature": reasoning.signature}]

    def test_streamed_call_equals_the_one_replayed(self) -> None:
        response, _, events = self.run(self.scenarios["stream_tool_call"])
        (call,) = response.tool_calls
        assert call.signature == _signature("06_stream_function_call")
        kinds = [type(e).__name__ for e in events]
        assert kinds == ["ResponseStarted", "ToolCallStarted", "ToolCallDelta", "ToolCallEnded",
                         "UsageReported", "Finished"]
        part = GeminiToolCodec().encode_tool_call(call)
        wire = json.loads(recording("06_stream_function_call").response["body_text"][6:])
        recorded = wire["candidates"][0]["content"]["parts"][0]
        assert {**part, "functionCall": {k: v for k, v in part["functionCall"].items() if k != "id"}
                } == recorded

    def test_embedding_values_are_the_recorded_ones(self) -> None:
        response, _, _ = self.run(self.scenarios["embed"])
        body = self.recording("08_batch_embed_contents").response["body"]
        assert list(response.vectors[0]) == body["embeddings"][0]["values"]
        assert response.usage.estimated and response.usage.input > 0

    @staticmethod
    def _request(model: str, reply: Message) -> Any:
        from modelplex import ChatRequest

        return ChatRequest(model=model, messages=(Message.user("How do I cross the street?"), reply))
