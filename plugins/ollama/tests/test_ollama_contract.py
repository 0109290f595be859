"""The provider contract of ``modelplex-testing`` against real recordings of Ollama's native API and
the examples of its API documentation (``fixtures/README.md`` says which is which)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from modelplex_ollama.errors import ModelCapabilityError
from ollama_helpers import FIXTURES, request_body

from modelplex import FinishReason, Message, Tool, Usage
from modelplex.errors import ServerError
from modelplex_testing import Expect, ProviderContract, Scenario


def _tools(name: str) -> list[Tool]:
    return [Tool(name=t["function"]["name"], description=t["function"]["description"],
                 parameters=t["function"]["parameters"]) for t in request_body(name)["tools"]]


def _user(name: str) -> list[Message]:
    return [Message.user(m["content"]) for m in request_body(name)["messages"]]


# langchaingo sends "format": "" when no format is asked for; the plugin sends no format then.
WITH_OPTIONS = ("model", "messages", "tools", "tool_choice", "options")

SCENARIOS = {
    "chat_text": Scenario(
        recording="ollama/01_api_chat_nonstream_docs", model="llama3.2",
        messages=_user("ollama/01_api_chat_nonstream_docs"),
        expect=Expect(text="Hello! How are you today?", finish_reason=FinishReason.STOP,
                      usage=Usage(input=26, output=298), model="llama3.2")),
    "chat_tool_call": Scenario(
        recording="ollama/04_api_chat_nonstream_tools_docs", model="llama3.2",
        messages=_user("ollama/04_api_chat_nonstream_tools_docs"),
        options={"tools": _tools("ollama/04_api_chat_nonstream_tools_docs")},
        expect=Expect(tool_calls=[("get_weather", {"city": "Tokyo"})],
                      finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=169, output=18))),
    "stream_text": Scenario(
        recording="ollama/21_native_api_chat_stream", model="gemma3:1b", call="stream",
        messages=_user("ollama/21_native_api_chat_stream"), options={"temperature": 0},
        compare=WITH_OPTIONS,
        expect=Expect(text="Hello there! How can I help you today? 😊", finish_reason=FinishReason.STOP,
                      usage=Usage(input=11, output=12), model="gemma3:1b")),
    "stream_text_num_predict": Scenario(
        recording="ollama/22_native_api_chat_stream_explicit", model="gemma3:1b", call="stream",
        messages=_user("ollama/22_native_api_chat_stream_explicit"),
        options={"temperature": 0, "max_tokens": 50}, compare=(*WITH_OPTIONS, "stream"),
        expect=Expect(text="Okay, here we go!\n\n1, 2, 3, 4, 5\n", usage=Usage(input=16, output=22),
                      finish_reason=FinishReason.STOP)),
    "stream_json_format": Scenario(
        recording="ollama/23_native_api_chat_format_json_stream", model="gemma3:1b", call="stream",
        messages=_user("ollama/23_native_api_chat_format_json_stream"),
        options={"temperature": 0, "response_format": "json_object"}, compare=(*WITH_OPTIONS, "format"),
        expect=Expect(text='{"answer": "600"}', usage=Usage(input=25, output=9))),
    "stream_docs": Scenario(
        recording="ollama/02_api_chat_stream_docs", model="llama3.2", call="stream",
        messages=_user("ollama/02_api_chat_stream_docs"),
        expect=Expect(text="The", usage=Usage(input=26, output=282), finish_reason=FinishReason.STOP)),
    "stream_tool_call": Scenario(
        recording="ollama/03_api_chat_stream_tools_docs", model="llama3.2", call="stream",
        messages=_user("ollama/03_api_chat_stream_tools_docs"),
        options={"tools": _tools("ollama/03_api_chat_stream_tools_docs")},
        expect=Expect(tool_calls=[("get_weather", {"city": "Tokyo"})],
                      finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=169, output=15))),
    "embed": Scenario(
        recording="ollama/26_native_api_embed", model="nomic-embed-text", call="embed",
        inputs=["Hello world"], options={"temperature": 0}, compare=("model", "options"),
        expect=Expect(vectors=1, dimensions=768)),
    "embed_docs": Scenario(
        recording="ollama/08_api_embed_docs", model="all-minilm", call="embed",
        inputs=["Why is the sky blue?"], compare=("model",), expect=Expect(vectors=1, dimensions=10)),
    "embed_batch": Scenario(
        recording="ollama/09_api_embed_batch_docs", model="all-minilm", call="embed",
        inputs=["Why is the sky blue?", "Why is the grass green?"], compare=("model", "input"),
        expect=Expect(vectors=2, dimensions=10)),
    "list_models": Scenario(
        recording="ollama/05_api_tags_docs", call="list_models",
        expect=Expect(model_ids=["deepseek-r1:latest", "llama3.2:latest"])),
    "error_no_tools": Scenario(
        recording="ollama/27_native_error_400_model_does_not_support_tools", model="gemma3:1b",
        messages=_user("ollama/27_native_error_400_model_does_not_support_tools"),
        options={"tools": _tools("ollama/27_native_error_400_model_does_not_support_tools")},
        expect=Expect(error=ModelCapabilityError, status=400)),
    "error_500": Scenario(
        recording="ollama/17_error_json_docs", model="llama3.2", messages=[Message.user("hi")],
        expect=Expect(error=ServerError, status=500)),
    "error_midstream": Scenario(
        recording="ollama/18_midstream_error_ndjson_docs", model="gemma4", call="stream",
        messages=[Message.user("hi")], expect=Expect(error=ServerError, status=500)),
}


class TestOllamaNative(ProviderContract):
    provider = "ollama"
    fixtures: ClassVar[Path] = FIXTURES
    scenarios: ClassVar[dict[str, Scenario]] = SCENARIOS
    supports_streaming = True
    supports_tools = True
    supports_embeddings = True
    supports_list_models = True
    supports_parallel_tool_calls = True  # no recording of it: test_ollama_e2e.py streams two calls
    # Thinking and JSON Schema output are supported, but no recording of them exists (see
    # fixtures/README.md): the contract skips those groups; test_ollama_e2e.py covers them.
    supports_reasoning = True
    supports_json_schema = True

    def test_stream_with_num_predict(self) -> None:
        self.chat_case("stream_text_num_predict")

    def test_stream_json_format(self) -> None:
        self.chat_case("stream_json_format")

    def test_docs_stream(self) -> None:
        self.chat_case("stream_docs")

    def test_embeddings_docs_example(self) -> None:
        scn = self.scenario("embed_docs")
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        assert response.vectors[0][:2] == (0.010071029, -0.0017594862)
        assert response.usage == Usage(input=8)

    def test_embeddings_batch(self) -> None:
        scn = self.scenario("embed_batch")
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        assert len(response.vectors) == 2 and {len(v) for v in response.vectors} == {10}
        assert response.vectors[1][0] == -0.0098027075

    def test_the_recorded_requests_match_field_for_field(self) -> None:
        """Beyond the compared keys: what the plugin adds to the recorded bodies is only ``stream``."""
        for name in ("stream_text", "stream_json_format", "chat_tool_call"):
            scn = SCENARIOS[name]
            _, replayer, _ = self.run(scn)
            sent: dict[str, Any] = replayer.sent_json(0)
            recorded = dict(self.recording(scn.recording).request_body)
            recorded.pop("format", None) if recorded.get("format") == "" else None
            extra = set(sent) - set(recorded)
            assert extra <= {"stream"}, (name, extra)
            assert {k: sent[k] for k in recorded if k != "stream"} == {
                k: v for k, v in recorded.items() if k != "stream"}, name
