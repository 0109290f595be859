"""What a caller asks of a chat call, apart from the messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

from modelplex._json import JSON
from modelplex._messages import Message
from modelplex._tools import Tool, ToolChoice
from modelplex._tuples import as_tuple


@attrs.frozen(kw_only=True)
class ResponseFormat:
    """Plain text, any JSON object, or JSON matching ``schema``."""

    type: Literal["text", "json_object", "json_schema"] = "text"
    schema: Mapping[str, JSON] | None = None
    name: str | None = None
    strict: bool | None = None

    def __attrs_post_init__(self) -> None:
        if (self.type == "json_schema") != (self.schema is not None):
            raise ValueError("response_format: 'schema' is given with type 'json_schema' and only then")


@attrs.frozen(kw_only=True)
class ChatOptions:
    """Sampling and output options. ``None`` means "the provider's default"; nothing is sent for it.

    ``reasoning_effort`` (``"low"``, ``"medium"``, ``"high"``) and ``reasoning_budget`` (tokens) ask a
    reasoning model to think; each provider takes the one it understands and warns about the other.
    ``prompt_cache`` marks the stable prefix (system prompt, tools, conversation so far) for caching
    where a provider needs it marked (Anthropic's ``cache_control``); others cache on their own.
    ``extra`` is merged into the provider's request body as is, for settings Modelplex has no name for.
    """

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    seed: int | None = None
    response_format: ResponseFormat | None = None
    tools: tuple[Tool, ...] = attrs.field(default=(), converter=as_tuple)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    reasoning_budget: int | None = None
    prompt_cache: bool | None = None
    include_raw: bool = False
    extra: Mapping[str, JSON] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ChatRequest:
    """What a provider plugin receives: the provider's own model id, the messages and the options."""

    model: str
    messages: tuple[Message, ...] = attrs.field(converter=as_tuple)
    options: ChatOptions = attrs.field(factory=ChatOptions)
