"""Turning what a caller passed into a request, and checking it before any byte is sent.

The call path (:mod:`modelplex._client`) builds every request here: :func:`messages_from` and
:func:`build_options` normalise the caller's arguments, :func:`validate_chat` and :func:`validate_embed`
check the finished request against what every provider accepts (and the provider's own ranges).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from modelplex._messages import Message, TextPart
from modelplex._options import ChatOptions, ResponseFormat
from modelplex._tools import Tool, ToolChoice

_OPTION_NAMES = frozenset(a.name for a in ChatOptions.__attrs_attrs__)
_NO_OPTIONS = ChatOptions()


def messages_from(messages: str | Message | Sequence[Message], system: str | None) -> tuple[Message, ...]:
    if isinstance(messages, str):
        out: tuple[Message, ...] = (Message(role="user", parts=(TextPart(text=messages),)),)
    elif isinstance(messages, Message):
        out = (messages,)
    else:
        out = tuple(messages)
        bad = next((m for m in out if not isinstance(m, Message)), None)
        if bad is not None:
            raise TypeError(f"messages must be Message objects, got {type(bad).__name__}")
    return (Message.system(system), *out) if system else out


def _tool_choice(value: Any) -> ToolChoice | None:
    if value is None or isinstance(value, ToolChoice):
        return value
    if value in ("auto", "none", "required"):
        return ToolChoice(mode=value)
    if isinstance(value, str):
        return ToolChoice.tool(value)
    raise TypeError(f"tool_choice must be 'auto', 'none', 'required', a tool name or a ToolChoice, "
                    f"got {value!r}")


def build_options(options: ChatOptions | None, kwargs: Mapping[str, Any]) -> ChatOptions:
    if not kwargs:  # most calls: nothing to check or merge (options are frozen, so one can be shared)
        return _NO_OPTIONS if options is None else options
    unknown = set(kwargs) - _OPTION_NAMES
    if unknown:
        raise TypeError(f"unknown chat option(s): {', '.join(sorted(unknown))}; provider-specific "
                        "settings go in extra={...}")
    values = {k: v for k, v in kwargs.items() if v is not None}
    if "tool_choice" in values:
        values["tool_choice"] = _tool_choice(values["tool_choice"])
    if isinstance(values.get("response_format"), str):
        values["response_format"] = ResponseFormat(type=values["response_format"])
    if isinstance(values.get("stop"), str):
        values["stop"] = (values["stop"],)
    if "tools" in values:
        values["tools"] = tuple(t if isinstance(t, Tool) else Tool(**t) for t in values["tools"])
    if options is None:
        return ChatOptions(**values)

    return attrs.evolve(options, **values)


