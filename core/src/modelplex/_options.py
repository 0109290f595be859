"""What a caller asks of a chat call, apart from the messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from modelplex import _checks as check
from modelplex._json import JSON
from modelplex._messages import Message
from modelplex._tools import Tool, ToolChoice
from modelplex.errors import InvalidRequestError

FORMAT_TYPES = ("text", "json_object", "json_schema")
EFFORTS = ("low", "medium", "high")
# OpenAI's rule for a schema's name, the strictest of the providers that take one.
_FORMAT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# OpenAI takes a 64-bit seed; a larger int is a mistake, whatever the provider.
_SEED_LIMIT = 2**63


@attrs.frozen(kw_only=True)
class ResponseFormat:
    """Plain text, any JSON object, or JSON matching ``schema``.

    ``name`` and ``description`` say what the JSON is; providers with a place for them send them
    (OpenAI's ``json_schema.description``), the others leave them out silently: they are metadata,
    the schema alone decides what the answer must be.
    """

    type: Literal["text", "json_object", "json_schema"] = "text"
    schema: Mapping[str, JSON] | None = None
    name: str | None = None
    strict: bool | None = None
    description: str | None = None

    def __attrs_post_init__(self) -> None:
        check.one_of("response_format.type", self.type, FORMAT_TYPES)
        if (self.type == "json_schema") != (self.schema is not None):
            raise InvalidRequestError("given with type 'json_schema' and only then",
                                            field="response_format.schema")
        if self.schema is not None:
            check.json_object("response_format.schema", self.schema)
        if self.name is not None and not (isinstance(self.name, str) and _FORMAT_NAME.match(self.name)):
            raise InvalidRequestError(f"expected 1-64 letters, digits, '_' or '-', got {self.name!r}",
                                            field="response_format.name")
        check.optional_bool("response_format.strict", self.strict)
        check.optional_str("response_format.description", self.description)


def _stop(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return () if value is None else check.as_items("stop", value, "a str or a sequence of str")


def _tools(value: Any) -> tuple[Tool, ...]:
    return () if value is None else check.as_items("tools", value, "a sequence of Tool")


@attrs.frozen(kw_only=True)
class ChatOptions:
    """Sampling and output options. ``None`` means "the provider's default"; nothing is sent for it.

    ``reasoning_effort`` (``"low"``, ``"medium"``, ``"high"``) and ``reasoning_budget`` (tokens) ask a
    reasoning model to think; each provider takes the one it understands and warns about the other.
    ``prompt_cache`` marks the stable prefix (system prompt, tools, conversation so far) for caching
    where a provider needs it marked (Anthropic's ``cache_control``); others cache on their own.
    ``extra`` is merged into the provider's request body as is, for settings Modelplex has no name for.

    Each value is checked when the options are built, and a wrong one raises
    :class:`~modelplex.errors.InvalidRequestError` naming it: ``temperature`` a finite number >= 0,
    ``top_p`` from 0 to 1, ``max_tokens`` an int >= 1, ``stop`` non-empty strings, ``seed`` an int,
    ``reasoning_budget`` an int >= -1 (0 turns thinking off where a provider can, -1 asks for the
    provider's own dynamic budget where it has one, as Gemini does), ``extra`` a mapping
    of JSON values. A provider's own narrower range (Anthropic's temperature up to 1) is checked
    before each call to it. What depends on several options (a ``tool_choice`` naming a tool given)
    is checked before the call, since options are often built in steps.
    """

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = attrs.field(default=(), converter=_stop)
    seed: int | None = None
    response_format: ResponseFormat | None = None
    tools: tuple[Tool, ...] = attrs.field(default=(), converter=_tools)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    reasoning_budget: int | None = None
    prompt_cache: bool | None = None
    include_raw: bool = False
    extra: Mapping[str, JSON] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        # One method rather than a validator per field: options are built on many calls, and most
        # fields are None.
        if self.temperature is not None:
            check.number("temperature", self.temperature, low=0)
        if self.top_p is not None:
            check.number("top_p", self.top_p, low=0, high=1)
        if self.max_tokens is not None:
            check.integer("max_tokens", self.max_tokens, low=1)
        for i, stop in enumerate(self.stop):
            if not isinstance(stop, str) or not stop:
                raise InvalidRequestError(f"expected a non-empty str, got {stop!r}",
                                                field=f"stop[{i}]")
        if self.seed is not None:
            check.integer("seed", self.seed, low=-_SEED_LIMIT, high=_SEED_LIMIT - 1)
        if self.response_format is not None and not isinstance(self.response_format, ResponseFormat):
            raise check.wrong_type("response_format", "a ResponseFormat or one of "
                                   "'text', 'json_object'", self.response_format)
        for i, tool in enumerate(self.tools):
            if not isinstance(tool, Tool):
                raise check.wrong_type(f"tools[{i}]", "a Tool", tool)
        if self.tool_choice is not None and not isinstance(self.tool_choice, ToolChoice):
            raise check.wrong_type("tool_choice", "a ToolChoice", self.tool_choice)
        check.optional_bool("parallel_tool_calls", self.parallel_tool_calls)
        if self.reasoning_effort is not None:
            check.one_of("reasoning_effort", self.reasoning_effort, EFFORTS)
        if self.reasoning_budget is not None:
            check.integer("reasoning_budget", self.reasoning_budget, low=-1)
        check.optional_bool("prompt_cache", self.prompt_cache)
        if not isinstance(self.include_raw, bool):
            raise check.wrong_type("include_raw", "bool", self.include_raw)
        if self.extra or not isinstance(self.extra, Mapping):
            check.json_object("extra", self.extra)


def _messages(value: Any) -> tuple[Message, ...]:
    return check.as_items("messages", value, "a sequence of Message")


@attrs.frozen(kw_only=True)
class ChatRequest:
    """What a provider plugin receives: the provider's own model id, the messages and the options."""

    model: str
    messages: tuple[Message, ...] = attrs.field(converter=_messages)
    options: ChatOptions = attrs.field(factory=ChatOptions)
