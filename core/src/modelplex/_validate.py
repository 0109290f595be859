"""Turning what a caller passed into a request, and checking it before any byte is sent.

The call path builds every request here: :func:`messages_from` and :func:`build_options` normalise
the caller's arguments; :func:`check_address`, :func:`check_chat`, :func:`check_embed` and (per
provider tried) :func:`check_for_provider` check the result. Every failure is an
:class:`~modelplex.errors.InvalidRequestError` (a ``ValueError``) naming the field, such as
``messages[3].parts[0].text: expected str, got NoneType``; no ``TypeError``, ``AttributeError`` or
``KeyError`` from bad input reaches the caller.

Where each check lives:

* A value wrong on its own, whatever it is part of, is refused when its object is built, by the
  type itself: an option's type and range (:class:`~modelplex.ChatOptions`), a tool's name and schema,
  an image with neither URL nor bytes. The mistake then shows at the line that made it.
* What can only be judged in the whole request is checked here, at call time: an empty
  conversation, a role, a message without parts, a part's type and fields at its place
  (``messages[i].parts[j]``), tool names unique, a ``tool_choice`` naming a tool given (options are
  often built in steps, so this cannot be judged on one of them). Message contents are checked here
  rather than when built because only here is their path known, and because replies build messages
  on every call: a check there would cost each one.
* A provider's own ranges (:attr:`~modelplex.ProviderInfo.option_ranges`) are checked for each
  provider a call goes to: an error where the range is certain, a warning where only the provider
  can know (a model's largest output).

A message with no parts is refused for every role: Anthropic and Gemini refuse one, and an empty
reply replayed into a conversation is better left out than sent as an empty turn.

Cost, measured with ``timeit`` (best of five, on a busy two-core machine): for a plain call (a
prompt string, no options) check_address, check_chat and check_for_provider together take 0.3 to
0.5 µs; a conversation of 100 one-part messages 7 to 10 µs a pass (it is checked once as given,
once as sent); the checks of options built from keyword arguments about 0.6 µs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from modelplex import _checks as check
from modelplex._messages import (
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex._options import ChatOptions, ChatRequest, ResponseFormat
from modelplex._tools import Tool, ToolChoice
from modelplex.errors import InvalidRequestError, ToolSchemaError, UnknownModelError

if TYPE_CHECKING:
    from modelplex._embeddings import EmbedRequest
    from modelplex._provider import ProviderInfo
    from modelplex._responses import ProviderWarning

_OPTION_NAMES = frozenset(a.name for a in ChatOptions.__attrs_attrs__)
_TOOL_KEYS = frozenset(a.name for a in Tool.__attrs_attrs__)
_FORMAT_KEYS = frozenset(a.name for a in ResponseFormat.__attrs_attrs__)
_NO_OPTIONS = ChatOptions()
_MESSAGES = "a str, a Message or a sequence of Message"
# A tuple, not a set: `in` compares with == and so takes an unhashable role (a list) without a TypeError.
_ROLES = ("user", "assistant", "system", "tool")


# -- building a request from what the caller passed --------------------------------------------------


def messages_from(messages: str | Message | Sequence[Message], system: str | None) -> tuple[Message, ...]:
    """The conversation to send: ``messages`` as a tuple, after ``system`` when one is given.

    Messages the caller gave are checked here, so that an error's index is the caller's own
    (``messages[2]`` of the list passed, whether or not ``system`` comes first).
    """
    if isinstance(messages, str):
        out: tuple[Message, ...] = (Message(role="user", parts=(TextPart(text=messages),)),)
    elif isinstance(messages, Message):
        out = (messages,)
        _check_messages(out)
    else:
        out = check.as_items("messages", messages, _MESSAGES)
        _check_messages(out)
    if system is None:
        return out
    if not isinstance(system, str):
        raise check.wrong_type("system", "str or None", system)
    return (Message.system(system), *out) if system else out


def _tool_choice(value: Any) -> ToolChoice | None:
    if value is None or isinstance(value, ToolChoice):
        return value
    if value in ("auto", "none", "required"):
        return ToolChoice(mode=value)
    if isinstance(value, str):
        return ToolChoice.tool(value)
    raise check.wrong_type("tool_choice", "'auto', 'none', 'required', a tool name or a ToolChoice",
                           value)


def _response_format(value: Any) -> Any:
    if isinstance(value, str):
        return ResponseFormat(type=value)  # type: ignore[arg-type]  # checked by ResponseFormat
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - _FORMAT_KEYS, key=str)
        if unknown:
            raise InvalidRequestError(f"unknown key; expected {', '.join(sorted(_FORMAT_KEYS))}",
                                      field=f"response_format.{unknown[0]}")
        return ResponseFormat(**value)
    return value  # a ResponseFormat, or a mistake ChatOptions names


def _tool(i: int, value: Any) -> Tool:
    if isinstance(value, Tool):
        return value
    if not isinstance(value, Mapping):
        raise check.wrong_type(f"tools[{i}]", "a Tool or a mapping of its fields", value)
    unknown = sorted(set(value) - _TOOL_KEYS, key=str)
    if unknown:
        raise InvalidRequestError(f"unknown key; a tool has {', '.join(sorted(_TOOL_KEYS))}",
                                  field=f"tools[{i}].{unknown[0]}")
    if "name" not in value:
        raise InvalidRequestError("missing: every tool has a name", field=f"tools[{i}].name")
    try:
        return Tool(**value)
    except ToolSchemaError as exc:  # the tool's own finding, placed in the request
        raise ToolSchemaError(f"tools[{i}]: {exc.message}", field=f"tools[{i}].{exc.field}",
                              tool=exc.tool) from None


def build_options(options: ChatOptions | None, kwargs: Mapping[str, Any]) -> ChatOptions:
    """``options`` with the call's keyword options on top (``None`` leaves an option as it is).

    Strings and mappings are accepted where the types have a short form (``tool_choice="auto"``,
    ``response_format="json_object"``, a tool as a dict); everything is checked as the options are
    built.
    """
    if not kwargs:  # most calls: nothing to check or merge (options are frozen, so one can be shared)
        if options is None or isinstance(options, ChatOptions):
            return _NO_OPTIONS if options is None else options
        raise check.wrong_type("options", "ChatOptions or None", options)
    unknown = sorted(set(kwargs) - _OPTION_NAMES, key=str)
    if unknown:
        names = f"s ({', '.join(map(str, unknown))})" if len(unknown) > 1 else ""
        raise InvalidRequestError(f"unknown chat option{names}; provider-specific settings go in "
                                  "extra={...}", field=str(unknown[0]))
    values = {k: v for k, v in kwargs.items() if v is not None}
    if "tool_choice" in values:
        values["tool_choice"] = _tool_choice(values["tool_choice"])
    if "response_format" in values:
        values["response_format"] = _response_format(values["response_format"])
    if "tools" in values:
        tools = check.as_items("tools", values["tools"], "a sequence of Tool")
        values["tools"] = tuple(_tool(i, t) for i, t in enumerate(tools))
    if options is None:
        return ChatOptions(**values)
    if not isinstance(options, ChatOptions):
        raise check.wrong_type("options", "ChatOptions or None", options)
    return attrs.evolve(options, **values)


# -- the call path's "validate" step ------------------------------------------------------------------


def check_address(address: object) -> str:
    """``address`` as a ``provider/model`` string, or a typed error saying what is wrong with it:
    :class:`~modelplex.errors.InvalidRequestError` for a non-string, and
    :class:`~modelplex.errors.UnknownModelError` for a string that is not ``provider/model``."""
    if not isinstance(address, str):
        raise check.wrong_type("model", "a 'provider/model' str", address)
    provider, sep, model = address.partition("/")
    if not sep or not provider or not model:
        raise UnknownModelError(f"model {address!r} must be addressed as 'provider/model' (or "
                                "'chain/NAME'), for example 'openai/gpt-4o-mini'", model=address)
    return address


def check_chat(messages: tuple[Message, ...], options: ChatOptions) -> None:
    """Check a chat request as every provider would take it; raise a typed ``ValueError`` naming the field."""
    if not isinstance(messages, tuple):
        raise check.wrong_type("messages", "a tuple of Message", messages)
    if not messages:
        raise InvalidRequestError("expected at least one message, got none", field="messages")
    _check_messages(messages)
    if options is not _NO_OPTIONS:
        if not isinstance(options, ChatOptions):
            raise check.wrong_type("options", "ChatOptions", options)
        if options.tools or options.tool_choice is not None:
            _check_tools(options)


def _check_tools(options: ChatOptions) -> None:
    seen: set[str] = set()
    for i, tool in enumerate(options.tools):
        if tool.name in seen:
            raise InvalidRequestError(f"tool name {tool.name!r} is given twice; names must be unique",
                                      field=f"tools[{i}].name")
        seen.add(tool.name)
    choice = options.tool_choice
    if choice is not None and choice.mode == "tool" and choice.name not in seen:
        given = ", ".join(repr(t.name) for t in options.tools) or "no tools were given"
        raise InvalidRequestError(f"names no tool of this request: {choice.name!r} ({given})",
                                  field="tool_choice.name")


def _check_messages(messages: tuple[Any, ...]) -> None:
    # The common case in one tight loop; the first message found wrong is then explained with its
    # path by _explain, which raises.
    for i, message in enumerate(messages):
        if type(message) is not Message or message.role not in _ROLES or not message.parts:
            _explain(i, message)
        for part in message.parts:
            cls = type(part)
            if cls is TextPart:
                if type(part.text) is not str:
                    _explain(i, message)
            elif cls not in _PART_CHECKS or _first_problem(part) is not None:  # subclasses: slow path
                _explain(i, message)


def _explain(i: int, message: Any) -> None:
    """Raise the error that names what is wrong with ``message``, the ``i``-th of a conversation."""
    at = f"messages[{i}]"
    if not isinstance(message, Message):
        hint = " (build one with Message.user(...), Message.assistant(...), ...)" \
            if isinstance(message, Mapping | str) else ""
        raise InvalidRequestError(f"expected a Message, got {check.kind(message)}{hint}", field=at)
    if message.role not in _ROLES:
        raise InvalidRequestError(f"expected one of 'system', 'user', 'assistant', 'tool', got "
                                  f"{message.role!r}", field=f"{at}.role")
    if not message.parts:
        raise InvalidRequestError("a message needs at least one part (an empty turn is refused by "
                                  "several providers: leave the message out)", field=f"{at}.parts")
    for j, part in enumerate(message.parts):
        if not isinstance(part, tuple(_PART_CHECKS)):
            raise InvalidRequestError(f"expected a part (TextPart, ImagePart, ToolCallPart, "
                                      f"ToolResultPart or ReasoningPart), got {check.kind(part)}",
                                      field=f"{at}.parts[{j}]")
        problem = _first_problem(part)
        if problem is not None:
            name, expected = problem
            raise check.wrong_type(f"{at}.parts[{j}].{name}", expected, getattr(part, name))


# What each field of a part must hold: (name, a test, what the error says was expected).
_Fields = tuple[tuple[str, Any, str], ...]
_STR: Any = str
_OPTIONAL_STR = (str, type(None))
_PART_CHECKS: dict[type[Any], _Fields] = {
    TextPart: (("text", _STR, "str"),),
    ImagePart: (("url", _OPTIONAL_STR, "str or None"), ("data", (bytes, type(None)), "bytes or None"),
                ("media_type", _OPTIONAL_STR, "str or None")),
    ToolCallPart: (("id", _STR, "str"), ("name", _STR, "str"),
                   ("arguments", Mapping, "a mapping (the arguments as a JSON object)"),
                   ("raw_arguments", _OPTIONAL_STR, "str or None"),
                   ("signature", _OPTIONAL_STR, "str or None")),
    ToolResultPart: (("tool_call_id", _STR, "str"),
                     ("content", _STR, "str (json.dumps a structured result)"),
                     ("name", _OPTIONAL_STR, "str or None"), ("is_error", bool, "bool")),
    ReasoningPart: (("text", _STR, "str"), ("signature", _OPTIONAL_STR, "str or None"),
                    ("redacted_data", _OPTIONAL_STR, "str or None")),
}


def _first_problem(part: Any) -> tuple[str, str] | None:
    """The first field of ``part`` that holds the wrong type, as (name, what was expected)."""
    fields = _PART_CHECKS.get(type(part))
    if fields is None:  # a subclass of a part type
        fields = next(f for cls, f in _PART_CHECKS.items() if isinstance(part, cls))
    for name, kinds, expected in fields:
        if not isinstance(getattr(part, name), kinds):
            return name, expected
    return None


def check_for_provider(request: ChatRequest, *, provider: str,
                       info: ProviderInfo | None) -> tuple[ProviderWarning, ...]:
    """Check ``request`` against ``provider``'s own ranges: an error where the range is certain, warnings
    where only the provider can know."""
    options = request.options
    if info is None or options is _NO_OPTIONS or not (info.option_ranges or info.option_limits):
        return ()
    for name, (low, high) in info.option_ranges.items():
        value = getattr(options, name)
        if value is not None and not low <= value <= high:
            raise InvalidRequestError(f"{provider} takes {low:g} to {high:g}, got {value!r}", field=name,
                                      provider=provider, model=request.model)
    return tuple(_above_limits(options, provider, info.option_limits))


def _above_limits(options: ChatOptions, provider: str,
                  limits: Mapping[str, float]) -> Iterator[ProviderWarning]:
    from modelplex._responses import ProviderWarning

    for name, limit in limits.items():
        value = getattr(options, name)
        if value is not None and value > limit:
            yield ProviderWarning(code="above-known-limit", field=name,
                                  message=f"{name} {value} is above the {limit:g} that {provider}'s "
                                          "models are known to take; the provider may refuse it")


def check_embed(request: EmbedRequest) -> None:
    """Check an embedding request before it is sent: ``inputs`` a non-empty sequence of str,
    ``dimensions`` an int >= 1, ``task_type`` a str, ``extra`` a mapping of JSON values."""
    if not request.inputs:
        raise InvalidRequestError("expected at least one input, got none", field="inputs")
    for i, text in enumerate(request.inputs):
        if not isinstance(text, str):
            raise check.wrong_type(f"inputs[{i}]", "str", text)
    if request.dimensions is not None:
        check.integer("dimensions", request.dimensions, low=1, high=1_000_000)
    check.optional_str("task_type", request.task_type)
    check.json_object("extra", request.extra)
