"""A whole :class:`~modelplex.ChatResponse` as the stream events that would have built it.

For servers that answer a streaming request with one JSON body, and for tests that compare a
streamed reply with a whole one.
"""

from __future__ import annotations

import json

from modelplex import (
    ChatResponse,
    Finished,
    ReasoningDelta,
    ReasoningPart,
    ResponseStarted,
    StreamEvent,
    TextPart,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex._events import text_delta as text_delta  # the toolkit's name for it


def arguments_json(call: ToolCallPart) -> str:
    """A call's arguments as the JSON string a wire carries; unparsed ``raw_arguments`` as they came."""
    if call.raw_arguments is not None:
        return call.raw_arguments
    return json.dumps(dict(call.arguments), ensure_ascii=False, separators=(",", ":"))


def response_events(response: ChatResponse) -> list[StreamEvent]:
    """The events whose accumulation gives ``response`` back."""
    events: list[StreamEvent] = [ResponseStarted(id=response.id, model=response.model)]
    events += [WarningRaised(warning=w) for w in response.warnings]
    index = 0
    for part in response.parts:
        if isinstance(part, TextPart):
            events.append(text_delta(part.text))
        elif isinstance(part, ReasoningPart):
            events.append(ReasoningDelta(text=part.text, signature=part.signature,
                                         redacted_data=part.redacted_data))
        elif isinstance(part, ToolCallPart):
            events.append(ToolCallStarted(index=index, id=part.id, name=part.name))
            events.append(ToolCallDelta(index=index, arguments=arguments_json(part)))
            events.append(ToolCallEnded(index=index, call=part))
            index += 1
    if response.citations:
        from modelplex._citations import CitationAdded

        events += [CitationAdded(citation=c) for c in response.citations]
    events.append(UsageReported(usage=response.usage))
    events.append(Finished(reason=response.finish_reason, raw_reason=response.raw_finish_reason))
    return events
