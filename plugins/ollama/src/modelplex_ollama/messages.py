"""Canonical messages to Ollama's ``messages``: text as ``content``, images as a base64 list, tool
calls and results, and the model's own earlier thinking as ``thinking``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from modelplex import (
    ImagePart,
    Message,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex.errors import UnsupportedFeatureError
from modelplex_ollama.tools import OllamaToolCodec


def same_model(a: str, b: str) -> bool:
    """``llama3.2`` and ``llama3.2:latest`` are one model."""
    def norm(name: str) -> str:
        return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
    return norm(a) == norm(b)


def _warn(code: str, message: str, index: int) -> ProviderWarning:
    return ProviderWarning(code=code, message=message, field=f"messages[{index}]")


def image_base64(part: ImagePart, provider: str, model: str) -> str:
    """The image's bytes in base64; Ollama takes no URLs, so only a ``data:`` URL is read."""
    if part.data is not None:
        return part.data_base64()
    url = part.url or ""
    head, sep, payload = url.partition(",")
    if url.startswith("data:") and sep and head.endswith(";base64"):
        try:
            base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise UnsupportedFeatureError("the image's data: URL is not valid base64",
                                          provider=provider, model=model) from None
        return payload
    raise UnsupportedFeatureError(
        f"Ollama takes images as bytes, not URLs: the image at {url[:100]!r} was not fetched; pass "
        "ImagePart(data=..., media_type=...) instead", provider=provider, model=model)


_PLAIN_ROLES = frozenset({"user", "system"})


class MessageEncoder:
    """Encodes one request's messages; :attr:`warnings` says what could not be sent."""

    def __init__(self, provider: str, model: str, codec: OllamaToolCodec | None = None) -> None:
        self.provider, self.model = provider, model
        self.codec = codec or OllamaToolCodec(provider=provider)
        self.warnings: list[ProviderWarning] = []
        # tool-call id -> tool name, for results that omit it: the latest call before the result with
        # that id (``call_0`` may come again in a later turn), else any call with it.
        self._names: dict[str, str] = {}

    def encode(self, messages: Sequence[Message]) -> list[dict[str, Any]]:
        for message in messages:
            parts = message.parts
            if len(parts) != 1 or type(parts[0]) is not TextPart:  # one text part holds no call
                for call in message.tool_calls:
                    self._names[call.id] = call.name
        out: list[dict[str, Any]] = []
        for index, message in enumerate(messages):
            parts = message.parts
            if len(parts) == 1 and type(parts[0]) is TextPart and message.role in _PLAIN_ROLES:
                out.append({"role": message.role, "content": parts[0].text})  # most messages
                continue
            for call in message.tool_calls:  # a result answers the latest call with its id
                self._names[call.id] = call.name
            out.extend(self._results(index, message))
            if message.role == "assistant":
                out.append(self._assistant(index, message))
            elif message.role in ("user", "system"):
                item = self._plain(index, message)
                if item is not None:
                    out.append(item)
        return out

    def _dropped(self, index: int, part: object, role: str) -> None:
        kind = getattr(part, "type", type(part).__name__)
        self.warnings.append(_warn("dropped-part", f"a {kind} part cannot go in a {role} message; "
                                   "it was left out", index))

    def _plain(self, index: int, message: Message) -> dict[str, Any] | None:
        texts: list[str] = []
        images: list[str] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ImagePart) and message.role == "user":
                images.append(image_base64(part, self.provider, self.model))
            elif not isinstance(part, ToolResultPart):
                self._dropped(index, part, message.role)
        if not texts and not images and message.role == "user" and message.parts:
            return None  # a user message that held only tool results
        item: dict[str, Any] = {"role": message.role, "content": "".join(texts)}
        if images:
            item["images"] = images
        return item

    def _assistant(self, index: int, message: Message) -> dict[str, Any]:
        texts: list[str] = []
        thinking: list[str] = []
        calls: list[Any] = []
        for part in message.parts:
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ToolCallPart):
                calls.append(self.codec.encode_tool_call(part))
                if part.raw_arguments is not None:
                    self.warnings.append(_warn("dropped-field", f"the arguments of tool call "
                                               f"{part.id!r} are not a JSON object, which Ollama "
                                               "needs; they were sent as {}", index))
            elif isinstance(part, ReasoningPart):
                text = self._reasoning(index, part)
                if text:
                    thinking.append(text)
            else:
                self._dropped(index, part, "assistant")
        item: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
        if thinking:
            item["thinking"] = "".join(thinking)
        if calls:
            item["tool_calls"] = calls
        return item

    def _reasoning(self, index: int, part: ReasoningPart) -> str | None:
        origin = part.origin
        if origin is None or origin.provider != self.provider or not same_model(origin.model, self.model):
            came = f"{origin.provider}/{origin.model}" if origin else "an unknown model"
            self.warnings.append(_warn("dropped-reasoning", f"reasoning from {came} is not sent to "
                                       f"{self.provider}/{self.model}", index))
            return None
        if part.redacted_data is not None:
            self.warnings.append(_warn("dropped-reasoning", "encrypted reasoning cannot be sent to "
                                       "Ollama", index))
        return part.text

    def _results(self, index: int, message: Message) -> list[dict[str, Any]]:
        out = []
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                wire = self.codec.encode_tool_result(part)
                name = part.name or self._names.get(part.tool_call_id)
                if name:
                    wire["tool_name"] = name
                out.append(wire)
                if part.is_error:
                    self.warnings.append(_warn("dropped-field", "Ollama has no error flag for tool "
                                               "results; the result was sent as ordinary content",
                                               index))
            elif message.role == "tool":
                self._dropped(index, part, "tool")
        return out
