"""The overridable stages of a call, gathered in one frozen object.

Override one stage by composition, keeping the others::

    def my_finish(raw: str | None) -> FinishReason:
        return FinishReason.STOP if raw == "done" else map_finish_reason(raw)

    STAGES = attrs.evolve(Stages(), map_finish_reason=my_finish)

Every stage gets what it needs as arguments (most get the :class:`Call`, which carries the stages
themselves, so a default stage calls the others through ``call.stages``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from modelplex import ChatResponse, FinishReason, ProviderWarning, StreamEvent, ToolCodec, Usage
from modelplex.errors import ModelplexError
from modelplex_openai_compat.body import build_body
from modelplex_openai_compat.call import Call
from modelplex_openai_compat.errors import ErrorResponse, map_error
from modelplex_openai_compat.finish import map_finish_reason
from modelplex_openai_compat.messages import encode_messages
from modelplex_openai_compat.parse import parse_response
from modelplex_openai_compat.profile import Profile
from modelplex_openai_compat.sse import SSEEvent
from modelplex_openai_compat.stream import StreamState, parse_stream_event
from modelplex_openai_compat.tools import OpenAIChatToolCodec
from modelplex_openai_compat.usage import parse_usage

EncodeMessages = Callable[[Call], tuple[list[dict[str, Any]], list[ProviderWarning]]]
BuildBody = Callable[[Call, list[dict[str, Any]]], tuple[dict[str, Any], list[ProviderWarning]]]
ParseResponse = Callable[[Call, Mapping[str, Any]], ChatResponse]
ParseStreamEvent = Callable[[Call, StreamState, SSEEvent], list[StreamEvent]]
ParseUsage = Callable[[Call, Mapping[str, Any]], "tuple[Usage, list[ProviderWarning]] | None"]
MapFinishReason = Callable[["str | None"], FinishReason]
MapError = Callable[[ErrorResponse], ModelplexError]
MakeToolCodec = Callable[[Profile, str], ToolCodec]


def openai_chat_codec(profile: Profile, provider: str) -> ToolCodec:
    """The default :data:`MakeToolCodec`: :class:`OpenAIChatToolCodec` for the profile."""
    return OpenAIChatToolCodec(profile, provider=provider)


@attrs.frozen(kw_only=True)
class Stages:
    """The steps of a Chat Completions call; each a plain function with a documented signature.

    :param encode_messages: ``(call) -> (messages, warnings)``
    :param tool_codec: ``(profile, provider) -> ToolCodec``
    :param build_body: ``(call, messages) -> (body, warnings)``
    :param parse_response: ``(call, data) -> ChatResponse``
    :param parse_stream_event: ``(call, state, sse_event) -> [StreamEvent]``
    :param parse_usage: ``(call, response_or_chunk) -> (Usage, warnings) | None``
    :param map_finish_reason: ``(raw) -> FinishReason``
    :param map_error: ``(ErrorResponse) -> ModelplexError``
    """

    encode_messages: EncodeMessages = encode_messages
    tool_codec: MakeToolCodec = openai_chat_codec
    build_body: BuildBody = build_body
    parse_response: ParseResponse = parse_response
    parse_stream_event: ParseStreamEvent = parse_stream_event
    parse_usage: ParseUsage = parse_usage
    map_finish_reason: MapFinishReason = map_finish_reason
    map_error: MapError = map_error


DEFAULT_STAGES = Stages()
