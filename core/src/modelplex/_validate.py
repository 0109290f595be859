"""Turning what a caller passed into a request, and checking it before any byte is sent.

The call path (:mod:`modelplex._client`) builds every request here: :func:`messages_from` and
:func:`build_options` normalise the caller's arguments, :func:`validate_chat` and :func:`validate_embed`
check the finished request against what every provider accepts (and the provider's own ranges).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._messages import Message, TextPart
from modelplex._options import ChatOptions, ChatRequest, ResponseFormat
from modelplex._tools import Tool, ToolChoice

if TYPE_CHECKING:
    from modelplex._embeddings import EmbedRequest
    from modelplex._provider import ProviderInfo
    from modelplex._responses import ProviderWarning

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




# The checks below are the call path's "validate" step (issue 11, item 3). They are called by the call
# path on every chat, stream and embed call before any byte is sent; their bodies are being filled in.


def check_address(address: object) -> str:
    """``address`` as a ``provider/model`` string, or a typed error saying what is wrong with it."""
    return address  # type: ignore[return-value]


def check_chat(messages: tuple[Message, ...], options: ChatOptions) -> None:
    """Check a chat request as every provider would take it; raise a typed ``ValueError`` naming the field."""


def check_for_provider(request: ChatRequest, *, provider: str,
                       info: ProviderInfo | None) -> tuple[ProviderWarning, ...]:
    """Check ``request`` against ``provider``'s own ranges: an error where the range is certain, warnings
    where only the provider can know."""
    return ()


def check_embed(request: EmbedRequest) -> None:
    """Check an embedding request before it is sent."""
