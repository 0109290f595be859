"""Messages as ``contents``: roles, merged turns, function responses after their calls, images,
and reasoning and thought signatures replayed only to their own model."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest
from gemini_helpers import request
from hypothesis import given
from hypothesis import strategies as st
from modelplex_gemini.messages import SKIP_SIGNATURE, MessageEncoder, encode_messages, signs_calls
from modelplex_gemini.tools import GeminiToolCodec, call_id

from modelplex import (
    ChatRequest,
    ImagePart,
    Message,
    Origin,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex.errors import ToolError
from modelplex_testing import strategies as mst

GEMINI = Origin(provider="gemini", model="gemini-2.5-flash")
OTHER = Origin(provider="anthropic", model="claude-sonnet-4")


def encode(*messages: Message, model: str = "gemini-2.5-flash") -> Any:
    return encode_messages(request(*messages, model=model), "gemini")


def test_roles_system_instruction_and_merged_turns() -> None:
    out = encode(Message.system("Be brief."), Message.user("a"), Message.user("b"),
                 Message.assistant("c"), Message.assistant("d"), Message.system("Late."),
                 Message.user("e"))
    assert out.system == [{"text": "Be brief."}, {"text": "Late."}]
    assert out.contents == [{"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
                            {"role": "model", "parts": [{"text": "c"}, {"text": "d"}]},
                            {"role": "user", "parts": [{"text": "e"}]}]
    assert [(w.code, w.field) for w in out.warnings] == [("moved-system-message", "messages[5]")]


def test_function_responses_follow_their_calls_in_call_order() -> None:
    a = ToolCallPart(id=call_id("r", 0, "weather"), name="weather", arguments={"city": "Oslo"})
    b = ToolCallPart(id=call_id("r", 1, "time"), name="time")
    c = ToolCallPart(id=call_id("r", 2, "weather"), name="weather", arguments={"city": "Rome"})
    out = encode(Message.user("go"), Message.assistant([TextPart(text="Checking."), a, b, c]),
                 Message.tool(c.id, "rain"), Message.tool(a.id, "sun"),
                 Message.tool(b.id, "noon", is_error=True), Message.user("thanks"))
    assert out.contents[1] == {"role": "model", "parts": [
        {"text": "Checking."},
        {"functionCall": {"name": "weather", "args": {"city": "Oslo"}}},
        {"functionCall": {"name": "time", "args": {}}},
        {"functionCall": {"name": "weather", "args": {"city": "Rome"}}}]}
    assert out.contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "weather", "response": {"output": "sun"}}},
        {"functionResponse": {"name": "time", "response": {"error": "noon"}}},
        {"functionResponse": {"name": "weather", "response": {"output": "rain"}}},
        {"text": "thanks"}]}
    assert len(out.contents) == 3 and out.warnings == []


def test_ids_gemini_or_others_gave_are_sent_back() -> None:
    call = ToolCallPart(id="call_bhZkmIKKItNGJ41whHUHB7p9", name="f", arguments={"x": 1})
    out = encode(Message.user("go"), Message.assistant(call), Message.tool(call.id, "ok", name="f"))
    assert out.contents[1]["parts"] == [{"functionCall": {"id": call.id, "name": "f", "args": {"x": 1}}}]
    assert out.contents[2]["parts"] == [{"functionResponse": {"id": call.id, "name": "f",
                                                              "response": {"output": "ok"}}}]


def test_a_result_for_no_known_call_needs_a_name() -> None:
    named = encode(Message.user("go"), Message.tool("lost", "ok", name="f"))
    assert named.contents[0]["parts"][1]["functionResponse"]["name"] == "f"
    with pytest.raises(ToolError, match=r"'lost'.*no name"):
        encode(Message.user("go"), Message.tool("lost", "ok"))


@pytest.mark.feature("vision", provider="gemini")
def test_images_inline_or_by_uri() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    out = encode(Message.user([
        TextPart(text="What is this?"),
        ImagePart(data=png, media_type="image/png"),
        ImagePart(url=data_url),
        ImagePart(url="https://example.com/cat.jpg"),
        ImagePart(url="https://generativelanguage.googleapis.com/v1beta/files/abc", media_type="image/webp"),
        ImagePart(url="gs://bucket/thing")]))
    b64 = base64.b64encode(png).decode()
    assert out.contents[0]["parts"] == [
        {"text": "What is this?"},
        {"inlineData": {"mimeType": "image/png", "data": b64}},
        {"inlineData": {"mimeType": "image/png", "data": b64}},
        {"fileData": {"fileUri": "https://example.com/cat.jpg", "mimeType": "image/jpeg"}},
        {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc",
                      "mimeType": "image/webp"}},
        {"fileData": {"fileUri": "gs://bucket/thing"}}]


def test_parts_with_no_place_are_dropped_with_a_warning() -> None:
    out = encode(Message.system([TextPart(text="s"), ImagePart(url="https://x/y.png")]),
                 Message.user([TextPart(text="u"), ToolCallPart(id="c", name="f")]))
    assert out.contents == [{"role": "user", "parts": [{"text": "u"}]}]
    assert [(w.code, w.field) for w in out.warnings] == [("dropped-part", "messages[0]"),
                                                         ("dropped-part", "messages[1]")]


# -- reasoning and signatures ---------------------------------------------------------------------


@pytest.mark.feature("reasoning_replay", provider="gemini")
def test_reasoning_and_signatures_go_back_to_their_own_model() -> None:
    reply = Message.assistant([
        ReasoningPart(text="thinking...", origin=GEMINI, signature="SIG-T"),
        TextPart(text="Answer."),
        ReasoningPart(text="", origin=GEMINI, signature="SIG-END")])
    out = encode(Message.user("q"), reply, Message.user("more"))
    assert out.contents[1]["parts"] == [{"text": "thinking...", "thought": True},
                                        {"text": "Answer.", "thoughtSignature": "SIG-T"},
                                        {"text": "", "thoughtSignature": "SIG-END"}]
    assert out.warnings == []


def test_a_signed_thought_with_no_text_after_keeps_its_signature() -> None:
    call = ToolCallPart(id="c", name="f", signature="SIG-C", origin=GEMINI)
    out = encode(Message.user("q"), Message.assistant([
        ReasoningPart(text="plan", origin=GEMINI, signature="SIG-R"), call]),
        Message.tool("c", "done"))
    assert out.contents[1]["parts"] == [
        {"text": "plan", "thought": True, "thoughtSignature": "SIG-R"},
        {"functionCall": {"id": "c", "name": "f", "args": {}}, "thoughtSignature": "SIG-C"}]


def test_other_models_reasoning_and_signatures_are_dropped_with_warnings() -> None:
    other_gemini = Origin(provider="gemini", model="gemini-2.5-pro")
    reply = Message.assistant([
        ReasoningPart(text="claude thinks", origin=OTHER, signature="anthropic-sig"),
        ReasoningPart(text="pro thinks", origin=other_gemini, signature="pro-sig"),
        ReasoningPart(text="who knows"),
        TextPart(text="Answer."),
        ToolCallPart(id="c", name="f", signature="pro-call-sig", origin=other_gemini)])
    out = encode(Message.user("q"), reply, Message.tool("c", "ok"))
    assert out.contents[1]["parts"] == [{"text": "Answer."},
                                        {"functionCall": {"id": "c", "name": "f", "args": {}}}]
    assert [(w.code, w.field) for w in out.warnings] == [
        ("dropped-reasoning", "messages[1]"), ("dropped-reasoning", "messages[1]"),
        ("dropped-reasoning", "messages[1]"), ("dropped-signature", "messages[1]")]
    assert "anthropic/claude-sonnet-4" in out.warnings[0].message
    assert "gemini/gemini-2.5-pro" in out.warnings[3].message


def test_the_same_model_by_another_spelling_is_the_same_model() -> None:
    call = ToolCallPart(id="c", name="f", signature="S", origin=GEMINI)
    out = encode(Message.user("q"), Message.assistant(call), Message.tool("c", "ok"),
                 model="models/gemini-2.5-flash")
    assert out.contents[1]["parts"][0]["thoughtSignature"] == "S" and out.warnings == []
    prefixed = ToolCallPart(id="c", name="f", signature="S",
                            origin=Origin(provider="gemini", model="models/gemini-2.5-flash"))
    out = encode(Message.user("q"), Message.assistant(prefixed), Message.tool("c", "ok"))
    assert out.contents[1]["parts"][0]["thoughtSignature"] == "S" and out.warnings == []


def test_gemini3_gets_the_placeholder_on_each_turns_first_unsigned_call() -> None:
    foreign = [ToolCallPart(id="a", name="f"), ToolCallPart(id="b", name="f")]
    own = ToolCallPart(id="d", name="f", signature="S3", origin=Origin(provider="gemini",
                                                                        model="gemini-3-pro-preview"))
    messages = (Message.user("q"), Message.assistant([TextPart(text="x"), *foreign]),
                Message.tool("a", "1"), Message.tool("b", "2"),
                Message.assistant(own), Message.tool("d", "3"))
    three = encode(*messages, model="gemini-3-pro-preview")
    first, second = three.contents[1]["parts"], three.contents[3]["parts"]
    assert [p.get("thoughtSignature") for p in first] == [None, SKIP_SIGNATURE, None]
    assert second[0]["thoughtSignature"] == "S3"
    older = encode(*messages, model="gemini-2.5-pro")
    assert all("thoughtSignature" not in p for t in older.contents for p in t["parts"])


@pytest.mark.parametrize(("model", "signs"), [("gemini-3-pro-preview", True), ("gemini-3.1-flash", True),
                                              ("models/gemini-3-flash-preview", True),
                                              ("gemini-2.5-flash", False), ("gemini-1.5-pro", False),
                                              ("gemma-3-27b-it", False), ("learnlm-2.0", False)])
def test_which_models_sign_calls(model: str, signs: bool) -> None:
    assert signs_calls(model) is signs


@given(st.lists(mst.messages(), min_size=1, max_size=6))
def test_any_conversation_encodes_to_alternating_non_empty_turns(messages: list[Message]) -> None:
    named = [Message(role=m.role, parts=tuple(
        ToolResultPart(tool_call_id=p.tool_call_id, content=p.content, name=p.name or "f",
                       is_error=p.is_error) if isinstance(p, ToolResultPart) else p
        for p in m.parts)) for m in messages]
    out = encode_messages(ChatRequest(model="gemini-2.5-flash", messages=tuple(named)), "gemini")
    roles = [c["role"] for c in out.contents]
    assert all(r in ("user", "model") for r in roles)
    assert all(a != b for a, b in itertools.pairwise(roles))
    assert all(c["parts"] for c in out.contents)
    for content in out.contents:
        for part in content["parts"]:
            if "functionCall" in part:
                assert content["role"] == "model"
            if "functionResponse" in part:
                assert content["role"] == "user" and part["functionResponse"]["name"]


_PLAIN = st.lists(st.builds(lambda role, text: Message(role=role, parts=text),
                            st.sampled_from(["system", "user", "assistant"]), st.text(max_size=6)),
                  max_size=6)


@given(messages=_PLAIN, model=st.sampled_from(["gemini-2.5-flash", "gemini-3-pro", "models/x"]))
def test_plain_conversations_encode_as_the_full_encoder_does(messages: list[Message], model: str) -> None:
    # encode_messages takes a short way for one-text messages; the full encoder must agree, merged
    # turns and system messages included (a system message after the conversation began goes the
    # full way, with its warning).
    req = ChatRequest(model=model, messages=messages)
    got = encode_messages(req, "gemini")
    full = MessageEncoder(req, "gemini", GeminiToolCodec("gemini")).encode()
    assert (got.contents, got.system, got.warnings) == (full.contents, full.system, full.warnings)
