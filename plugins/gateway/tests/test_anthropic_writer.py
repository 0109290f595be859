"""The stream writer (:class:`~modelplex_gateway.anthropic_stream.MessageStream`) fed typed events in the
orders no installed upstream sends on the wire today, each output run through the grammar's state
machine: a usage counted before the first content (a plugin may report it there), Anthropic's redacted
thinking, a signature alone, a tool call whose arguments come whole at its end (no deltas), a call that
ends before it starts, text arriving while parallel calls are still open, a call's thought signature
while another call waits for its block; and packed artefacts read back with the model that made them.
"""

from __future__ import annotations

from anthropic_grammar import Grammar, Result, parse_sse
from modelplex_gateway.anthropic_messages import content_blocks, read_request, unpack_signature
from modelplex_gateway.anthropic_stream import MessageStream

from modelplex import (
    Finished,
    FinishReason,
    Origin,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    Usage,
    UsageReported,
)

FINAL = Usage(input=40, cache_read=10, output=5, reasoning=3)


def _write(events: list[StreamEvent], early: Usage | None = None, estimate: int = 99) -> Result:
    writer = MessageStream(message_id="msg_test", model="prov/model")
    out = writer.start(early, estimate)
    for event in events:
        out += writer.event(event)
    out += writer.finish(FINAL)
    return Grammar().feed_all(parse_sse(out.decode()))


def test_a_usage_counted_before_the_content_is_message_starts() -> None:
    early = Usage(input=40, cache_read=10, cache_write=2)
    result = _write([UsageReported(usage=early), TextDelta(text="Hi"), Finished(reason=FinishReason.STOP)],
                    early=early)
    usage = result.start["usage"]
    counted = (usage["input_tokens"], usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"])
    assert counted == (40, 10, 2)
    assert result.usage["output_tokens"] == 8  # output and reasoning: Anthropic counts thinking as output


def test_without_an_early_count_message_start_carries_the_estimate() -> None:
    result = _write([TextDelta(text="Hi"), Finished(reason=FinishReason.STOP)], estimate=123)
    assert result.start["usage"]["input_tokens"] == 123


def test_redacted_thinking_and_a_lone_signature_are_blocks_of_their_own() -> None:
    result = _write([ReasoningDelta(text="pondering"), ReasoningDelta(signature="sig-1"),
                     ReasoningDelta(redacted_data="ENCRYPTED"), ReasoningDelta(signature="sig-2"),
                     TextDelta(text="Answer."), Finished(reason=FinishReason.STOP)])
    assert [(b.type, b.text, b.signature, b.data) for b in result.blocks] == [
        ("thinking", "pondering", "sig-1", ""), ("redacted_thinking", "", "", "ENCRYPTED"),
        ("thinking", "", "sig-2", ""), ("text", "Answer.", "", "")]


def test_arguments_given_whole_at_the_end_are_one_input_json_delta() -> None:
    call = ToolCallPart(id="c1", name="weather", arguments={"city": "Oslo"})
    unstarted = ToolCallPart(id="c2", name="time", arguments={"tz": "CET"})
    result = _write([ToolCallStarted(index=0, id="c1", name="weather"), ToolCallEnded(index=0, call=call),
                     ToolCallEnded(index=1, call=unstarted), Finished(reason=FinishReason.STOP)])
    assert [(b.name, b.input) for b in result.blocks] == [("weather", {"city": "Oslo"}),
                                                          ("time", {"tz": "CET"})]
    assert result.stop_reason == "tool_use"  # a provider that says "stop" after calling tools


def test_text_while_parallel_calls_are_open_closes_them_first() -> None:
    result = _write([ToolCallStarted(index=0, id="a", name="one"),
                     ToolCallStarted(index=1, id="b", name="two"),
                     ToolCallDelta(index=1, arguments='{"x":'), ToolCallDelta(index=0, arguments='{"y":1}'),
                     ToolCallDelta(index=1, arguments="2}"), TextDelta(text="Done."),
                     Finished(reason=FinishReason.TOOL_CALLS)])
    assert [(b.type, b.input or b.text) for b in result.blocks] == [
        ("tool_use", {"y": 1}), ("tool_use", {"x": 2}), ("text", "Done.")]


def test_a_calls_thought_signature_follows_it_and_waiting_calls_stay_whole() -> None:
    signed = ToolCallPart(id="a", name="one", arguments={"y": 1}, signature="gemini-sig")
    result = _write([ToolCallStarted(index=0, id="a", name="one"),
                     ToolCallStarted(index=1, id="b", name="two"),
                     ToolCallDelta(index=1, arguments='{"x":'), ToolCallDelta(index=0, arguments='{"y":1}'),
                     ToolCallEnded(index=0, call=signed), ToolCallDelta(index=1, arguments="2}"),
                     ToolCallEnded(index=1, call=ToolCallPart(id="b", name="two", arguments={"x": 2})),
                     Finished(reason=FinishReason.TOOL_CALLS)])
    assert [(b.type, b.input) for b in result.blocks] == [
        ("tool_use", {"y": 1}), ("thinking", None), ("tool_use", {"x": 2})]
    assert unpack_signature(result.blocks[1].signature) == ("gemini-sig", None, "a")


def test_packed_artefacts_name_their_maker_whatever_the_next_request_names() -> None:
    reasoning = ReasoningPart(text="t", signature="rs_1", redacted_data="enc",
                              origin=Origin(provider="openai", model="gpt-5.5"))
    call = ToolCallPart(id="c", name="w", arguments={"a": 1}, signature="g-sig",
                        origin=Origin(provider="gemini", model="gemini-3-pro"))
    body = {"model": "gemini/gemini-2.5-flash", "max_tokens": 10, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": content_blocks([reasoning, call])},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c", "content": "ok"}]}]}
    assistant = read_request(body).messages[1]
    # Back as they were made, each with its maker: the core replays them to that model only.
    assert assistant.parts == (reasoning, call)
