"""A state machine for Anthropic's Messages stream: every event a Claude client may meet, in the only
order it may meet them, each block's deltas of the block's own type.

::

    stream   := message_start ping* block* message_delta message_stop
              | message_start ping* block* error
    block    := content_block_start (content_block_delta | ping)* content_block_stop

Checked as each event is fed (:meth:`Grammar.feed`), so a failure names the event that broke it:

- ``message_start`` first and once; its ``usage.input_tokens`` an int above zero (a zero there is the
  LiteLLM failure that breaks Claude Code's context accounting);
- block indexes 0, 1, 2... in order, one block open at a time, every delta and stop naming the open one;
- ``text_delta`` only in a ``text`` block, ``thinking_delta`` and then at most one ``signature_delta`` (the
  block's last delta) only in a ``thinking`` block, ``input_json_delta`` only in a ``tool_use`` block (whose
  pieces, joined, are a JSON object), none in a ``redacted_thinking`` block;
- ``message_delta`` once, after the last block, with a known ``stop_reason`` (``tool_use`` exactly when a
  tool was called, unless the reply was cut by ``max_tokens``) and integer usage; ``message_stop`` last;
- ``error`` ends the stream; nothing follows ``message_stop`` or ``error``;
- an SSE event's name is its data's ``type``.

:meth:`Grammar.result` gives the message the events made (blocks, stop reason, usage), for comparing
with what the provider's own plugin made of the same upstream reply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs

STOP_REASONS = frozenset({"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal",
                          "model_context_window_exceeded"})
_DELTAS = {"text": {"text_delta"}, "thinking": {"thinking_delta", "signature_delta"},
           "tool_use": {"input_json_delta"}, "redacted_thinking": set()}


class GrammarError(AssertionError):
    """An event a Claude client must not meet where it came."""


@attrs.frozen(kw_only=True)
class Block:
    """A content block as the stream built it: ``text`` holds the text, the thinking, or the tool's
    joined JSON; ``input`` the tool's arguments."""

    type: str
    text: str = ""
    signature: str = ""
    id: str = ""
    name: str = ""
    data: str = ""
    input: Any = None


@attrs.frozen(kw_only=True)
class Result:
    """What a whole stream said."""

    start: dict[str, Any]
    blocks: tuple[Block, ...]
    stop_reason: str | None
    usage: dict[str, Any]
    error: dict[str, Any] | None
    pings: int


def parse_sse(raw: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` for each server-sent event of ``raw``; an event without a name or with data
    that is not JSON is itself a grammar error."""
    out = []
    for chunk in raw.replace("\r\n", "\n").split("\n\n"):
        if not chunk.strip():
            continue
        name, data = None, []
        for line in chunk.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if name is None:
            raise GrammarError(f"an event without a name: {chunk!r}")
        try:
            out.append((name, json.loads("\n".join(data))))
        except ValueError:
            raise GrammarError(f"event {name}: data is not JSON: {chunk!r}") from None
    return out


class Grammar:
    """Feed it events in order, then :meth:`end`; see the module docstring."""

    def __init__(self) -> None:
        self.state = "before"  # before, message, block, delta_sent, stopped, ended
        self.start: dict[str, Any] = {}
        self.blocks: list[Block] = []
        self.open: dict[str, Any] | None = None
        self.stop_reason: str | None = None
        self.usage: dict[str, Any] = {}
        self.error: dict[str, Any] | None = None
        self.pings = 0
        self.seen = 0

    def fail(self, message: str) -> GrammarError:
        return GrammarError(f"event {self.seen}: {message}")

    def feed(self, name: str, data: dict[str, Any]) -> None:
        """One event; raises :class:`GrammarError` where it breaks the grammar."""
        if data.get("type") != name:
            raise self.fail(f"event {name!r} carries data of type {data.get('type')!r}")
        if self.state == "ended":
            raise self.fail(f"{name} after the stream ended")
        handler = getattr(self, f"_{name}", None)
        if handler is None:
            raise self.fail(f"unknown event {name!r}")
        handler(data)
        self.seen += 1

    def feed_all(self, events: Iterable[tuple[str, dict[str, Any]]]) -> Result:
        """Every event, then :meth:`end`."""
        for name, data in events:
            self.feed(name, data)
        return self.end()

    def end(self) -> Result:
        """The stream ended here: it must have ended properly."""
        if self.state != "ended":
            raise self.fail(f"the stream stopped in state {self.state!r}, before message_stop or error")
        return Result(start=self.start, blocks=tuple(self.blocks), stop_reason=self.stop_reason,
                      usage=self.usage, error=self.error, pings=self.pings)

    # -- the message ---------------------------------------------------------------------------------
    def _message_start(self, data: dict[str, Any]) -> None:
        if self.state != "before":
            raise self.fail("a second message_start" if self.start else "message_start out of place")
        message = data.get("message")
        if not isinstance(message, dict) or message.get("type") != "message" or message.get("role") != \
                "assistant" or message.get("content") != []:
            raise self.fail(f"message_start's message is not an empty assistant message: {message!r}")
        if not str(message.get("id", "")).startswith("msg_") or not message.get("model"):
            raise self.fail(f"message_start without an id or a model: {message!r}")
        usage = message.get("usage") or {}
        tokens = usage.get("input_tokens")
        if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens <= 0:
            raise self.fail(f"message_start's usage.input_tokens is {tokens!r}, not a count")
        if not isinstance(usage.get("output_tokens"), int):
            raise self.fail(f"message_start's usage.output_tokens is {usage.get('output_tokens')!r}")
        self.start = message
        self.state = "message"

    def _ping(self, data: dict[str, Any]) -> None:
        if self.state in ("before", "stopped"):
            raise self.fail(f"ping in state {self.state!r}")
        self.pings += 1

    def _message_delta(self, data: dict[str, Any]) -> None:
        if self.state != "message":
            raise self.fail(f"message_delta in state {self.state!r} (a block still open, or a second one)")
        reason = (data.get("delta") or {}).get("stop_reason")
        if reason not in STOP_REASONS:
            raise self.fail(f"stop_reason {reason!r}")
        called = any(b.type == "tool_use" for b in self.blocks)
        if reason != "max_tokens" and (reason == "tool_use") != called:
            raise self.fail(f"stop_reason {reason!r} with {'a' if called else 'no'} tool_use block")
        usage = data.get("usage")
        if not isinstance(usage, dict) or not isinstance(usage.get("output_tokens"), int):
            raise self.fail(f"message_delta's usage has no output_tokens: {usage!r}")
        for key, value in usage.items():
            if key.endswith("tokens") and not (isinstance(value, int) and value >= 0):
                raise self.fail(f"message_delta's usage.{key} is {value!r}")
        self.stop_reason, self.usage = reason, usage
        self.state = "stopped"

    def _message_stop(self, data: dict[str, Any]) -> None:
        if self.state != "stopped":
            raise self.fail(f"message_stop in state {self.state!r}, not after message_delta")
        self.state = "ended"

    def _error(self, data: dict[str, Any]) -> None:
        if self.state == "before":
            raise self.fail("an error event before message_start: it should have been an HTTP error")
        error = data.get("error")
        if not isinstance(error, dict) or not error.get("type") or not isinstance(error.get("message"), str):
            raise self.fail(f"an error event without type and message: {data!r}")
        self.error = error
        self.state = "ended"

    # -- blocks --------------------------------------------------------------------------------------
    def _content_block_start(self, data: dict[str, Any]) -> None:
        if self.state != "message":
            raise self.fail(f"content_block_start in state {self.state!r}")
        if data.get("index") != len(self.blocks):
            raise self.fail(f"block index {data.get('index')!r}, expected {len(self.blocks)}")
        block = data.get("content_block") or {}
        kind = block.get("type")
        if kind not in _DELTAS:
            raise self.fail(f"a block of type {kind!r}")
        if kind == "text" and block.get("text") != "":
            raise self.fail("a text block that starts with text")
        if kind == "tool_use" and (not block.get("id") or not block.get("name") or block.get("input") != {}):
            raise self.fail(f"a tool_use block without id and name, or with input: {block!r}")
        if kind == "redacted_thinking" and not block.get("data"):
            raise self.fail("a redacted_thinking block without data")
        self.open = {"type": kind, "pieces": [], "signature": None, "block": block}
        self.state = "block"

    def _content_block_delta(self, data: dict[str, Any]) -> None:
        if self.state != "block" or self.open is None:
            raise self.fail(f"content_block_delta in state {self.state!r}")
        if data.get("index") != len(self.blocks):
            raise self.fail(f"a delta for block {data.get('index')!r} while block {len(self.blocks)} is open")
        delta = data.get("delta") or {}
        kind, block = delta.get("type"), self.open["type"]
        if kind not in _DELTAS[block]:
            raise self.fail(f"a {kind} inside a {block} block")
        if self.open["signature"] is not None:
            raise self.fail(f"a {kind} after the thinking block's signature_delta")
        field = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json",
                 "signature_delta": "signature"}[kind]
        value = delta.get(field)
        if not isinstance(value, str):
            raise self.fail(f"{kind}.{field} is {value!r}")
        if kind == "signature_delta":
            self.open["signature"] = value
        else:
            self.open["pieces"].append(value)

    def _content_block_stop(self, data: dict[str, Any]) -> None:
        if self.state != "block" or self.open is None:
            raise self.fail(f"content_block_stop in state {self.state!r}")
        if data.get("index") != len(self.blocks):
            raise self.fail(f"stop of block {data.get('index')!r} while block {len(self.blocks)} is open")
        opened, text = self.open, "".join(self.open["pieces"])
        kind, start = opened["type"], opened["block"]
        if kind == "tool_use":
            try:
                value = json.loads(text) if text else {}
            except ValueError:
                raise self.fail(f"tool_use {start['name']!r}: its input_json_delta pieces are not JSON: "
                                f"{text!r}") from None
            if not isinstance(value, dict):
                raise self.fail(f"tool_use {start['name']!r}: its input is not an object: {value!r}")
            built = Block(type=kind, text=text, id=start["id"], name=start["name"], input=value)
        elif kind == "redacted_thinking":
            built = Block(type=kind, data=start["data"])
        else:
            built = Block(type=kind, text=text, signature=opened["signature"] or "")
        self.blocks.append(built)
        self.open = None
        self.state = "message"
