"""The contract machinery, run against real recordings through a minimal example plugin."""

from __future__ import annotations

from pathlib import Path

import example_plugin
import pytest

from modelplex import FinishReason, Message, Tool, Usage
from modelplex.errors import AuthenticationError, ModelNotFoundError
from modelplex_testing import Expect, ProviderContract, Scenario

CAPITAL = Tool(name="get_capital", parameters={
    "additionalProperties": False, "properties": {"country": {"type": "string"}},
    "required": ["country"], "type": "object"}, strict=True)
TEMPERATURE = Tool(name="get_temperature", parameters={
    "additionalProperties": False, "properties": {"city": {"type": "string"}},
    "required": ["city"], "type": "object"}, strict=True)
UK = "What is the capital of the UK? Use the tool, then answer."


class TestExampleContract(ProviderContract):
    provider = "example"
    fixtures = Path(__file__).parent / "fixtures"
    supports_streaming = True
    supports_tools = True
    scenarios = {
        "chat_text": Scenario(
            recording="01_chat_text", model="gpt-4o",
            messages=[Message.system("You are a helpful assistant."),
                      Message.user("What is the capital of France?")],
            expect=Expect(text="The capital of France is Paris.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=24, output=8), model="gpt-4o-2024-08-06")),
        "chat_tool_call": Scenario(
            recording="02_chat_tool_call", model="gpt-4.1-mini",
            messages=[Message.system("You are a helpful assistant."),
                      Message.user("What is the temperature in Tokyo?")],
            options={"tools": [TEMPERATURE]},
            expect=Expect(tool_calls=[("get_temperature", {"city": "Tokyo"})],
                          finish_reason=FinishReason.TOOL_CALLS)),
        "stream_tool_call": Scenario(
            recording="05_chat_stream_tool_call_with_usage", model="gpt-4o-mini", call="stream",
            messages=[Message.user(UK)], options={"tools": [CAPITAL]},
            compare=("model", "tools", "tool_choice"),
            expect=Expect(tool_calls=[("get_capital", {"country": "UK"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=53, output=15))),
        "stream_text": Scenario(
            recording="06_chat_stream_text_with_usage", model="gpt-4o-mini", call="stream",
            messages=[Message.user(UK)], compare=("model",),
            expect=Expect(text="The capital of the UK is London.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=78, output=9))),
        "error_404": Scenario(recording="09_error_404_model_not_found", model="gpt-5.2-proo",
                              messages=[Message.user("hello")],
                              expect=Expect(error=ModelNotFoundError, status=404)),
        "error_401": Scenario(recording="10_error_401_invalid_api_key", model="gpt-5-nano",
                              messages=[Message.user("hello")],
                              expect=Expect(error=AuthenticationError, status=401)),
    }

    def plugin(self) -> object:
        return example_plugin

    def test_entry_point_registers_provider(self) -> None:
        pytest.skip("the example plugin is not installed; installed plugins run this test")


class TestTheContractCatchesMistakes:
    """A contract that cannot fail is worthless: break the plugin's output and watch it fail."""

    def test_wrong_expected_text_fails(self) -> None:
        contract = TestExampleContract()
        scn = contract.scenarios["chat_text"]
        response, _, _ = contract.run(scn)
        bad = Scenario(recording=scn.recording, model=scn.model, messages=scn.messages,
                       expect=Expect(text="Lyon"))
        with pytest.raises(AssertionError):
            contract.check_response(bad, response)

    def test_a_request_body_unlike_the_recording_fails(self) -> None:
        contract = TestExampleContract()
        scn = contract.scenarios["chat_text"]
        other = Scenario(recording=scn.recording, model=scn.model,
                         messages=[Message.user("Something else")])
        _, replayer, _ = contract.run(other)
        with pytest.raises(AssertionError, match="messages"):
            contract.check_sent(other, replayer)

    def test_replayer_reports_what_was_sent(self) -> None:
        contract = TestExampleContract()
        scn = contract.scenarios["chat_tool_call"]
        _, replayer, _ = contract.run(scn)
        assert replayer.sent_json(0)["tools"][0]["function"]["name"] == "get_temperature"
        assert replayer.sent[0].headers["authorization"].startswith("Bearer ")
