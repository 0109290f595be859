"""A cheap, provider-free estimate of a request's tokens, for context windows and token limits.

About four characters a token for text and JSON, a flat amount per image and per message. It is an
estimate: it decides whether a model is plainly too small and how many tokens to reserve, and the
reservation is settled with the provider's own count afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from modelplex._messages import ImagePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from modelplex._options import ChatOptions

CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 800
MESSAGE_TOKENS = 4
# What a reply is assumed to use when max_tokens is not given, for token-per-minute reservations.
DEFAULT_OUTPUT_TOKENS = 256


def _json_chars(value: object) -> int:
    try:
        return len(json.dumps(value, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        return len(str(value))


def prompt_tokens(messages: Sequence[Message], options: ChatOptions | None = None) -> int:
    """The estimated input tokens of ``messages`` (and of the tools in ``options``)."""
    chars = 0
    images = 0
    for message in messages:
        for part in message.parts:
            if isinstance(part, TextPart | ReasoningPart):
                chars += len(part.text)
            elif isinstance(part, ToolResultPart):
                chars += len(part.content)
            elif isinstance(part, ToolCallPart):
                chars += len(part.name) + _json_chars(part.arguments)
            elif isinstance(part, ImagePart):
                images += 1
    if options is not None:
        for tool in options.tools:
            chars += len(tool.name) + len(tool.description) + _json_chars(tool.parameters)
    return -(-chars // CHARS_PER_TOKEN) + images * IMAGE_TOKENS + MESSAGE_TOKENS * len(messages)


def text_tokens(texts: Sequence[str]) -> int:
    return sum(-(-len(t) // CHARS_PER_TOKEN) for t in texts)


def request_tokens(messages: Sequence[Message], options: ChatOptions) -> int:
    """Input plus the most the reply may take: what a token limit reserves before the call."""
    return prompt_tokens(messages, options) + (options.max_tokens or DEFAULT_OUTPUT_TOKENS)
