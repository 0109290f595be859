"""Shared plumbing for OpenAI-compatible Modelplex providers, used by composition.

A provider is a :class:`CompatConfig` (where the server is, how to authenticate), a
:class:`Profile` (declarative differences between servers) and :class:`Stages` (small functions,
each replaceable: encode messages, tool codec, build body, parse response, parse stream event,
parse usage, map finish reason, map error). :func:`make_hooks` turns them into the hook functions a
plugin module exports. This package is a library, not a provider: it registers no entry point.

Everything listed in ``__all__`` is the stable API; the rest is private.
"""

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
from modelplex_openai_compat.hooks import Hooks, hooks_for, make_hooks
from modelplex_openai_compat.ids import ToolCallIds
from modelplex_openai_compat.messages import encode_messages
from modelplex_openai_compat.models import model_infos
from modelplex_openai_compat.parse import content_runs, parse_response
from modelplex_openai_compat.profile import Profile
from modelplex_openai_compat.provider import CompatProvider
from modelplex_openai_compat.sse import SSEDecoder, SSEEvent
from modelplex_openai_compat.stages import Stages, openai_chat_codec
from modelplex_openai_compat.stream import StreamState, parse_stream_event
from modelplex_openai_compat.think import ThinkSplitter, split_think
from modelplex_openai_compat.tools import OpenAIChatToolCodec, arguments_json, content_text
from modelplex_openai_compat.usage import estimate, parse_usage, usage_from

__version__ = "0.1.0"

__all__ = [
    "AuthStyle",
    "Call",
    "CompatConfig",
    "CompatProvider",
    "ErrorResponse",
    "Hooks",
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
    "content_runs",
    "content_text",
    "encode_messages",
    "error_details",
    "estimate",
    "hooks_for",
    "join_url",
    "make_hooks",
    "map_error",
    "map_finish_reason",
    "model_infos",
    "openai_chat_codec",
    "parse_body",
    "parse_response",
    "parse_stream_event",
    "parse_usage",
    "reasoning_options",
    "response_events",
    "response_format",
    "retry_after",
    "split_think",
    "stream_error",
    "usage_from",
]
