"""Canonical messages to the Messages API's ``system`` and ``messages``.

* System messages go to the top-level ``system`` (one text block each), never into ``messages``.
* ``tool`` messages become ``user`` turns of ``tool_result`` blocks; consecutive turns of one role
  are merged, and in a user turn the tool results come first, as the API requires.
* Reasoning is replayed only to the provider and model that produced it: a signed ``thinking``
  block or a ``redacted_thinking`` block, unchanged. Reasoning from anywhere else is left out with a
  warning (the API would reject another model's signature, and it is not the model's own thought).
* What a turn cannot hold (an image in an assistant turn, say) is left out with a warning.
* The API takes a user turn first: a conversation that opens with an assistant message (or whose
  first user message was empty, and so left out) gets a user turn of :data:`OPENING`, with a warning.
* A tool-call id Anthropic would refuse (it takes ``[A-Za-z0-9_-]``, and an id once per request: "`tool_use`
  ids must be unique") is sent in a plain form derived from it, the same for the call and its result
  (another provider's ``functions.f:0``, or ``call_0`` coming again in a later turn).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from modelplex import (
    ImagePart,
    Message,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex.toolkit import ToolCallIds
from modelplex_anthropic.api import Block, WireMessage
from modelplex_anthropic.tools import AnthropicToolCodec

OPENING = "."
"""The user turn sent before a conversation that opens with an assistant message."""
_DATA_URL = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)\Z", re.DOTALL)


@attrs.frozen(kw_only=True)
class Encoded:
    system: list[Block]
    messages: list[WireMessage]
    warnings: list[ProviderWarning]


def _warn(code: str, message: str, index: int) -> ProviderWarning:
    return ProviderWarning(code=code, message=message, field=f"messages[{index}]")


def image_block(part: ImagePart) -> Block:
    """An image as a ``base64`` source (bytes, or a ``data:`` URL) or a ``url`` source."""
    if part.data is not None:
        source = {"type": "base64", "media_type": part.media_type, "data": part.data_base64()}
    else:
        url = str(part.url)
        found = _DATA_URL.match(url)
        source = ({"type": "base64", "media_type": found["type"], "data": found["data"]} if found
                  else {"type": "url", "url": url})
    return {"type": "image", "source": source}


def reasoning_block(part: ReasoningPart, provider: str, model: str, index: int,
                    warnings: list[ProviderWarning]) -> Block | None:
    """The block to send back for ``part``, or ``None`` (with a warning) when it cannot go."""
    origin = part.origin
    if origin is None or (origin.provider, origin.model) != (provider, model):
        came = f"{origin.provider}/{origin.model}" if origin else "an unknown model"
        warnings.append(_warn("dropped-reasoning", f"reasoning from {came} was not sent to "
                              f"{provider}/{model}: only the model that produced it can take it back",
                              index))
        return None
    if part.redacted_data is not None:
        return {"type": "redacted_thinking", "data": part.redacted_data}
    if not part.signature:
        warnings.append(_warn("dropped-reasoning", "reasoning without its signature cannot be sent "
                              "back to Anthropic; it was left out", index))
        return None
    return {"type": "thinking", "thinking": part.text, "signature": part.signature}


def _blocks(message: Message, index: int, provider: str, model: str, codec: AnthropicToolCodec,
            warnings: list[ProviderWarning], ids: ToolCallIds) -> tuple[list[Block], list[Block]]:
    """``(tool results, other blocks)`` of one user, tool or assistant message, in order."""
    results: list[Block] = []
    blocks: list[Block] = []
    assistant = message.role == "assistant"
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text.strip():  # the API rejects empty and whitespace-only text blocks
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart) and not assistant:
            blocks.append(image_block(part))
        elif isinstance(part, ToolResultPart) and not assistant:
            results.append(codec.encode_tool_result(attrs.evolve(part, tool_call_id=ids.result(
                part.tool_call_id))))
        elif isinstance(part, ToolCallPart) and assistant:
            if part.raw_arguments is not None:
                warnings.append(_warn("dropped-field", f"tool call {part.id!r} had arguments that are "
                                      "not a JSON object; Anthropic takes only an object, so {} was "
                                      "sent", index))
            blocks.append(codec.encode_tool_call(attrs.evolve(part, id=ids.call(part.id))))
        elif isinstance(part, ReasoningPart) and assistant:
            block = reasoning_block(part, provider, model, index, warnings)
            if block is not None:
                blocks.append(block)
        else:
            warnings.append(_warn("dropped-part", f"a {part.type} part cannot go in a "
                                  f"{message.role} turn; it was left out", index))
    return results, blocks


def encode_messages(messages: Sequence[Message], *, provider: str, model: str,
                    codec: AnthropicToolCodec) -> Encoded:
    """``system`` blocks, ``messages`` turns and the warnings for what could not be sent."""
    warnings: list[ProviderWarning] = []
    system: list[Block] = []
    turns: list[tuple[str, list[Block], list[Block]]] = []  # role, tool results, other blocks
    seen_turn = False
    ids: ToolCallIds | None = None
    for index, message in enumerate(messages):
        parts = message.parts
        if (message.role == "user" and len(parts) == 1 and type(parts[0]) is TextPart
                and parts[0].text.strip() and (not turns or turns[-1][0] == "assistant")):
            # Most messages: one user text starting a turn, which no rule below changes.
            seen_turn = True
            turns.append(("user", [], [{"type": "text", "text": parts[0].text}]))
            continue
        if ids is None:
            ids = ToolCallIds(max_length=64)
        if message.role == "system":
            if seen_turn:
                warnings.append(_warn("moved-system-message", "Anthropic takes system text only "
                                      "before the conversation; this system message was moved there",
                                      index))
            for part in message.parts:
                if isinstance(part, TextPart):
                    if part.text.strip():
                        system.append({"type": "text", "text": part.text})
                else:
                    warnings.append(_warn("dropped-part", f"a {part.type} part cannot go in the "
                                          "system prompt; it was left out", index))
            continue
        seen_turn = True
        role = "assistant" if message.role == "assistant" else "user"
        results, blocks = _blocks(message, index, provider, model, codec, warnings, ids)
        if not results and not blocks:
            warnings.append(_warn("dropped-message", f"the {message.role} message had nothing "
                                  "Anthropic can take (empty text?); it was left out", index))
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(results)
            turns[-1][2].extend(blocks)
        else:
            if not turns and role == "assistant":
                # "messages: first message must use the user role" (an empty first user message, which
                # Gemini and OpenAI take, was left out above, or the conversation opens with a reply).
                warnings.append(_warn("inserted-message", f"Anthropic needs a user turn first; {OPENING!r} "
                                      "was sent as one before this assistant message", index))
                turns.append(("user", [], [{"type": "text", "text": OPENING}]))
            turns.append((role, results, blocks))
    wire = [{"role": role, "content": results + blocks} for role, results, blocks in turns]
    return Encoded(system=system, messages=wire, warnings=warnings)
