"""Message encoding: roles, images, tool calls and results, reasoning replay, warnings."""

from __future__ import annotations

from compat_helpers import make_call, recording
from hypothesis import given
from hypothesis import strategies as st
from modelplex_openai_compat import Profile, encode_messages

from modelplex import (
    ImagePart,
    Message,
    Origin,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex_testing import strategies as mst

CALL = ToolCallPart(id="call_1", name="weather", arguments={"city": "Oslo"})
OWN = Origin(provider="acme", model="m-1")


def encode(*messages: Message, profile: Profile | None = None) -> tuple[list, list]:
    return encode_messages(make_call(profile, messages))


def test_plain_roles_travel_as_strings() -> None:
    out, warnings = encode(Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello"))
    assert out == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                   {"role": "assistant", "content": "Hello"}]
    assert warnings == []


def test_images_by_url_and_by_bytes() -> None:
    msg = Message.user([TextPart(text="What is this?"), ImagePart(url="https://x.example/a.png"),
                        ImagePart(data=b"\x89PNG", media_type="image/png")])
    out, warnings = encode(msg)
    assert out == [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://x.example/a.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}}]}]
    assert warnings == []


def test_images_are_dropped_with_a_warning_where_unsupported() -> None:
    out, warnings = encode(Message.user([TextPart(text="Look"), ImagePart(url="https://x/a.png")]),
                           profile=Profile(supports_images=False))
    assert out == [{"role": "user", "content": "Look"}]
    assert [w.code for w in warnings] == ["dropped-part"]


def test_assistant_tool_calls_have_null_content_and_results_become_tool_messages() -> None:
    """The shape OpenAI recorded in openai/06: content null beside tool_calls, then role tool."""
    rec = recording("openai/06_chat_stream_text_with_usage").request_body["messages"]
    out, warnings = encode(
        Message.user("What is the capital of the UK? Use the tool, then answer."),
        Message.assistant(ToolCallPart(id="call_ZR5UUuTt3pf61kjwAJIYdVMj", name="get_capital",
                                       arguments={"country": "UK"})),
        Message.tool("call_ZR5UUuTt3pf61kjwAJIYdVMj", "London"))
    assert out == rec and warnings == []


def test_no_text_beside_tool_calls_is_null_content_never_empty_or_missing() -> None:
    """Null, the key present (vLLM refuses it missing, Bedrock refuses ""; messages.py says why); an
    empty text part the message carries, as Mistral's and xAI's replies do, goes back as given."""
    [out], _ = encode(Message.assistant([CALL]))
    assert "content" in out and out["content"] is None and len(out["tool_calls"]) == 1
    [given], _ = encode(Message.assistant([TextPart(text=""), CALL]))
    assert given["content"] == "" and len(given["tool_calls"]) == 1
    [alone], _ = encode(Message.assistant([TextPart(text="")]))
    assert alone == {"role": "assistant", "content": ""}


def test_several_results_give_one_tool_message_each_in_order() -> None:
    results = [ToolResultPart(tool_call_id="a", content="1"),
               ToolResultPart(tool_call_id="b", content="2")]
    out, _ = encode(Message(role="tool", parts=results))
    assert out == [{"role": "tool", "tool_call_id": "a", "content": "1"},
                   {"role": "tool", "tool_call_id": "b", "content": "2"}]
    out, _ = encode(Message.user([results[0], TextPart(text="and so?")]))
    assert out == [{"role": "tool", "tool_call_id": "a", "content": "1"},
                   {"role": "user", "content": "and so?"}]


def test_an_error_result_is_sent_as_content_with_a_warning() -> None:
    out, warnings = encode(Message.tool("a", "boom", is_error=True))
    assert out == [{"role": "tool", "tool_call_id": "a", "content": "boom"}]
    assert [(w.code, w.field) for w in warnings] == [("dropped-field", "messages[0].is_error")]


def test_text_and_calls_together() -> None:
    out, _ = encode(Message.assistant([TextPart(text="Let me check."), CALL]))
    assert out == [{"role": "assistant", "content": "Let me check.", "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}]}]


def test_reasoning_is_sent_back_only_to_its_origin_and_only_when_the_profile_asks() -> None:
    back = Profile(send_reasoning_back=True, reasoning_fields=("reasoning_content",))
    msg = Message.assistant([ReasoningPart(text="hmm", origin=OWN), CALL])
    out, warnings = encode(msg, profile=back)
    assert out[0]["reasoning_content"] == "hmm" and warnings == []
    # Its own reasoning, to a server that does not take it back: nothing lost, nothing said.
    out, warnings = encode(msg)
    assert "reasoning_content" not in out[0] and warnings == []
    # Another model's or provider's reasoning is never sent, and that is said.
    for origin in (Origin(provider="acme", model="m-2"), Origin(provider="other", model="m-1"), None):
        other = Message.assistant([ReasoningPart(text="hmm", origin=origin), CALL])
        out, warnings = encode(other, profile=back)
        assert "reasoning_content" not in out[0]
        assert [w.code for w in warnings] == ["dropped-reasoning"]


def test_deepseek_thinking_turn_is_replayed_as_recorded() -> None:
    """deepseek/03: the assistant's reasoning_content goes back beside its content and calls."""
    rec = recording("deepseek/03_reasoning_parallel_tool_calls").request_body["messages"][3]
    call = ToolCallPart(id="call_00_sXqYgMESDht75NCLLZtt9804", name="load_capability",
                        arguments={"id": "DICE_ROLL"})
    msg = Message.assistant([ReasoningPart(text=rec["reasoning_content"],
                                           origin=Origin(provider="acme", model="m-1")),
                             TextPart(text=rec["content"]), call])
    out, _ = encode(msg, profile=Profile(send_reasoning_back=True))
    wire_call = dict(rec["tool_calls"][0])
    wire_call["function"] = {**wire_call["function"], "arguments": '{"id":"DICE_ROLL"}'}
    assert out == [{**rec, "tool_calls": [wire_call]}]


@given(st.lists(mst.messages(), min_size=1, max_size=5))
def test_nothing_is_dropped_silently(messages: list[Message]) -> None:
    """Every part is sent or warned about: count what went out against what came in."""
    out, warnings = encode(*messages)
    sent_calls = sum(len(m.get("tool_calls", [])) for m in out)
    sent_results = sum(1 for m in out if m["role"] == "tool")
    assert sent_calls == sum(1 for m in messages if m.role == "assistant"
                             for p in m.parts if isinstance(p, ToolCallPart))
    assert sent_results == sum(1 for m in messages for p in m.parts if isinstance(p, ToolResultPart))
    foreign = [p for m in messages for p in m.parts if isinstance(p, ReasoningPart)
               and p.origin != OWN]
    misplaced = [p for m in messages for p in m.parts
                 if (m.role != "assistant" and isinstance(p, ToolCallPart | ReasoningPart))]
    codes = [w.code for w in warnings]
    assert codes.count("dropped-reasoning") >= len([p for p in foreign
                                                    if p not in misplaced])
    assert codes.count("dropped-part") >= len(misplaced)
