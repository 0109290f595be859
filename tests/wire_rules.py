"""What each provider's wire demands of a conversation with tool calls, checked on a captured request body.

Each ``check_<format>`` asserts the ordering and id rules of one wire format (from the providers' API
references and the errors they answer with, quoted where it helps) and returns what the request holds,
in a form the hand-off test compares with the canonical conversation: the calls in order, the results
with the call group they follow, and every reasoning artefact found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

# OpenAI Chat Completions: "Invalid 'messages[2].tool_calls[0].id': string too long. Expected a string
# with maximum length 40"; the character set is the one every provider takes (openai-agents #1147).
OPENAI_CHAT_ID = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")
# OpenAI Responses: "Invalid 'input[2].call_id': string too long. Expected a string with maximum length
# 64"; "Expected an ID that contains letters, numbers, underscores, or dashes" (said of item ids).
OPENAI_RESPONSES_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# Anthropic: "messages.1.content.1.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'".
ANTHROPIC_ID = re.compile(r"[A-Za-z0-9_-]+\Z")
# Gemini 3 takes this placeholder in place of a thought signature a call of another model lacks.
GEMINI_SKIP_SIGNATURE = "skip_thought_signature_validator"
# Fields that carry reasoning on OpenAI-compatible assistant messages (DeepSeek, Groq, Ollama, vLLM...).
CHAT_REASONING_FIELDS = ("reasoning_content", "reasoning", "reasoning_details", "thinking")


@attrs.frozen(kw_only=True)
class WireCall:
    id: str | None
    name: str
    arguments: Any
    group: int  # the n-th group of calls (assistant message, model turn, run of function_call items)
    slot: int  # position in its group
    signature: str | None = None


@attrs.frozen(kw_only=True)
class WireResult:
    id: str | None
    name: str | None
    content: str
    group: int  # the group of calls it answers: the one right before it
    slot: int  # position among the results answering that group


@attrs.frozen(kw_only=True)
class Wire:
    calls: list[WireCall]
    results: list[WireResult]
    # Reasoning artefacts: (index of the assistant message / turn, kind, value) in wire order.
    reasoning: list[tuple[int, str, Any]]
    # Whether ids must be unique in the whole request (results are matched by id across it), not per group.
    request_unique_ids: bool = False
    id_rule: re.Pattern[str] | None = None


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, Mapping))
    return str(content)


def _unique(ids: Sequence[str | None], where: str) -> None:
    present = [i for i in ids if i is not None]
    assert len(present) == len(set(present)), f"{where}: tool-call ids repeat: {present}"


# -- OpenAI Chat Completions (OpenAI, Azure, DeepSeek, Groq, Together, any compatible server) --------


def check_openai_chat(body: Mapping[str, Any]) -> Wire:
    """Assistant ``tool_calls`` ids match ``^[a-zA-Z0-9_-]{1,40}$`` and are unique; the ``role: tool``
    messages come right after, one for each call ("An assistant message with 'tool_calls' must be
    followed by tool messages responding to each 'tool_call_id'"), and nowhere else."""
    calls: list[WireCall] = []
    results: list[WireResult] = []
    reasoning: list[tuple[int, str, Any]] = []
    open_ids: dict[str, int] = {}  # ids of the latest calls not answered yet -> their slot
    group = -1
    answered = 0
    for index, message in enumerate(body["messages"]):
        role = message["role"]
        if role != "tool":
            assert not open_ids, f"messages[{index}]: calls {sorted(open_ids)} got no tool message"
        if role == "tool":
            call_id = message.get("tool_call_id")
            assert group >= 0 and call_id in open_ids, (
                f"messages[{index}]: a tool message for {call_id!r} does not follow the assistant "
                "message that made that call")
            assert isinstance(message.get("content"), str), f"messages[{index}]: content is not text"
            open_ids.pop(call_id)
            results.append(WireResult(id=call_id, name=message.get("name"), content=message["content"],
                                      group=group, slot=answered))
            answered += 1
            continue
        assert role in ("system", "user", "assistant"), f"messages[{index}]: role {role!r}"
        if role != "assistant":
            continue
        for field in CHAT_REASONING_FIELDS:
            if field in message:
                reasoning.append((index, field, message[field]))
        wire_calls = message.get("tool_calls") or []
        if not wire_calls:
            continue
        group, answered = group + 1, 0
        ids = [c.get("id") for c in wire_calls]
        _unique(ids, f"messages[{index}]")
        for slot, call in enumerate(wire_calls):
            assert isinstance(call["id"], str) and OPENAI_CHAT_ID.match(call["id"]), (
                f"messages[{index}].tool_calls[{slot}].id {call['id']!r} breaks ^[a-zA-Z0-9_-]{{1,40}}$")
            assert call["type"] == "function"
            arguments = call["function"]["arguments"]
            assert isinstance(arguments, str), "Chat Completions sends arguments as JSON text"
            calls.append(WireCall(id=call["id"], name=call["function"]["name"],
                                  arguments=json.loads(arguments), group=group, slot=slot))
            open_ids[call["id"]] = slot
    assert not open_ids, f"calls {sorted(open_ids)} got no tool message"
    return Wire(calls=calls, results=results, reasoning=reasoning, id_rule=OPENAI_CHAT_ID)


def check_deepseek(body: Mapping[str, Any]) -> Wire:
    """Chat Completions, and DeepSeek's thinking-mode rule: every assistant message that calls tools
    carries ``reasoning_content``, empty where there is none of DeepSeek's own ("Missing
    `reasoning_content` field in the assistant message at message index 2", 400)."""
    wire = check_openai_chat(body)
    for index, message in enumerate(body["messages"]):
        if message["role"] == "assistant" and message.get("tool_calls"):
            assert isinstance(message.get("reasoning_content"), str), (
                f"messages[{index}]: Missing `reasoning_content` field in the assistant message")
    # An empty reasoning_content is the placeholder the rule asks for, not reasoning.
    reasoning = [r for r in wire.reasoning if not (r[1] == "reasoning_content" and r[2] == "")]
    return attrs.evolve(wire, reasoning=reasoning)


# -- OpenAI Responses ---------------------------------------------------------------------------------


def check_openai_responses(body: Mapping[str, Any]) -> Wire:
    """``function_call`` items carry a ``call_id`` (``^[A-Za-z0-9_-]{1,64}$``) unique in the input;
    every ``function_call_output``
    answers one made before it, and every call has its output ("No tool output found for function call
    ..."). A reasoning item must be followed by the item it preceded ("... of type 'reasoning' was
    provided without its required following item")."""
    items = body["input"]
    calls: list[WireCall] = []
    results: list[WireResult] = []
    reasoning: list[tuple[int, str, Any]] = []
    by_id: dict[str, WireCall] = {}
    answered: dict[int, int] = {}
    group, previous = -1, None
    for index, item in enumerate(items):
        kind = item.get("type", "message")
        if kind == "function_call":
            if previous != "function_call":
                group += 1
            call_id = item.get("call_id")
            assert isinstance(call_id, str) and OPENAI_RESPONSES_ID.match(call_id), (
                f"input[{index}]: call_id {call_id!r} breaks ^[A-Za-z0-9_-]{{1,64}}$")
            assert call_id not in by_id, f"input[{index}]: call_id {call_id!r} is used twice"
            assert isinstance(item["arguments"], str)
            slot = sum(1 for c in calls if c.group == group)
            call = WireCall(id=call_id, name=item["name"], arguments=json.loads(item["arguments"]),
                            group=group, slot=slot)
            calls.append(call)
            by_id[call_id] = call
        elif kind == "function_call_output":
            made = by_id.get(item.get("call_id"))
            assert made is not None, (f"input[{index}]: output for {item.get('call_id')!r}, which no "
                                      "earlier function_call made")
            assert isinstance(item["output"], str)
            slot = answered.get(made.group, 0)
            answered[made.group] = slot + 1
            results.append(WireResult(id=made.id, name=None, content=item["output"], group=made.group,
                                      slot=slot))
        elif kind == "reasoning":
            following = items[index + 1] if index + 1 < len(items) else {}
            assert following.get("type") == "function_call" or following.get("role") == "assistant", (
                f"input[{index}]: a reasoning item must be followed by the item it preceded")
            reasoning.append((index, "reasoning", {k: v for k, v in item.items() if k != "type"}))
        else:
            assert kind == "message" and item.get("role") in ("user", "assistant", "system",
                                                              "developer"), f"input[{index}]: {item}"
        previous = kind
    answered_ids = {r.id for r in results}
    missing = [c.id for c in calls if c.id not in answered_ids]
    assert not missing, f"no function_call_output for {missing}"
    assert len(results) == len(answered_ids), "a call was answered twice"
    return Wire(calls=calls, results=results, reasoning=reasoning, request_unique_ids=True,
                id_rule=OPENAI_RESPONSES_ID)


# -- Anthropic Messages -------------------------------------------------------------------------------


def check_anthropic(body: Mapping[str, Any]) -> Wire:
    """The first message is the user's and roles alternate; text blocks are not empty; every
    ``tool_use`` id matches ``^[a-zA-Z0-9_-]+$`` and is unique in the request ("`tool_use` ids must be
    unique"); the user turn right after holds ``tool_result`` blocks first, exactly one for each of
    those ids, and there are none elsewhere. Thinking blocks open their assistant turn."""
    messages = body["messages"]
    assert messages and messages[0]["role"] == "user", "messages: first message must use the user role"
    calls: list[WireCall] = []
    results: list[WireResult] = []
    reasoning: list[tuple[int, str, Any]] = []
    seen_ids: set[str] = set()
    pending: list[WireCall] = []
    group = -1
    for index, message in enumerate(messages):
        role = message["role"]
        assert role in ("user", "assistant")
        if index:
            assert role != messages[index - 1]["role"], f"messages[{index}]: roles do not alternate"
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        assert blocks, f"messages[{index}]: empty content"
        for block in blocks:
            if block["type"] == "text":
                assert block["text"].strip(), f"messages[{index}]: an empty text block"
        kinds = [b["type"] for b in blocks]
        if role == "user":
            answering = [b for b in blocks if b["type"] == "tool_result"]
            if pending:
                assert kinds[:len(answering)] == ["tool_result"] * len(answering), (
                    f"messages[{index}]: tool_result blocks must come first")
                ids = [b["tool_use_id"] for b in answering]
                assert sorted(ids) == sorted(c.id or "" for c in pending), (
                    f"messages[{index}]: results {ids} do not answer exactly the calls "
                    f"{[c.id for c in pending]} of the turn before")
                for slot, block in enumerate(answering):
                    results.append(WireResult(id=block["tool_use_id"], name=None,
                                              content=_text(block.get("content")), group=group,
                                              slot=slot))
                pending = []
            else:
                assert not answering, f"messages[{index}]: tool_result with no tool_use right before"
            continue
        assert not pending, f"messages[{index}]: the calls before got no tool_result turn"
        thinking = [i for i, k in enumerate(kinds) if k in ("thinking", "redacted_thinking")]
        assert thinking == list(range(len(thinking))), f"messages[{index}]: thinking blocks must lead"
        for block in blocks:
            if block["type"] in ("thinking", "redacted_thinking"):
                reasoning.append((index, block["type"], {k: v for k, v in block.items() if k != "type"}))
        uses = [b for b in blocks if b["type"] == "tool_use"]
        if uses:
            group += 1
        for slot, block in enumerate(uses):
            assert ANTHROPIC_ID.match(block["id"]), (
                f"messages[{index}]: tool_use id {block['id']!r} breaks ^[a-zA-Z0-9_-]+$")
            assert block["id"] not in seen_ids, f"messages[{index}]: `tool_use` ids must be unique"
            assert isinstance(block["input"], dict)
            seen_ids.add(block["id"])
            call = WireCall(id=block["id"], name=block["name"], arguments=block["input"], group=group,
                            slot=slot)
            calls.append(call)
            pending.append(call)
    assert not pending, "the last calls got no tool_result turn"
    return Wire(calls=calls, results=results, reasoning=reasoning, request_unique_ids=True,
                id_rule=ANTHROPIC_ID)


# -- Gemini -------------------------------------------------------------------------------------------


def _gemini_response_text(response: Any) -> str:
    if isinstance(response, Mapping) and len(response) == 1:
        (key, value), = response.items()
        if key in ("output", "error") and isinstance(value, str):
            return value
    return json.dumps(response, ensure_ascii=False)


def check_gemini(body: Mapping[str, Any], *, signs_calls: bool) -> Wire:
    """Roles alternate, starting with the user's; a ``functionCall`` turn comes right after a user
    turn ("Please ensure that function call turn comes immediately after a user turn or after a
    function response turn"), and the turn right after it holds one ``functionResponse`` per call,
    named as the calls, in their order; ids, where given, match. A ``thoughtSignature`` is reported as
    reasoning, but for Gemini 3's placeholder on the first call of a turn (``signs_calls``)."""
    contents = body["contents"]
    assert contents and contents[0]["role"] == "user", "contents must start with a user turn"
    calls: list[WireCall] = []
    results: list[WireResult] = []
    reasoning: list[tuple[int, str, Any]] = []
    pending: list[WireCall] = []
    group = -1
    for index, turn in enumerate(contents):
        role = turn["role"]
        assert role in ("user", "model"), f"contents[{index}]: role {role!r}"
        if index:
            assert role != contents[index - 1]["role"], f"contents[{index}]: roles do not alternate"
        parts = turn["parts"]
        assert parts, f"contents[{index}]: no parts"
        responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
        if role == "user":
            if pending:
                assert [r.get("name") for r in responses] == [c.name for c in pending], (
                    f"contents[{index}]: responses {[r.get('name') for r in responses]} do not answer "
                    f"the calls {[c.name for c in pending]} of the turn before, in order")
                for slot, (response, call) in enumerate(zip(responses, pending, strict=True)):
                    if response.get("id") is not None or call.id is not None:
                        assert response.get("id") == call.id, f"contents[{index}]: ids do not match"
                    results.append(WireResult(id=response.get("id"), name=response.get("name"),
                                              content=_gemini_response_text(response.get("response")),
                                              group=group, slot=slot))
                pending = []
            else:
                assert not responses, f"contents[{index}]: functionResponse with no call right before"
            continue
        assert not responses, f"contents[{index}]: functionResponse in a model turn"
        assert not pending, f"contents[{index}]: the calls before got no response turn"
        function_calls = [p for p in parts if "functionCall" in p]
        if function_calls:
            group += 1
        first_call = function_calls[0] if function_calls else None
        for part in parts:
            signature = part.get("thoughtSignature")
            placeholder = (signs_calls and part is first_call and signature == GEMINI_SKIP_SIGNATURE)
            if part.get("thought"):
                reasoning.append((index, "thought", part.get("text")))
            if signature is not None and not placeholder:
                reasoning.append((index, "thoughtSignature", signature))
            assert signature != GEMINI_SKIP_SIGNATURE or placeholder, (
                f"contents[{index}]: the placeholder signature where Gemini does not need it")
        ids = [p["functionCall"].get("id") for p in function_calls]
        _unique(ids, f"contents[{index}]")
        for slot, part in enumerate(function_calls):
            fc = part["functionCall"]
            assert isinstance(fc.get("args", {}), dict)
            signature = part.get("thoughtSignature")
            call = WireCall(id=fc.get("id"), name=fc["name"], arguments=fc.get("args", {}), group=group,
                            slot=slot, signature=None if signature == GEMINI_SKIP_SIGNATURE else signature)
            calls.append(call)
            pending.append(call)
        if signs_calls and first_call is not None:
            assert "thoughtSignature" in first_call, (
                f"contents[{index}]: Gemini 3 refuses a turn whose first call has no thought signature")
    assert not pending, "the last calls got no functionResponse turn"
    return Wire(calls=calls, results=results, reasoning=reasoning)


# -- Ollama (native /api/chat) ------------------------------------------------------------------------


def check_ollama(body: Mapping[str, Any]) -> Wire:
    """The ``role: tool`` messages come right after the assistant message with ``tool_calls``, one per
    call, each naming its tool in ``tool_name`` (how Ollama's templates match them); arguments are JSON
    objects."""
    messages = body["messages"]
    calls: list[WireCall] = []
    results: list[WireResult] = []
    reasoning: list[tuple[int, str, Any]] = []
    pending: list[WireCall] = []
    group = -1
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            assert pending, f"messages[{index}]: a tool message that follows no tool calls"
            name = message.get("tool_name")
            slot = sum(1 for r in results if r.group == group)
            assert slot < len(pending), f"messages[{index}]: more tool messages than calls"
            assert name in {c.name for c in pending}, (
                f"messages[{index}]: tool_name {name!r} names none of the calls before")
            results.append(WireResult(id=message.get("tool_call_id"), name=name,
                                      content=message["content"], group=group, slot=slot))
            continue
        if pending:
            answered = [r for r in results if r.group == group]
            assert len(answered) == len(pending), f"messages[{index}]: not every call was answered"
            pending = []
        assert role in ("system", "user", "assistant")
        if role != "assistant":
            continue
        if "thinking" in message:
            reasoning.append((index, "thinking", message["thinking"]))
        wire_calls = message.get("tool_calls") or []
        if wire_calls:
            group += 1
        _unique([c.get("id") for c in wire_calls], f"messages[{index}]")
        for slot, call in enumerate(wire_calls):
            assert isinstance(call["function"]["arguments"], dict), "Ollama takes arguments as objects"
            wire = WireCall(id=call.get("id"), name=call["function"]["name"],
                            arguments=call["function"]["arguments"], group=group, slot=slot)
            calls.append(wire)
            pending.append(wire)
    if pending:
        assert len([r for r in results if r.group == group]) == len(pending), "calls left unanswered"
    return Wire(calls=calls, results=results, reasoning=reasoning)


# -- Cohere (API v2) ----------------------------------------------------------------------------------


def check_cohere(body: Mapping[str, Any]) -> Wire:
    """Chat Completions' order (an assistant turn's ``tool_calls``, then one ``role: tool`` message for
    each, nowhere else), ids as Chat Completions takes them; a tool message's content is a list of
    documents (``{"type": "document", "document": {"data": {"output": ...}}}``); reasoning is the
    ``tool_plan`` of an assistant turn with calls."""
    messages = [dict(m) for m in body["messages"]]
    plans = [(index, "tool_plan", m["tool_plan"]) for index, m in enumerate(messages)
             if m["role"] == "assistant" and "tool_plan" in m]
    for index, message in enumerate(messages):
        assert not ("tool_plan" in message and not message.get("tool_calls")), (
            f"messages[{index}]: a tool_plan without tool_calls")
        if message["role"] == "tool":
            content = message["content"]
            assert isinstance(content, list) and content, f"messages[{index}]: no document list"
            assert all(d["type"] == "document" for d in content)
            message["content"] = "".join(str(d["document"]["data"]["output"]) for d in content)
        elif message["role"] == "assistant":
            message.pop("tool_plan", None)
    wire = check_openai_chat({**body, "messages": messages})
    return attrs.evolve(wire, reasoning=plans)
