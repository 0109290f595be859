"""Folding stream events into the response they make: :class:`Accumulator`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from modelplex._citations import Citation, CitationAdded
from modelplex._events import (
    Finished,
    ReasoningDelta,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex._messages import Origin, Part, ReasoningPart, TextPart, ToolCallPart
from modelplex._responses import ChatResponse, FinishReason, ProviderWarning, Usage

if TYPE_CHECKING:
    from modelplex._call.lifecycle import CallInfo


def parse_arguments(text: str) -> tuple[dict[str, Any], str | None]:
    """Tool-call arguments as a JSON object; on anything else, ``{}`` and the raw text (nothing lost)."""
    if not text.strip():
        return {}, None
    try:
        value = json.loads(text)
    except ValueError:
        return {}, text
    return (value, None) if isinstance(value, dict) else ({}, text)


class Accumulator:
    """Folds stream events into the parts, usage and finish reason of a :class:`ChatResponse`."""

    def __init__(self, provider: str, model: str) -> None:
        self.provider, self.model = provider, model
        # Reasoning is replayed to the model the caller asked for, not the snapshot that answered.
        self.origin = Origin(provider=provider, model=model)
        self.id: str | None = None
        self.parts: list[Part] = []
        self.usage: Usage | None = None
        self.finish: Finished | None = None
        self.warnings: list[ProviderWarning] = []
        self.citations: list[Citation] = []
        self._text: list[str] | None = None
        self._reasoning: dict[str, Any] | None = None
        self._calls: dict[int, dict[str, Any]] = {}

    def _close_runs(self, keep: str) -> None:
        if keep != "text" and self._text is not None:
            self.parts.append(TextPart(text="".join(self._text)))
            self._text = None
        if keep != "reasoning" and self._reasoning is not None:
            r = self._reasoning
            self.parts.append(ReasoningPart(text="".join(r["text"]), signature=r["signature"],
                                            redacted_data=r["redacted"],
                                            origin=self.origin))
            self._reasoning = None

    def add(self, event: StreamEvent) -> None:
        if type(event) is TextDelta and self._text is not None:  # text goes on (no other run is open)
            self._text.append(event.text)
        elif isinstance(event, TextDelta):
            self._close_runs("text")
            if self._text is None:
                self._text = []
            self._text.append(event.text)
        elif isinstance(event, ReasoningDelta) and event.redacted_data is not None and not (
                self._reasoning is not None and self._reasoning["signature"] is None
                and self._reasoning["redacted"] is None and self._text is None):
            # A redacted block that does not end an open, unsigned reasoning run (OpenAI's reasoning
            # item ends its summary with its id and encrypted content) arrives whole and stands alone
            # (Anthropic's redacted thinking): merged into a neighbour, its data would be lost on replay.
            self._close_runs("")
            self.parts.append(ReasoningPart(text=event.text, signature=event.signature,
                                            redacted_data=event.redacted_data, origin=self.origin))
        elif isinstance(event, ReasoningDelta):
            self._close_runs("reasoning")
            r = self._reasoning
            if r is None or (r["signature"] is not None and event.text):
                self._close_runs("")
                r = self._reasoning = {"text": [], "signature": None, "redacted": None}
            r["text"].append(event.text)
            r["signature"] = event.signature or r["signature"]
            r["redacted"] = event.redacted_data or r["redacted"]
        elif isinstance(event, ToolCallStarted):
            self._close_runs("")
            self._calls[event.index] = {"id": event.id, "name": event.name, "args": [],
                                        "slot": len(self.parts)}
            self.parts.append(ToolCallPart(id=event.id, name=event.name))
        elif isinstance(event, ToolCallDelta):
            call = self._calls.get(event.index)
            if call is not None:
                call["args"].append(event.arguments)
        elif isinstance(event, ToolCallEnded):
            self._close_runs("")
            started = self._calls.pop(event.index, None)
            if started is None:
                self.parts.append(event.call)
            else:
                self.parts[started["slot"]] = event.call
        elif isinstance(event, UsageReported):
            self.usage = event.usage
        elif isinstance(event, Finished):
            self.finish = event
        elif isinstance(event, WarningRaised):
            self.warnings.append(event.warning)
        elif isinstance(event, ResponseStarted):
            self.id = event.id or self.id
            self.model = event.model or self.model
        elif isinstance(event, CitationAdded):
            self.citations.append(event.citation)

    def seen(self, usage: Usage | None, call: CallInfo) -> Usage:
        """The usage of a stream cut short: the provider's last count, else an estimate of the
        prompt and of the text received so far (marked estimated)."""
        if usage is not None:
            return usage
        from modelplex._estimate import CHARS_PER_TOKEN, prompt_tokens

        request: Any = call.request
        chars = sum(len(t) for t in self._text or ()) + sum(len(getattr(p, "text", "")) for p in self.parts)
        return Usage(input=prompt_tokens(request.messages, request.options),
                     output=-(-chars // CHARS_PER_TOKEN), estimated=True)

    def response(self) -> ChatResponse:
        self._close_runs("")
        for call in self._calls.values():  # calls whose end the provider never marked
            args, raw = parse_arguments("".join(call["args"]))
            self.parts[call["slot"]] = ToolCallPart(id=call["id"], name=call["name"], arguments=args,
                                                    raw_arguments=raw)
        self._calls.clear()
        finish = self.finish or Finished(reason=FinishReason.OTHER)
        return ChatResponse(provider=self.provider, model=self.model, parts=tuple(self.parts),
                            finish_reason=finish.reason, raw_finish_reason=finish.raw_reason,
                            usage=self.usage or Usage(estimated=True), warnings=tuple(self.warnings),
                            id=self.id, citations=tuple(self.citations))
