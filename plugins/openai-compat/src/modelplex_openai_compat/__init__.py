"""Shared plumbing for OpenAI-compatible Modelplex providers, used by composition.

A provider is a :class:`CompatConfig` (where the server is, how to authenticate), a
:class:`Profile` (declarative differences between servers) and :class:`Stages` (small functions,
each replaceable: encode messages, tool codec, build body, parse response, parse stream event,
parse usage, map finish reason, map error). :func:`compat_plugin` turns them into the one object a
plugin's entry point names. This package is a library, not a provider: it registers no entry point.

Everything listed in ``__all__`` is the stable API; the rest is private. The names load on first
use, so importing the package (as discovering a plugin built on it does) loads none of the plumbing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex._lazy import lazy_exports

if TYPE_CHECKING:
    from modelplex_openai_compat.body import build_body, reasoning_options, response_format
    from modelplex_openai_compat.call import Call
    from modelplex_openai_compat.config import AuthStyle, CompatConfig, UrlBuilder, base_url, join_url
    from modelplex_openai_compat.errors import (
        ErrorResponse,
        error_details,
        map_error,
        parse_body,
        retry_after,
        stream_error,
    )
    from modelplex_openai_compat.events import response_events
    from modelplex_openai_compat.finish import map_finish_reason
    from modelplex_openai_compat.ids import ToolCallIds
    from modelplex_openai_compat.messages import encode_messages, own_assistants
    from modelplex_openai_compat.models import model_infos
    from modelplex_openai_compat.parse import content_runs, parse_response
    from modelplex_openai_compat.plugin import compat_plugin, provider_info
    from modelplex_openai_compat.profile import Profile
    from modelplex_openai_compat.provider import CompatProvider
    from modelplex_openai_compat.sse import SSEDecoder, SSEEvent
    from modelplex_openai_compat.stages import Stages, openai_chat_codec
    from modelplex_openai_compat.stream import StreamState, parse_stream_event
    from modelplex_openai_compat.think import ThinkSplitter, split_think
    from modelplex_openai_compat.tools import (
        OpenAIChatToolCodec,
        arguments_json,
        content_text,
        encode_each,
    )
    from modelplex_openai_compat.usage import estimate, parse_usage, read_usage, reported_cost, usage_from

__version__ = "0.1.0"

_WHERE = {
    "AuthStyle": "config",
    "Call": "call",
    "CompatConfig": "config",
    "CompatProvider": "provider",
    "ErrorResponse": "errors",
    "OpenAIChatToolCodec": "tools",
    "Profile": "profile",
    "SSEDecoder": "sse",
    "SSEEvent": "sse",
    "Stages": "stages",
    "StreamState": "stream",
    "ThinkSplitter": "think",
    "ToolCallIds": "ids",
    "UrlBuilder": "config",
    "arguments_json": "tools",
    "base_url": "config",
    "build_body": "body",
    "compat_plugin": "plugin",
    "content_runs": "parse",
    "content_text": "tools",
    "encode_each": "tools",
    "encode_messages": "messages",
    "error_details": "errors",
    "estimate": "usage",
    "join_url": "config",
    "map_error": "errors",
    "map_finish_reason": "finish",
    "model_infos": "models",
    "openai_chat_codec": "stages",
    "own_assistants": "messages",
    "parse_body": "errors",
    "parse_response": "parse",
    "parse_stream_event": "stream",
    "parse_usage": "usage",
    "read_usage": "usage",
    "reported_cost": "usage",
    "provider_info": "plugin",
    "reasoning_options": "body",
    "response_events": "events",
    "response_format": "body",
    "retry_after": "errors",
    "split_think": "think",
    "stream_error": "errors",
    "usage_from": "usage",
}

__all__ = [
    "AuthStyle",
    "Call",
    "CompatConfig",
    "CompatProvider",
    "ErrorResponse",
    "OpenAIChatToolCodec",
    "Profile",
    "SSEDecoder",
    "SSEEvent",
    "Stages",
    "StreamState",
    "ThinkSplitter",
    "ToolCallIds",
    "UrlBuilder",
    "arguments_json",
    "base_url",
    "build_body",
    "compat_plugin",
    "content_runs",
    "content_text",
    "encode_each",
    "encode_messages",
    "error_details",
    "estimate",
    "join_url",
    "map_error",
    "map_finish_reason",
    "model_infos",
    "openai_chat_codec",
    "own_assistants",
    "parse_body",
    "parse_response",
    "parse_stream_event",
    "parse_usage",
    "provider_info",
    "read_usage",
    "reasoning_options",
    "reported_cost",
    "response_events",
    "response_format",
    "retry_after",
    "split_think",
    "stream_error",
    "usage_from",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
