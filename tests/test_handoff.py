"""Hand-off: a conversation with tool calls, results and reasoning, had with one provider, continued on
every other (and on the same one).

Each source is a real recorded reply replayed through its own plugin (see ``handoff_cases``); the
conversation is the recorded prompt, that reply, a result for each call (in reverse order) and, in the
``followup`` variant, one more user turn. It is sent to every installed provider; the captured request
must keep that provider's rules (``wire_rules``), and:

* every call reaches the wire in order, with its name and arguments, and every result answers, by id
  (or, where the wire has none, by position), the very call it answered in the canonical conversation,
  right after that call's turn: an id a target refuses is rewritten, the call and its result alike;
  an id it takes is left alone;
* reasoning goes back only to the provider and model that produced it, unchanged (signature, item id,
  encrypted content); for any other, none of it is on the wire and a ``dropped-reasoning`` warning names
  the message it was dropped from (``dropped-signature`` for a Gemini call's thought signature).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from typing import Any

import attrs
import pytest
from handoff_cases import (
    FOLLOWUP,
    SOURCES,
    TARGETS,
    VARIANTS,
    Replayed,
    Source,
    Target,
    client,
    continue_on,
    conversation,
    installed,
    origin,
    recording,
    source_model,
    sources,
    target_models,
    targets,
)
from wire_rules import (
    Wire,
    check_anthropic,
    check_cohere,
    check_deepseek,
    check_gemini,
    check_ollama,
    check_openai_chat,
    check_openai_responses,
)

from modelplex import ChatResponse, Message, ProviderWarning, ReasoningPart, ToolCallPart, ToolResultPart
from modelplex_testing import Replayer


def _cases() -> list[Any]:
    out = []
    for source in sources():
        for target in targets():
            for model in target_models(target, source):
                same = target.provider == source.provider and model == source_model(source)
                for variant in VARIANTS:
                    label = f"{source.label}->{target.label}:{model}:{variant}{':same' if same else ''}"
                    out.append(pytest.param(source, target, model, variant, id=label))
    return out


# Mistral: "Tool call id was call_05822893 but must be a-z, A-Z, 0-9, with a length of 9" (400).
MISTRAL_ID = re.compile(r"[A-Za-z0-9]{9}\Z")


def check_mistral(body: dict[str, Any]) -> Wire:
    """Chat Completions' rules, and every call's and result's id exactly nine letters and digits;
    reasoning is an assistant's ``thinking`` content chunks."""
    wire = check_openai_chat(body)
    for sent in [*wire.calls, *wire.results]:
        assert sent.id is not None and MISTRAL_ID.match(sent.id), f"the id {sent.id!r} breaks Mistral's rule"
    thinking = [(index, "thinking", "".join(p["text"] for p in chunk["thinking"]))
                for index, message in enumerate(body["messages"]) if message["role"] == "assistant"
                and isinstance(message.get("content"), list)
                for chunk in message["content"] if chunk.get("type") == "thinking"]
    return attrs.evolve(wire, id_rule=MISTRAL_ID, reasoning=[*wire.reasoning, *thinking])


def check_wire(target: Target, model: str, body: dict[str, Any]) -> Wire:
    if target.rules == "deepseek":
        return check_deepseek(body)
    if target.rules == "mistral":
        return check_mistral(body)
    if target.wire == "openai-chat":
        return check_openai_chat(body)
    if target.wire == "openai-responses":
        return check_openai_responses(body)
    if target.wire == "anthropic":
        return check_anthropic(body)
    if target.wire == "gemini":
        return check_gemini(body, signs_calls=int(model.split("-")[1].split(".")[0]) >= 3)
    if target.wire == "ollama":
        return check_ollama(body)
    if target.wire == "cohere":
        return check_cohere(body)
    raise AssertionError(f"no rules for the wire {target.wire!r}")


# -- calls and results --------------------------------------------------------------------------------


def canonical_calls(messages: Sequence[Message]) -> tuple[list[tuple[int, int, ToolCallPart]],
                                                          list[tuple[ToolResultPart, int]]]:
    """``[(group, slot, call)]`` in order, and each result with the index of the call it answers: the
    latest call with its id (``call_0`` may come again in a later turn)."""
    calls: list[tuple[int, int, ToolCallPart]] = []
    results: list[tuple[ToolResultPart, int]] = []
    latest: dict[str, int] = {}
    group = -1
    for message in messages:
        if message.role == "assistant" and message.tool_calls:
            group += 1
            for slot, call in enumerate(message.tool_calls):
                latest[call.id] = len(calls)
                calls.append((group, slot, call))
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                results.append((part, latest[part.tool_call_id]))
    return calls, results


def assert_calls_and_results(messages: Sequence[Message], wire: Wire) -> None:
    calls, results = canonical_calls(messages)
    assert len(wire.calls) == len(calls), "every call, and only those, goes on the wire"
    all_ids = [c.id for _, _, c in calls]
    for (group, slot, call), sent in zip(calls, wire.calls, strict=True):
        assert (sent.name, sent.group, sent.slot) == (call.name, group, slot)
        assert json.dumps(sent.arguments, sort_keys=True) == json.dumps(dict(call.arguments), sort_keys=True)
        takes_it = wire.id_rule is None or wire.id_rule.match(call.id)
        unique = all_ids.count(call.id) == 1
        if takes_it and unique and sent.id is not None:
            assert sent.id == call.id, f"the id {call.id!r} was fine as it was, yet rewritten to {sent.id!r}"
    if wire.request_unique_ids:
        ids = [c.id for c in wire.calls]
        assert len(ids) == len(set(ids)), f"ids repeat in the request: {ids}"
    assert len(wire.results) == len(results), "every result, and only those, goes on the wire"
    for result, index in results:
        [answer] = [r for r in wire.results if r.content == result.content]
        asked = wire.calls[index]
        assert answer.group == asked.group, f"the result for {result.tool_call_id!r} left its call's turn"
        if answer.id is not None and asked.id is not None:
            assert answer.id == asked.id, (f"{result.tool_call_id!r}: the call went as {asked.id!r}, its "
                                           f"result as {answer.id!r}")
        else:
            assert answer.slot == asked.slot, f"{result.tool_call_id!r}: matched by position, out of place"
        if answer.name is not None:
            assert answer.name == asked.name


# -- reasoning ----------------------------------------------------------------------------------------


def _is_from(origin_: Any, provider: str, model: str) -> bool:
    return origin_ is not None and (origin_.provider, origin_.model) == (provider, model)


def assert_reasoning(messages: Sequence[Message], wire: Wire, target: Target, model: str,
                     warnings: Sequence[ProviderWarning]) -> None:
    own: list[ReasoningPart] = []
    own_signed_calls: list[ToolCallPart] = []
    dropped_at: set[str] = set()
    foreign_signatures_at: set[str] = set()
    for index, message in enumerate(messages):
        for part in message.parts:
            if isinstance(part, ReasoningPart):
                if _is_from(part.origin, target.provider, model):
                    own.append(part)
                else:
                    dropped_at.add(f"messages[{index}]")
            elif isinstance(part, ToolCallPart) and part.signature is not None:
                if _is_from(part.origin, target.provider, model):
                    own_signed_calls.append(part)
                else:
                    foreign_signatures_at.add(f"messages[{index}]")
    found = {(w.code, w.field) for w in warnings}
    for field in sorted(dropped_at):
        assert ("dropped-reasoning", field) in found, f"reasoning dropped from {field} without a warning"
    if target.wire == "gemini":
        for field in sorted(foreign_signatures_at):
            assert ("dropped-signature", field) in found, f"signature dropped from {field} silently"
    artefacts = [(kind, value) for _, kind, value in wire.reasoning]
    if not target.replays_reasoning:
        assert artefacts == [], f"{target.label} takes no reasoning back, yet got {artefacts}"
        return
    expected = expected_artefacts(target.rules if target.rules in ("openrouter", "mistral") else target.wire,
                                  own, own_signed_calls)
    assert sorted(artefacts, key=repr) == sorted(expected, key=repr), (
        "only the target's own reasoning goes back, unchanged")


def assert_call_signatures(messages: Sequence[Message], wire: Wire, target: Target, model: str) -> None:
    """A call's thought signature goes back with it to its own model only, unchanged."""
    calls, _ = canonical_calls(messages)
    for (_, _, call), sent in zip(calls, wire.calls, strict=True):
        own = call.signature is not None and _is_from(call.origin, target.provider, model)
        assert sent.signature == (call.signature if own else None)


def expected_artefacts(wire: str, own: list[ReasoningPart], calls: list[ToolCallPart]) -> list[Any]:
    if wire == "anthropic":
        return [("redacted_thinking", {"data": p.redacted_data}) if p.redacted_data is not None else
                ("thinking", {"thinking": p.text, "signature": p.signature}) for p in own if p.signature
                or p.redacted_data]
    if wire == "openai-responses":
        out = []
        for p in own:
            if not p.signature:
                continue
            item: dict[str, Any] = {"id": p.signature, "summary": (
                [{"type": "summary_text", "text": p.text}] if p.text else [])}
            if p.redacted_data is not None:
                item["encrypted_content"] = p.redacted_data
            out.append(("reasoning", item))
        return out
    if wire == "gemini":
        thoughts = [("thought", p.text) for p in own if p.text]
        signatures = [*(p.signature for p in own), *(c.signature for c in calls)]
        return [*thoughts, *(("thoughtSignature", s) for s in signatures if s)]
    if wire == "openai-chat":
        return [("reasoning_content", p.text) for p in own if p.text]
    if wire == "mistral":  # a thinking chunk before the text
        return [("thinking", p.text) for p in own if p.text]
    if wire == "openrouter":  # one reasoning_details list on the message, the details as they came
        details = [{"type": "reasoning.encrypted", "data": p.redacted_data, "id": p.signature}
                   if p.redacted_data is not None else
                   {"type": "reasoning.text", "text": p.text, "signature": p.signature} for p in own]
        return [("reasoning_details", details)] if details else []
    if wire == "ollama":
        return [("thinking", p.text) for p in own if p.text]
    if wire == "cohere":  # the plan written before the calls, with them
        return [("tool_plan", p.text) for p in own if p.text]
    raise AssertionError(wire)


# -- the tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target", "model", "variant"), _cases())
def test_handoff(source: Source, target: Target, model: str, variant: str) -> None:
    made: Replayed = origin(source.label)
    messages = conversation(made, variant)
    sent = continue_on(target, model, messages, made.tools)
    wire = check_wire(target, model, sent.body)
    assert_calls_and_results(messages, wire)
    assert_call_signatures(messages, wire, target, model)
    assert_reasoning(messages, wire, target, model, sent.response.warnings)


# Replicate's language models take one prompt and no tool definitions: a tool conversation handed to
# them is written into the prompt, which test_a_tool_conversation_handed_to_replicate_is_written_out
# checks; with no tool calls of its own, it is no source either.
PROMPT_ONLY = {"replicate"}


def test_every_installed_provider_is_a_target() -> None:
    """A newly installed provider needs its wire rules here before it counts as covered."""
    covered = {t.provider for t in TARGETS} | PROMPT_ONLY
    assert installed() - {"fake"} <= covered, f"no hand-off target for {installed() - covered - {'fake'}}"


def test_every_installed_provider_is_a_source() -> None:
    covered = {s.plugin for s in SOURCES} | PROMPT_ONLY
    assert installed() - {"fake"} <= covered | {"openai-like"}, (
        f"no recorded conversation from {installed() - covered - {'fake'}}")


@pytest.mark.parametrize("label", [s.label for s in SOURCES if s.recording is not None])
def test_the_sources_hold_what_they_are_chosen_for(label: str) -> None:
    """Guards the test itself: a replay that lost the calls or the reasoning would test nothing."""
    if next(s for s in SOURCES if s.label == label).plugin not in installed():
        pytest.skip("plugin not installed")
    made = origin(label)
    reply = made.reply[-1]
    assert reply.tool_calls and all(c.id for c in reply.tool_calls)
    reasoning = [p for p in reply.parts if isinstance(p, ReasoningPart)]
    if label in ("openai-responses-reasoning", "anthropic-thinking", "deepseek-reasoning",
                 "groq-reasoning-stream", "ollama-v1-reasoning", "openrouter-signed-reasoning"):
        assert reasoning and all(p.origin is not None for p in reasoning)
        assert all(p.origin.provider == made.source.provider for p in reasoning if p.origin)
    if label.startswith("gemini"):
        assert reply.tool_calls[0].signature and reply.tool_calls[0].origin is not None
    if label == "openrouter-signed-reasoning":
        assert all(p.signature for p in reasoning)


# The recorded artefact each reasoning source must bring back to its own model, read from the
# recording itself (not from what the plugin parsed): (source, target, path to it in the response).
REPLAYED = {
    "openai-responses-reasoning": ("openai-responses", ("output", 0)),
    "anthropic-thinking": ("anthropic", ("content", 0)),
    "gemini-3-signatures": ("gemini", ("candidates", 0, "content", "parts", 0)),
    "gemini-parallel": ("gemini", ("candidates", 0, "content", "parts", 0)),
    "deepseek-reasoning": ("deepseek", ("choices", 0, "message")),
    "openrouter-signed-reasoning": ("openrouter", ("choices", 0, "message", "reasoning_details", 0)),
    "cohere-plan-call": ("cohere", ("message",)),
}


def _recorded(source: Source, path: tuple[Any, ...]) -> Any:
    assert source.recording is not None
    response = recording(source.recording).response
    # OpenRouter's whole replies are kept verbatim (leading whitespace and all) as body_text.
    node: Any = response["body"] if "body" in response else json.loads(response["body_text"])
    for key in path:
        node = node[key]
    return node


@pytest.mark.parametrize("label", sorted(REPLAYED))
def test_reasoning_goes_back_unchanged_to_its_own_model_and_to_no_other(label: str) -> None:
    """The same conversation continued on the same provider and model carries the recorded reasoning
    artefact byte for byte; on another model of that provider, none of it, and a warning."""
    source = next(s for s in SOURCES if s.label == label)
    if source.plugin not in installed():
        pytest.skip("plugin not installed")
    target_label, path = REPLAYED[label]
    target = next(t for t in TARGETS if t.label == target_label)
    made = origin(label)
    recorded = _recorded(source, path)
    messages = conversation(made, "loop")
    same, other = target_models(target, source)
    body = json.dumps(continue_on(target, same, messages, made.tools).body)
    if label.startswith("openai"):
        found = [i for i in json.loads(body)["input"] if i.get("type") == "reasoning"]
        assert [(i["id"], i["encrypted_content"]) for i in found] == [
            (recorded["id"], recorded["encrypted_content"])]
    elif label.startswith("anthropic"):
        [turn] = [m for m in json.loads(body)["messages"] if m["role"] == "assistant"]
        assert turn["content"][0] == {"type": "thinking", "thinking": recorded["thinking"],
                                      "signature": recorded["signature"]}
    elif label.startswith("openrouter"):
        [turn] = [m for m in json.loads(body)["messages"] if m["role"] == "assistant"]
        assert turn["reasoning_details"] == [{"type": recorded["type"], "text": recorded["text"],
                                              "signature": recorded["signature"]}]
    elif label.startswith("cohere"):
        [turn] = [m for m in json.loads(body)["messages"] if m["role"] == "assistant"]
        assert turn["tool_plan"] == recorded["tool_plan"]
    elif label.startswith("gemini"):
        [turn] = [c for c in json.loads(body)["contents"] if c["role"] == "model"]
        assert turn["parts"][0]["thoughtSignature"] == recorded["thoughtSignature"]
        assert turn["parts"][0]["functionCall"]["name"] == recorded["functionCall"]["name"]
    else:
        [turn] = [m for m in json.loads(body)["messages"] if m["role"] == "assistant"]
        assert turn["reasoning_content"] == recorded["reasoning_content"]
    secret = recorded.get("signature") or recorded.get("thoughtSignature") or recorded.get(
        "encrypted_content") or recorded.get("tool_plan") or recorded["reasoning_content"]
    assert secret in body
    elsewhere = continue_on(target, other, messages, made.tools)
    assert secret not in json.dumps(elsewhere.body)
    codes = {w.code for w in elsewhere.response.warnings}
    assert codes & {"dropped-reasoning", "dropped-signature"}


@pytest.mark.parametrize("label", [s.label for s in SOURCES])
def test_a_tool_conversation_handed_to_replicate_is_written_out(label: str) -> None:
    """Every call and every result reaches Replicate's prompt, in order, as text; the tool definitions
    and the reasoning do not, and each thing that could not go as it was is a warning."""
    source = next(s for s in SOURCES if s.label == label)
    if not {"replicate", source.plugin} <= installed():
        pytest.skip("plugin not installed")
    made = origin(label)
    messages = conversation(made, "followup")
    replayer = Replayer(recording("replicate/01_create_wait"), recording("replicate/01_get_succeeded"))

    async def go() -> ChatResponse:
        async with client("replicate", {"poll_interval": 0.01}, replayer.transport) as c:
            return await c.chat("replicate/meta/meta-llama-3-8b-instruct", messages, tools=list(made.tools))

    response = asyncio.run(go())
    body = replayer.sent_json(0)
    prompt = body["input"]["prompt"]
    assert "tools" not in body and set(body) == {"input"}
    at = 0
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                found = prompt.index(f"[called {part.name}(", at)
            elif isinstance(part, ToolResultPart):
                found = prompt.index(part.content, at)
            else:
                continue
            at = found + 1
    assert prompt.endswith(f"User: {FOLLOWUP}\n\nAssistant:")
    for message in messages:
        for part in message.parts:
            if isinstance(part, ReasoningPart) and part.text:
                assert part.text not in prompt
    fields = {w.field for w in response.warnings}
    assert {"tools", "messages"} <= fields
    assert any(f.startswith("messages[") for f in fields)
