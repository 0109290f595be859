"""The provider contract for ``azure``, against real recorded Azure traffic, once per route the
recordings were made on:

* ``01`` was recorded against an Azure OpenAI deployment URL
  (``/openai/deployments/gpt-4o/chat/completions?api-version=2024-12-01-preview``): the default
  ``deployments`` route, configured with that api-version, sends to exactly that URL.
* ``03``, ``04``, ``06`` and ``07`` were recorded against Azure AI Foundry's model inference API
  (``https://rubyllm.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview``),
  which is the plugin's ``route = "foundry"``: configured so, it sends to exactly those URLs.

Not replayed: ``02`` and ``05`` (``/openai/v1/responses``), the Responses API, which this plugin does
not speak yet (see tests/fixtures/README.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from azure_helpers import FIXTURES, recording
from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import FinishReason, Message, ToolCallPart, Usage
from modelplex.errors import AuthenticationError, RateLimitError
from modelplex_testing import FAKE_KEY, Expect, ProviderContract, Scenario

# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
# Left out: "n" (recording 01's client sent its default, n=1; this plugin sends no n).
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format")
BERLIN = {"latitude": "52.5200", "longitude": "13.4050"}


def _user(name: str) -> list[Message]:
    body = recording(name).request_body
    return [Message.user(m["content"]) for m in body["messages"]]


class _Azure(ProviderContract):
    provider = "azure"
    fixtures = FIXTURES
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    # Azure OpenAI's Chat Completions returns no reasoning text (reasoning models report only
    # reasoning_tokens), so the reasoning groups stay off.
    supports_reasoning = False
    supports_json_schema = True  # no Azure recording of it: the e2e tests check the body
    supports_embeddings = True  # no Azure recording of it: test_azure_plugin.py checks the URL and body
    # list_models reads the configured deployments and sends no request, which the contract's
    # list_models group (it asserts a request was sent) cannot replay: tested in test_azure_plugin.py.
    supports_list_models = True


class TestAzureOpenAIDeploymentsContract(_Azure):
    """Recording 01, the classic deployment URL, on the default route."""

    settings: ClassVar[dict[str, Any]] = {"base_url": "https://pydanticai7521574644.openai.azure.com",
                                          "api_version": "2024-12-01-preview"}
    scenarios = {
        "chat_text": Scenario(
            recording="01_openai_deployment_chat_completions", model="gpt-4o",
            messages=_user("01_openai_deployment_chat_completions"), compare=EXACT,
            expect=Expect(text="The capital of France is **Paris**.", finish_reason=FinishReason.STOP,
                          usage=Usage(input=14, output=9), model="gpt-4o-2024-11-20")),
    }

    def test_url_is_the_recorded_one_with_its_api_version(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        assert str(replayer.sent[0].url) == recording("01_openai_deployment_chat_completions").request["url"]

    def test_the_key_travels_in_the_api_key_header(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        headers = replayer.sent[0].headers
        assert headers["api-key"] == FAKE_KEY and "authorization" not in headers

    def test_unfiltered_reply_has_no_filter_warning_and_keeps_the_results_in_raw(self) -> None:
        scn = self.scenarios["chat_text"]
        response, _, _ = self.run(Scenario(recording=scn.recording, model=scn.model,
                                           messages=scn.messages, options={"include_raw": True}))
        recorded = recording(scn.recording).response["body"]
        assert response.warnings == () and response.finish_reason is FinishReason.STOP
        assert response.raw["prompt_filter_results"] == recorded["prompt_filter_results"]
        assert response.raw["choices"][0]["content_filter_results"] == (
            recorded["choices"][0]["content_filter_results"])


class TestAzureAIFoundryContract(_Azure):
    """Recordings 03, 04, 06, 07: Azure AI Foundry's ``/models/chat/completions``, which is
    ``route = "foundry"`` (its default api-version is the recorded ``2024-05-01-preview``)."""

    settings: ClassVar[dict[str, Any]] = {"base_url": "https://rubyllm.services.ai.azure.com",
                                          "route": "foundry"}
    scenarios = {
        "chat_parallel_tool_calls": Scenario(
            recording="03_foundry_parallel_tool_calls", model="grok-4-1-fast-non-reasoning",
            messages=_user("03_foundry_parallel_tool_calls"),
            options={"tools": OpenAIChatToolCodec().decode_tools(
                recording("03_foundry_parallel_tool_calls").request_body["tools"])},
            compare=EXACT,
            # The server reported 387 cached of 293 prompt tokens; the buckets hold it to its total.
            expect=Expect(tool_calls=[("weather", BERLIN), ("best_language_to_learn", {})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(cache_read=293, output=58),
                          model="grok-4-1-fast-non-reasoning")),
        "stream_text": Scenario(
            recording="04_foundry_stream_text", model="grok-4-1-fast-non-reasoning", call="stream",
            messages=_user("04_foundry_stream_text"), compare=EXACT,
            expect=Expect(text="1, 2, 3.", finish_reason=FinishReason.STOP,
                          usage=Usage(cache_read=7, output=8), model="grok-4-1-fast-non-reasoning")),
        "error_401": Scenario(recording="06_error_401", model="grok-4-1-fast-non-reasoning",
                              messages=[Message.user("Hello")],
                              expect=Expect(error=AuthenticationError, status=401)),
        # Foundry answered an oversized request with 429 RateLimitReached and no Retry-After.
        "error_429": Scenario(recording="07_error_429", model="grok-4-1-fast-non-reasoning",
                              messages=[Message.user("Hi")],
                              expect=Expect(error=RateLimitError, status=429)),
    }

    def test_urls_are_the_recorded_ones(self) -> None:
        for name in ("chat_parallel_tool_calls", "stream_text"):
            scn = self.scenarios[name]
            _, replayer, _ = self.run(scn)
            assert str(replayer.sent[0].url) == recording(scn.recording).request["url"]
            assert replayer.sent[0].headers["api-key"] == FAKE_KEY
            assert "authorization" not in replayer.sent[0].headers

    def test_tool_call_ids_and_arguments_are_the_recorded_ones(self) -> None:
        response, _, _ = self.run(self.scenarios["chat_parallel_tool_calls"])
        assert response.tool_calls == (
            ToolCallPart(id="call_49676659", name="weather", arguments=BERLIN),
            ToolCallPart(id="call_06735833", name="best_language_to_learn", arguments={}))

    def test_errors_keep_azures_message(self) -> None:
        import pytest

        with pytest.raises(AuthenticationError, match="Access denied due to invalid subscription key"):
            self.run(self.scenarios["error_401"])
        with pytest.raises(RateLimitError, match="exceeded rate limit") as info:
            self.run(self.scenarios["error_429"])
        assert info.value.code == "RateLimitReached" and info.value.retry_after is None
        assert info.value.is_retryable
