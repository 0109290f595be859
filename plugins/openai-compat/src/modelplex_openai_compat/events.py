"""A whole :class:`~modelplex.ChatResponse` as the stream events that would have built it.

For servers that answer ``"stream": true`` with one JSON body, and for tests that compare a
streamed reply with a whole one.
"""

from __future__ import annotations

from modelplex import (
    ChatResponse,
    Finished,
    ReasoningDelta,
    ReasoningPart,
    ResponseStarted,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    UsageReported,
    WarningRaised,
)
from modelplex_openai_compat.tools import arguments_json


def response_events(response: ChatResponse) -> list[StreamEvent]:
    """The events whose accumulation gives ``response`` back."""
    events: list[StreamEvent] = [ResponseStarted(id=response.id, model=response.model)]
    events += [WarningRaised(warning=w) for w in response.warnings]
    index = 0
    for part in response.parts:
        if isinstance(part, TextPart):
            events.append(TextDelta(text=part.text))
        elif isinstance(part, ReasoningPart):
            events.append(ReasoningDelta(text=part.text, signature=part.signature,
                                         redacted_data=part.redacted_data))
        elif isinstance(part, ToolCallPart):
            events.append(ToolCallStarted(index=index, id=part.id, name=part.name))
            events.append(ToolCallDelta(index=index, arguments=arguments_json(part)))
            events.append(ToolCallEnded(index=index, call=part))
            index += 1
    events.append(UsageReported(usage=response.usage))
    events.append(Finished(reason=response.finish_reason, raw_reason=response.raw_finish_reason))
    return events
