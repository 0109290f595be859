"""Messages and their typed parts."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Literal, TypeAlias

import attrs

from modelplex._checks import as_items
from modelplex._json import JSON
from modelplex.errors import InvalidRequestError

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]


@attrs.frozen(kw_only=True)
class Origin:
    """Which provider and model produced a part; provider artefacts are replayed only to their origin."""

    provider: str
    model: str


@attrs.frozen(kw_only=True)
class TextPart:
    text: str
    type: Literal["text"] = "text"


@attrs.frozen(kw_only=True)
class ImagePart:
    """An image given by URL or by bytes (with its media type)."""

    url: str | None = None
    data: bytes | None = None
    media_type: str | None = None
    type: Literal["image"] = "image"

    def __attrs_post_init__(self) -> None:
        if (self.url is None) == (self.data is None):
            raise InvalidRequestError("give exactly one of 'url' or 'data'", field="ImagePart.url")
        if self.data is not None and not self.media_type:
            raise InvalidRequestError("required with 'data' (for example 'image/png')",
                                      field="ImagePart.media_type")

    def data_base64(self) -> str:
        if self.data is None:
            raise ValueError("ImagePart: this image is a URL, not bytes")
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return self.url if self.url is not None else f"data:{self.media_type};base64,{self.data_base64()}"


@attrs.frozen(kw_only=True)
class ToolCallPart:
    """A call the model asked for. ``arguments`` is always a JSON object.

    When a provider sent arguments that are not a JSON object, ``arguments`` is empty and
    ``raw_arguments`` keeps the text exactly as received, so nothing is lost.
    ``signature`` and ``origin`` carry provider data (Gemini's thought signatures) outside the id.
    """

    id: str
    name: str
    arguments: Mapping[str, JSON] = attrs.field(factory=dict)
    raw_arguments: str | None = None
    signature: str | None = None
    origin: Origin | None = None
    type: Literal["tool_call"] = "tool_call"


@attrs.frozen(kw_only=True)
class ToolResultPart:
    """The result of running a tool, answering the call with ``tool_call_id``."""

    tool_call_id: str
    content: str
    name: str | None = None
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"


@attrs.frozen(kw_only=True)
class ReasoningPart:
    """Reasoning a model showed. Replayed only to ``origin``; turned into text or dropped elsewhere.

    ``signature`` is the provider's integrity token (Anthropic, Gemini); ``redacted_data`` holds an
    encrypted block the provider did not show (Anthropic's redacted thinking).
    """

    text: str
    origin: Origin | None = None
    signature: str | None = None
    redacted_data: str | None = None
    type: Literal["reasoning"] = "reasoning"


Part: TypeAlias = TextPart | ImagePart | ToolCallPart | ToolResultPart | ReasoningPart


def _parts(value: str | Part | Sequence[Part]) -> tuple[Part, ...]:
    if type(value) is tuple:  # the parts of most messages the library builds: nothing to convert
        return value
    if isinstance(value, str):
        return (TextPart(text=value),)
    if isinstance(value, TextPart | ImagePart | ToolCallPart | ToolResultPart | ReasoningPart):
        return (value,)
    return as_items("parts", value, "a str, a part or a sequence of parts")


@attrs.frozen(kw_only=True)
class Message:
    role: Role
    parts: tuple[Part, ...] = attrs.field(converter=_parts)

    @classmethod
    def system(cls, content: str | Part | Sequence[Part]) -> Message:
        return cls(role="system", parts=content)

    @classmethod
    def user(cls, content: str | Part | Sequence[Part]) -> Message:
        return cls(role="user", parts=content)

    @classmethod
    def assistant(cls, content: str | Part | Sequence[Part]) -> Message:
        return cls(role="assistant", parts=content)

    @classmethod
    def tool(cls, tool_call_id: str, content: str, *, name: str | None = None,
             is_error: bool = False) -> Message:
        part = ToolResultPart(tool_call_id=tool_call_id, content=content, name=name, is_error=is_error)
        return cls(role="tool", parts=(part,))

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))
