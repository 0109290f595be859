"""Whole replies from ``/v2/chat`` read into a ChatResponse: the recorded shapes (citations, thinking,
a cut reply, a tool without parameters, cached tokens) and malformed replies named by their JSON path."""

from __future__ import annotations

from typing import Any

import pytest
from cohere_helpers import recording
from modelplex_cohere.reply import parse_reply
from modelplex_cohere.tools import ToolCodec
from modelplex_cohere.usage import FINISH, finish_reason

from modelplex import Citation, CitationSource, FinishReason, Origin, ReasoningPart, TextPart, Usage
from modelplex.errors import ResponseParseError


def parse(data: Any, model: str = "command-r") -> Any:
    return parse_reply(data, provider="cohere", model=model, codec=ToolCodec())


def body(name: str) -> Any:
    return recording(name).response["body"]


def test_citations_point_into_the_text_at_their_documents() -> None:
    response = parse(body("08_chat_citations"))
    assert response.text == "The sky is green."
    assert response.citations == (Citation(text="green.", start=11, end=17, sources=[CitationSource(
        kind="document", id="doc-0", text="The sky is green.")]),)
    assert response.text[11:17] == "green."


def test_thinking_is_reasoning_kept_for_cohere_then_the_call() -> None:
    response = parse(body("11_chat_thinking_tool_call"), model="command-a-reasoning-08-2025")
    thinking, call = response.parts
    assert isinstance(thinking, ReasoningPart) and thinking.text.startswith("Okay, the user is asking")
    assert thinking.origin == Origin(provider="cohere", model="command-a-reasoning-08-2025")
    assert call.name == "get_the_weather" and response.finish_reason is FinishReason.TOOL_CALLS


def test_a_reply_cut_by_max_tokens() -> None:
    response = parse(body("14_chat_max_tokens"))
    assert response.parts == (TextPart(text="**The History of"),)
    assert (response.finish_reason, response.raw_finish_reason) == (FinishReason.LENGTH, "MAX_TOKENS")
    assert response.usage == Usage(input=11, output=4)


def test_null_arguments_are_no_arguments_and_no_warning() -> None:
    response = parse(body("15_chat_null_arguments"))
    (call,) = response.tool_calls
    assert (call.name, dict(call.arguments), call.raw_arguments) == ("currentTime", {}, None)
    assert response.warnings == ()


def test_usage_is_what_cohere_bills_not_what_the_model_saw() -> None:
    """Recording 10: 1,453 tokens seen (Cohere's own preamble, 1,024 of them cached), 35 billed."""
    data = body("10_chat_tool_required")
    assert data["usage"]["tokens"]["input_tokens"] == 1453 and data["usage"]["cached_tokens"] == 1024
    assert parse(data, "command-r7b-12-2024").usage == Usage(input=35, output=22)
    no_bill = {**data, "usage": {"tokens": {"input_tokens": 5, "output_tokens": 2}}}
    assert parse(no_bill).usage == Usage(input=5, output=2)
    assert parse({**data, "usage": {}}).usage == Usage(estimated=True)
    missing = {k: v for k, v in data.items() if k != "usage"}
    assert parse(missing).usage.estimated


def test_every_documented_finish_reason_maps() -> None:
    assert set(FINISH) == {"COMPLETE", "STOP_SEQUENCE", "MAX_TOKENS", "ERROR_LIMIT", "TOOL_CALL", "ERROR",
                           "TIMEOUT", "ERROR_TOXIC"}
    assert finish_reason("USER_CANCEL") is FinishReason.OTHER and finish_reason(None) is FinishReason.OTHER
    assert finish_reason("ERROR_TOXIC") is FinishReason.CONTENT_FILTER


@pytest.mark.parametrize(("broken", "field"), [
    ({"message": "hi"}, "message"),
    ({"message": {"content": [{"type": "text", "text": 5}]}}, "message.content[0].text"),
    ({"message": {"content": [{"text": "no type"}]}}, "message.content[0].type"),
    ({"message": {"tool_calls": [{"id": "x", "function": {}}]}}, "message.tool_calls[0].function.name"),
    ({"message": {"citations": [{"start": "11"}]}}, "message.citations[0].start"),
    ({"message": {}, "usage": {"billed_units": {"input_tokens": "4"}}}, "usage.billed_units.input_tokens"),
])
def test_a_malformed_reply_names_its_path(broken: dict[str, Any], field: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        parse(broken)
    assert info.value.field == field and info.value.provider == "cohere"


def test_content_items_cohere_adds_later_are_skipped() -> None:
    response = parse({"message": {"content": [{"type": "image", "url": "x"}, {"type": "text", "text": "ok"}]},
                      "finish_reason": "COMPLETE"})
    assert response.parts == (TextPart(text="ok"),)
