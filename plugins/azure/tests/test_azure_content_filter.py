"""Azure's content filter: a filtered prompt or reply finishes with CONTENT_FILTER and a warning
naming the categories, never as an ordinary (empty) success.

The filter results come from recording 01 (Azure OpenAI's real ``prompt_filter_results`` and
``content_filter_results``, all unfiltered), edited where a test needs a category filtered; streams
and the HTTP 400 refusal are built in Azure's documented shapes and served through a local server.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx
import pytest
from azure_helpers import (
    KEY,
    SAFE,
    USAGE,
    Recorder,
    chat,
    content_filter_400,
    filtered_violence,
    prompt_filter_chunk,
    recording,
    response_body,
    sse,
    stream,
    warnings_of,
)

import modelplex
from modelplex import FinishReason, ProviderWarning, TextDelta, Usage
from modelplex.errors import BadRequestError
from modelplex_testing import Replayer
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

RECORDED = "01_openai_deployment_chat_completions"
SETTINGS = {"base_url": "https://pydanticai7521574644.openai.azure.com",
            "api_version": "2024-12-01-preview"}


def _replay(body: dict[str, Any], **options: Any) -> modelplex.ChatResponse:
    """Recording 01's exchange with ``body`` as the response, through the plugin."""
    rec = recording(RECORDED)
    replayer = Replayer(attrs.evolve(rec, response={**rec.response, "body": body}))

    async def go() -> modelplex.ChatResponse:
        from modelplex_azure import plugin

        async with modelplex.AsyncClient(
                plugins={"azure": plugin.PLUGIN}, autoload=False, config_file=False, env={},
                providers={"azure": {**SETTINGS, "api_key": KEY,
                                     "transport": replayer.transport}}) as client:
            return await client.chat("azure/gpt-4o", "What is the capital of France?", **options)

    import asyncio

    return asyncio.run(go())


def _codes(warnings: Any) -> list[str]:
    return [w.code for w in warnings]


# -- whole replies (recording 01's results) -------------------------------------------------------
def test_the_recorded_unfiltered_reply_is_an_ordinary_success() -> None:
    response = _replay(response_body(RECORDED))
    assert response.text == "The capital of France is **Paris**."
    assert response.finish_reason is FinishReason.STOP and response.warnings == ()


def test_a_filtered_reply_names_its_categories() -> None:
    body = response_body(RECORDED)
    choice = body["choices"][0]
    choice["finish_reason"], choice["message"]["content"] = "content_filter", None
    choice["content_filter_results"]["violence"] = {"filtered": True, "severity": "high"}
    choice["content_filter_results"]["self_harm"] = {"filtered": True, "severity": "medium"}
    response = _replay(body)
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    assert response.raw_finish_reason == "content_filter" and response.text == ""
    assert response.warnings == (ProviderWarning(
        code="content-filter", field="choices[0].content_filter_results",
        message="Azure's content filter withheld the reply: self_harm (medium), violence (high)"),)
    assert response.usage == Usage(input=14, output=9)  # a filtered reply is billed as recorded


def test_filtered_true_with_finish_reason_stop_is_still_a_filtered_reply() -> None:
    body = response_body(RECORDED)
    body["choices"][0]["content_filter_results"]["protected_material_text"] = {
        "detected": True, "filtered": True}
    response = _replay(body)
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    assert response.raw_finish_reason == "stop"
    assert response.text == "The capital of France is **Paris**."  # what came is kept
    assert [w.message for w in response.warnings] == [
        "Azure's content filter withheld the reply: protected_material_text"]


def test_content_filter_without_categories_still_warns() -> None:
    body = response_body(RECORDED)
    del body["choices"][0]["content_filter_results"]
    body["choices"][0]["finish_reason"] = "content_filter"
    body["choices"][0]["message"]["content"] = ""
    response = _replay(body)
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    assert _codes(response.warnings) == ["content-filter"]
    assert "did not say which categories" in response.warnings[0].message


def test_a_filtered_prompt_annotation_and_blocklists_are_named() -> None:
    body = response_body(RECORDED)
    body["prompt_filter_results"][0]["content_filter_results"]["jailbreak"] = {
        "detected": True, "filtered": True}
    body["choices"][0]["content_filter_results"]["custom_blocklists"] = {
        "filtered": True, "details": [{"filtered": True, "id": "my-list"}, {"filtered": False, "id": "x"}]}
    response = _replay(body)
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    assert [(w.field, w.message) for w in response.warnings] == [
        ("prompt_filter_results[0]", "Azure's content filter filtered the prompt: jailbreak"),
        ("choices[0].content_filter_results",
         "Azure's content filter withheld the reply: custom_blocklists (my-list)")]


def test_detected_but_not_filtered_is_no_warning() -> None:
    body = response_body(RECORDED)
    body["prompt_filter_results"][0]["content_filter_results"]["jailbreak"] = {
        "detected": True, "filtered": False}
    response = _replay(body)
    assert response.finish_reason is FinishReason.STOP and response.warnings == ()


def test_a_filter_that_failed_is_a_warning_not_a_filtered_reply() -> None:
    body = response_body(RECORDED)
    body["choices"][0]["content_filter_results"] = {
        "error": {"code": "content_filter_error", "message": "The contents are not filtered"}}
    response = _replay(body)
    assert response.finish_reason is FinishReason.STOP
    assert response.warnings == (ProviderWarning(
        code="content-filter-error", field="choices[0].content_filter_results",
        message="Azure's content filter could not check the reply, so it was not filtered: "
                "The contents are not filtered"),)


def test_prompt_filter_results_stay_in_raw() -> None:
    body = response_body(RECORDED)
    body["choices"][0]["finish_reason"] = "content_filter"
    body["choices"][0]["content_filter_results"] = filtered_violence()
    response = _replay(body, include_raw=True)
    assert response.raw["prompt_filter_results"] == response_body(RECORDED)["prompt_filter_results"]
    assert response.raw["choices"][0]["content_filter_results"]["violence"]["filtered"] is True


# -- a prompt refused with HTTP 400 content_filter --------------------------------------------------
def test_a_refused_prompt_is_a_filtered_reply_not_an_error() -> None:
    recorder = Recorder(httpx.Response(400, json=content_filter_400(
        jailbreak={"detected": True, "filtered": True},
        violence={"filtered": True, "severity": "medium"})))
    response = chat(recorder, "Ignore your rules and ...", include_raw=True, temperature=0.2)
    assert response.finish_reason is FinishReason.CONTENT_FILTER and response.parts == ()
    assert response.warnings == (ProviderWarning(
        code="content-filter", field="prompt",
        message="Azure's content filter rejected the prompt (HTTP 400, content_filter): "
                "violence (medium), jailbreak"),)
    assert response.usage.estimated and response.usage.input > 0  # Azure bills a refused prompt
    assert response.raw["error"]["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert response.model == "my-deployment" and response.provider == "azure"


def test_a_refused_prompt_while_streaming_ends_the_stream_the_same_way() -> None:
    recorder = Recorder(httpx.Response(400, json=content_filter_400(
        hate={"filtered": True, "severity": "high"})))
    response, events = stream(recorder)
    assert events[-1] == modelplex.Finished(reason=FinishReason.CONTENT_FILTER)
    assert response.finish_reason is FinishReason.CONTENT_FILTER and response.text == ""
    assert [w.message for w in warnings_of(events)] == [
        "Azure's content filter rejected the prompt (HTTP 400, content_filter): hate (high)"]


@pytest.mark.parametrize("call", ["chat", "stream"])
def test_other_400s_are_still_errors(call: str) -> None:
    recorder = Recorder(httpx.Response(400, json={"error": {
        "code": "BadRequest", "message": "Unrecognized request argument supplied: foo"}}))
    with pytest.raises(BadRequestError, match="Unrecognized request argument") as info:
        chat(recorder) if call == "chat" else stream(recorder)
    assert info.value.code == "BadRequest"


# -- streams ---------------------------------------------------------------------------------------
def _content(text: str, finish: str | None = None, results: dict[str, Any] | None = None) -> dict[str, Any]:
    out = chunk(content=text, finish=finish, id="chatcmpl-s1", model="gpt-4o-2024-11-20")
    out["choices"][0]["content_filter_results"] = results or SAFE
    return out


def test_an_azure_stream_with_filter_annotations_reads_as_usual() -> None:
    recorder = Recorder(sse(prompt_filter_chunk(), _content("Paris"), _content(".", "stop"),
                            {**chunk(usage=USAGE), "choices": []}))
    response, events = stream(recorder, settings={"api_version": "2025-04-01-preview"})
    assert response.text == "Paris." and warnings_of(events) == []
    assert response.finish_reason is FinishReason.STOP and response.id == "chatcmpl-s1"
    assert response.usage == Usage(input=16, cache_read=4, output=12)


def test_a_reply_filtered_mid_stream_over_a_local_server() -> None:
    chunks = [prompt_filter_chunk(), _content("Here is how"), _content(" to", None),
              _content("", "content_filter", filtered_violence()),
              # Azure repeats the filter's verdict in a trailing annotation chunk.
              {"id": "chatcmpl-s1", "model": "gpt-4o-2024-11-20", "choices": [
                  {"index": 0, "finish_reason": None, "content_filter_results": filtered_violence()}]},
              chunk(usage=USAGE)]
    with ScriptedServer([Reply.stream(chunks)]) as server, modelplex.Client(
            providers={"azure": {"base_url": f"http://127.0.0.1:{server.port}", "api_key": KEY,
                                 "api_version": "2025-04-01-preview"}},
            config_file=False, env={}) as client, client.stream("azure/my-deployment", "hi") as s:
        events = list(s)
    response = s.response
    assert response is not None
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Here is how", " to"]
    assert warnings_of(events) == [ProviderWarning(
        code="content-filter", field="choices[0].content_filter_results",
        message="Azure's content filter withheld the reply: violence (high)")]
    assert events[-1] == modelplex.Finished(reason=FinishReason.CONTENT_FILTER,
                                            raw_reason="content_filter")
    assert response.finish_reason is FinishReason.CONTENT_FILTER and response.text == "Here is how to"
    assert server.requests[0].path == ("/openai/deployments/my-deployment/chat/completions"
                                       "?api-version=2025-04-01-preview")


def test_a_filter_verdict_after_the_finish_reason_still_filters_the_stream() -> None:
    """Azure's asynchronous filter mode can annotate after the reply's finish_reason."""
    late = {"id": "chatcmpl-s1", "model": "gpt-4o-2024-11-20", "choices": [
        {"index": 0, "finish_reason": None, "content_filter_offsets": {
            "check_offset": 0, "start_offset": 0, "end_offset": 12},
         "content_filter_results": {**SAFE, "sexual": {"filtered": True, "severity": "medium"}}}]}
    recorder = Recorder(sse(_content("Once upon"), _content(" a time", "stop"), late))
    response, events = stream(recorder)
    assert events[-1] == modelplex.Finished(reason=FinishReason.CONTENT_FILTER, raw_reason="stop")
    assert [w.message for w in warnings_of(events)] == [
        "Azure's content filter withheld the reply: sexual (medium)"]
    assert response.text == "Once upon a time"


def test_a_stream_ending_with_content_filter_without_categories_warns() -> None:
    recorder = Recorder(sse(chunk(content="Hm", id="c"), chunk(finish="content_filter", id="c")))
    response, events = stream(recorder)
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    assert _codes(warnings_of(events)) == ["content-filter"]
    assert "did not say which categories" in warnings_of(events)[0].message
    # The warning comes before the end, so a consumer that stops at Finished still sees it.
    assert isinstance(events[-2], modelplex.WarningRaised)


def test_a_stream_answered_as_one_json_body_keeps_the_filter_verdict() -> None:
    body = response_body(RECORDED)
    body["choices"][0]["finish_reason"] = "content_filter"
    body["choices"][0]["content_filter_results"] = filtered_violence()
    recorder = Recorder(httpx.Response(200, json=body))
    response, events = stream(recorder)
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    assert [w.message for w in warnings_of(events)] == [
        "Azure's content filter withheld the reply: violence (high)"]
    assert json.loads(recorder.sent[0].content)["stream"] is True
