"""Canonical messages as Gemini ``contents`` and a ``systemInstruction``.

* System messages become the ``systemInstruction`` (a system message after the conversation began
  is moved there, with a warning).
* User messages and tool results are ``user`` turns, assistant messages ``model`` turns; consecutive
  turns of one role are merged. Tool results are ``functionResponse`` parts, named after the call
  they answer and put in the order of the calls, so Gemini can match them by name and order when
  the calls had no id of Gemini's own.
* Ids Modelplex made up for calls Gemini sent without one are never sent back; Gemini's own ids
  (and other providers') go in ``functionCall.id`` / ``functionResponse.id``.
* Thought signatures and reasoning are replayed only to the provider and model that produced them
  (:attr:`~modelplex.Origin`); for any other they are dropped with a warning. A Gemini 3 model
  refuses a model turn whose first function call has no signature, so such a call (one another
  model made) carries Google's documented placeholder ``skip_thought_signature_validator``.
* Images are ``inlineData`` (bytes, or a ``data:`` URL) or ``fileData`` (any other URL).

A reasoning part's ``signature`` is the one Gemini put on the part after the thought (the first
text part of the answer); it goes back on that part. A signature Gemini put on a text part with no
thought before it is kept in an empty reasoning part placed before the text, and goes back the same
way. Function calls keep theirs in :attr:`~modelplex.ToolCallPart.signature`.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import attrs

from modelplex import (
    ChatRequest,
    ImagePart,
    Message,
    Origin,
    ProviderWarning,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from modelplex.errors import ToolError
from modelplex_gemini.tools import GeminiToolCodec, is_generated

SKIP_SIGNATURE = "skip_thought_signature_validator"
_MAJOR = re.compile(r"gemini-(\d+)")


def model_name(model: str) -> str:
    """``models/gemini-2.5-flash`` -> ``gemini-2.5-flash``."""
    return model.removeprefix("models/")


def signs_calls(model: str) -> bool:
    """Gemini 3 and later refuse an unsigned first function call in a model turn."""
    match = _MAJOR.search(model_name(model))
    return match is not None and int(match.group(1)) >= 3


@attrs.frozen(kw_only=True)
class Encoded:
    contents: list[dict[str, Any]]
    system: list[dict[str, Any]]
    warnings: list[ProviderWarning]


class _Turn:
    """One ``Content``: a role and its parts, with the call id each call or result part concerns."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.parts: list[dict[str, Any]] = []
        self.call_ids: list[str | None] = []


def _warn(code: str, message: str, field: str) -> ProviderWarning:
    return ProviderWarning(code=code, message=message, field=field)


def _image(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": part.data_base64()}}
    url = str(part.url)
    if url.startswith("data:"):
        header, _, payload = url[5:].partition(",")
        media, _, encoding = header.partition(";")
        try:
            data = base64.b64decode(payload, validate=True) if encoding == "base64" else (
                unquote_to_bytes(payload))
        except (binascii.Error, ValueError):
            data = None
        if data is not None:
            inline = part.media_type or media or "application/octet-stream"
            return {"inlineData": {"mimeType": inline,
                                   "data": base64.b64encode(data).decode("ascii")}}
    file: dict[str, Any] = {"fileUri": url}
    guessed = part.media_type or mimetypes.guess_type(urlsplit(url).path)[0]
    if guessed:
        file["mimeType"] = guessed
    return {"fileData": file}


class MessageEncoder:
    """Encodes one request's messages for ``provider``/``model`` (the replay target)."""

    def __init__(self, request: ChatRequest, provider: str, codec: GeminiToolCodec) -> None:
        self.request = request
        self.target = Origin(provider=provider, model=model_name(request.model))
        self.codec = codec
        self.warnings: list[ProviderWarning] = []
        self.turns: list[_Turn] = []
        self.calls: dict[str, ToolCallPart] = {}

    def ours(self, origin: Origin | None) -> bool:
        return origin is not None and (origin.provider, model_name(origin.model)) == (
            self.target.provider, self.target.model)

    def add(self, role: str, part: dict[str, Any], call_id: str | None = None) -> None:
        if not self.turns or self.turns[-1].role != role:
            self.turns.append(_Turn(role))
        self.turns[-1].parts.append(part)
        self.turns[-1].call_ids.append(call_id)

    # -- parts -----------------------------------------------------------------------------------
    def call(self, index: int, call: ToolCallPart) -> None:
        part = self.codec.encode_tool_call(call)
        if is_generated(call.id):
            del part["functionCall"]["id"]
        if call.signature is not None and not self.ours(call.origin):
            del part["thoughtSignature"]
            came = f"{call.origin.provider}/{call.origin.model}" if call.origin else "an unknown model"
            self.warnings.append(_warn("dropped-signature", f"the thought signature of call {call.id!r} "
                                       f"came from {came}; it is only valid there and was not sent to "
                                       f"{self.target.provider}/{self.target.model}",
                                       f"messages[{index}]"))
        if call.raw_arguments is not None:
            self.warnings.append(_warn("dropped-arguments", f"call {call.id!r} has arguments that are "
                                       "not a JSON object; Gemini takes only objects, so {} was sent",
                                       f"messages[{index}]"))
        self.calls[call.id] = call
        self.add("model", part, call.id)

    def result(self, index: int, result: ToolResultPart) -> None:
        part = self.codec.encode_tool_result(result)
        fr = part["functionResponse"]
        if "name" not in fr:
            call = self.calls.get(result.tool_call_id)
            if call is None:
                raise ToolError(f"the tool result in messages[{index}] answers call "
                                f"{result.tool_call_id!r}, which is not in the conversation, and has "
                                "no name: Gemini needs the function's name", field=f"messages[{index}]",
                                provider=self.target.provider)
            fr["name"] = call.name
        if is_generated(result.tool_call_id):
            del fr["id"]
        self.add("user", part, result.tool_call_id)

    def reasoning(self, index: int, message: Message, position: int,
                  part: ReasoningPart) -> str | None:
        """Adds a thought part; returns a signature that belongs on the next (text) part."""
        if not self.ours(part.origin):
            came = f"{part.origin.provider}/{part.origin.model}" if part.origin else "an unknown model"
            self.warnings.append(_warn("dropped-reasoning", f"reasoning from {came} is not sent to "
                                       f"{self.target.provider}/{self.target.model}",
                                       f"messages[{index}]"))
            return None
        if part.redacted_data is not None:
            self.warnings.append(_warn("dropped-reasoning", "Gemini has no redacted reasoning; it was "
                                       "left out", f"messages[{index}]"))
        if part.text:
            self.add("model", {"text": part.text, "thought": True})
        if part.signature is None:
            return None
        after = message.parts[position + 1] if position + 1 < len(message.parts) else None
        if isinstance(after, TextPart):
            return part.signature
        if part.text:
            self.turns[-1].parts[-1]["thoughtSignature"] = part.signature
        else:
            self.add("model", {"text": "", "thoughtSignature": part.signature})
        return None

    def message(self, index: int, message: Message) -> None:
        role = "model" if message.role == "assistant" else "user"
        signature: str | None = None
        for position, part in enumerate(message.parts):
            if isinstance(part, TextPart):
                wire: dict[str, Any] = {"text": part.text}
                if signature is not None and role == "model":
                    wire["thoughtSignature"] = signature
                self.add(role, wire)
            elif isinstance(part, ImagePart):
                self.add(role, _image(part))
            elif isinstance(part, ToolResultPart):
                self.result(index, part)
            elif isinstance(part, ToolCallPart) and role == "model":
                self.call(index, part)
            elif isinstance(part, ReasoningPart) and role == "model":
                signature = self.reasoning(index, message, position, part)
                continue
            else:
                self.warnings.append(_warn("dropped-part", f"a {part.type} part in a {message.role} "
                                           "message has no place on Gemini's wire; it was left out",
                                           f"messages[{index}]"))
            signature = None

    # -- turns -----------------------------------------------------------------------------------
    def order_results(self) -> None:
        """Puts each turn's function responses in the order of the calls they answer."""
        for before, turn in zip(self.turns, self.turns[1:], strict=False):
            if before.role != "model" or turn.role != "user":
                continue
            order = {cid: i for i, cid in enumerate(before.call_ids) if cid is not None}
            slots = [i for i, p in enumerate(turn.parts) if "functionResponse" in p]
            ranked = sorted(slots, key=lambda i: order.get(turn.call_ids[i] or "", len(order)))
            parts, ids = list(turn.parts), list(turn.call_ids)
            for slot, source in zip(slots, ranked, strict=True):
                turn.parts[slot], turn.call_ids[slot] = parts[source], ids[source]

    def sign_first_calls(self) -> None:
        if not signs_calls(self.target.model):
            return
        for turn in self.turns:
            first = next((p for p in turn.parts if "functionCall" in p), None)
            if turn.role == "model" and first is not None and "thoughtSignature" not in first:
                first["thoughtSignature"] = SKIP_SIGNATURE

    def encode(self) -> Encoded:
        system: list[dict[str, Any]] = []
        began = False
        for index, message in enumerate(self.request.messages):
            if message.role != "system":
                began = True
                self.message(index, message)
                continue
            if began:
                self.warnings.append(_warn("moved-system-message", "Gemini takes one system "
                                           "instruction, before the conversation: this system message "
                                           "was moved there", f"messages[{index}]"))
            for part in message.parts:
                if isinstance(part, TextPart):
                    system.append({"text": part.text})
                else:
                    self.warnings.append(_warn("dropped-part", f"a {part.type} part cannot go in the "
                                               "system instruction; it was left out",
                                               f"messages[{index}]"))
        self.order_results()
        self.sign_first_calls()
        contents = [{"role": t.role, "parts": t.parts} for t in self.turns]
        return Encoded(contents=contents, system=system, warnings=self.warnings)


def encode_messages(request: ChatRequest, provider: str,
                    codec: GeminiToolCodec | None = None) -> Encoded:
    """The ``contents``, the ``systemInstruction`` parts and the warnings for ``request``."""
    plain = _plain(request.messages)
    if plain is not None:
        return plain
    return MessageEncoder(request, provider, codec or GeminiToolCodec(provider)).encode()


def _plain(messages: Sequence[Message]) -> Encoded | None:
    """Messages of one text part each, system ones first, as :class:`MessageEncoder` encodes them
    (a test checks), without its machinery: no replay, ordering or signature rule applies to them.
    ``None`` for any other conversation."""
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    for message in messages:
        parts, role = message.parts, message.role
        if len(parts) != 1 or type(parts[0]) is not TextPart or role == "tool":
            return None
        if role == "system":
            if contents:
                return None  # moved before the conversation, with a warning
            system.append({"text": parts[0].text})
            continue
        wire_role = "model" if role == "assistant" else "user"
        if contents and contents[-1]["role"] == wire_role:
            contents[-1]["parts"].append({"text": parts[0].text})
        else:
            contents.append({"role": wire_role, "parts": [{"text": parts[0].text}]})
    return Encoded(contents=contents, system=system, warnings=[])

