"""The provider toolkit: what a native provider plugin needs, whatever wire format it speaks.

Reading JSON replies so that a malformed one names the JSON path of what was wrong
(:class:`Reader`, :func:`read_json`, :func:`is_object`), decoding Server-Sent Events and
newline-delimited JSON in bytes cut anywhere (:class:`SSEDecoder`, :class:`NDJSONDecoder`), the read
loop of a streamed reply (:func:`sse_stream`, :func:`ndjson_stream`), an HTTP error status and body as
the right :class:`~modelplex.errors.APIStatusError` (:func:`error_for_status`, :func:`parse_body`,
:func:`error_details`, :func:`retry_after`), tool-call ids as a wire takes them (:class:`ToolCallIds`),
the per-tool encode loop (:func:`encode_each`), a whole reply as stream events
(:func:`response_events`), the most frequent event made fast (:func:`text_delta`), a token estimate
for replies that carry no usage (:func:`estimate`) and
whether a base URL is this machine (:func:`is_loopback`) and why a connection failed, in words
(:func:`connection_cause`).

Everything in ``__all__`` is the stable API. The names load on first use: importing
``modelplex.toolkit`` (as discovering a plugin that uses it does) loads none of them, and nothing here
imports httpx until a stream is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex._lazy import lazy_exports

if TYPE_CHECKING:
    from modelplex.toolkit.connect import connection_cause
    from modelplex.toolkit.events import arguments_json, response_events, text_delta
    from modelplex.toolkit.ids import ToolCallIds
    from modelplex.toolkit.jsonread import Reader, is_object, loads, path_text, read_json
    from modelplex.toolkit.loopback import is_loopback
    from modelplex.toolkit.ndjson import BadLineError, NDJSONDecoder, TruncatedLineError, ndjson_stream
    from modelplex.toolkit.sse import SSEDecoder, SSEEvent
    from modelplex.toolkit.status import (
        error_details,
        error_for_status,
        error_status,
        parse_body,
        retry_after,
    )
    from modelplex.toolkit.stream import SSEHandler, interrupted, sse_stream
    from modelplex.toolkit.tools import encode_each, unparsed_arguments
    from modelplex.toolkit.usage import count, estimate, estimate_input, tokens, usage_mismatch

# Where each public name lives (a module of this package).
_WHERE: dict[str, str] = {
    "BadLineError": "ndjson",
    "NDJSONDecoder": "ndjson",
    "Reader": "jsonread",
    "SSEDecoder": "sse",
    "SSEEvent": "sse",
    "SSEHandler": "stream",
    "ToolCallIds": "ids",
    "TruncatedLineError": "ndjson",
    "arguments_json": "events",
    "connection_cause": "connect",
    "count": "usage",
    "encode_each": "tools",
    "error_details": "status",
    "error_for_status": "status",
    "error_status": "status",
    "estimate": "usage",
    "estimate_input": "usage",
    "interrupted": "stream",
    "is_loopback": "loopback",
    "is_object": "jsonread",
    "loads": "jsonread",
    "ndjson_stream": "ndjson",
    "parse_body": "status",
    "path_text": "jsonread",
    "read_json": "jsonread",
    "response_events": "events",
    "retry_after": "status",
    "sse_stream": "stream",
    "text_delta": "events",
    "tokens": "usage",
    "unparsed_arguments": "tools",
    "usage_mismatch": "usage",
}

__all__ = [
    "BadLineError",
    "NDJSONDecoder",
    "Reader",
    "SSEDecoder",
    "SSEEvent",
    "SSEHandler",
    "ToolCallIds",
    "TruncatedLineError",
    "arguments_json",
    "connection_cause",
    "count",
    "encode_each",
    "error_details",
    "error_for_status",
    "error_status",
    "estimate",
    "estimate_input",
    "interrupted",
    "is_loopback",
    "is_object",
    "loads",
    "ndjson_stream",
    "parse_body",
    "path_text",
    "read_json",
    "response_events",
    "retry_after",
    "sse_stream",
    "text_delta",
    "tokens",
    "unparsed_arguments",
    "usage_mismatch",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
