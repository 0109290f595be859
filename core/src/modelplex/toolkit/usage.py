"""Reading a provider's token counts (:func:`count`, :func:`usage_mismatch`), and a token estimate for a
reply that carries none: about four characters a token."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, Final

from modelplex import (
    ImagePart,
    Message,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

CHARS_PER_TOKEN: Final = 4
_IMAGE_TOKENS: Final = 85  # a low-detail image costs 85 tokens at OpenAI


def count(value: Any) -> int:
    """A token count as a provider reports it: a positive ``int``, else 0 (``null``, a missing key, a
    negative number or a bool, which Python counts as an int, are no count)."""
    return value if type(value) is int and value > 0 else 0


def usage_mismatch(message: str, field: str = "usage") -> ProviderWarning:
    """The warning for usage whose buckets cannot be reconciled with what the provider reported."""
    return ProviderWarning(code="usage-mismatch", field=field, message=message)


def tokens(chars: int) -> int:
    """The tokens ``chars`` characters make, rounded up."""
    return math.ceil(chars / CHARS_PER_TOKEN) if chars > 0 else 0


def _part_chars(part: object) -> int:
    if isinstance(part, TextPart | ReasoningPart):
        return len(part.text)
    if isinstance(part, ToolCallPart):
        return len(part.name) + len(part.raw_arguments or json.dumps(dict(part.arguments)))
    if isinstance(part, ToolResultPart):
        return len(part.content)
    if isinstance(part, ImagePart):
        return _IMAGE_TOKENS * CHARS_PER_TOKEN
    return 0


def estimate_input(messages: Iterable[Message]) -> int:
    """The estimated input tokens of a conversation."""
    return tokens(sum(_part_chars(p) for m in messages for p in m.parts))


def estimate(messages: Iterable[Message], output_chars: int, reasoning_chars: int = 0) -> Usage:
    """The usage of a reply estimated from the characters in and out, marked ``estimated=True``."""
    return Usage(input=estimate_input(messages), output=tokens(output_chars),
                 reasoning=tokens(reasoning_chars), estimated=True)
