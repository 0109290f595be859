"""``modelplex.toolkit``: a sorted ``__all__`` of names that exist, loaded lazily and without httpx."""

from __future__ import annotations

import subprocess
import sys

import modelplex.toolkit as toolkit

EXPECTED = [
    "BadLineError", "NDJSONDecoder", "Reader", "SSEDecoder", "SSEEvent", "SSEHandler", "ToolCallIds",
    "TruncatedLineError", "arguments_json", "connection_cause", "count", "encode_each", "error_details",
    "error_for_status", "error_status", "estimate", "estimate_input", "interrupted", "is_loopback",
    "is_object", "loads", "ndjson_stream", "parse_body", "path_text", "read_json", "response_events",
    "retry_after", "sse_stream", "text_delta", "tokens", "unparsed_arguments", "usage_mismatch",
]


def test_all_is_pinned_sorted_and_every_name_exists() -> None:
    assert toolkit.__all__ == EXPECTED == sorted(EXPECTED)
    assert [name for name in toolkit.__all__ if not hasattr(toolkit, name)] == []
    assert set(dir(toolkit)) >= set(EXPECTED)


def test_every_public_name_has_a_docstring() -> None:
    missing = [name for name in toolkit.__all__ if callable(getattr(toolkit, name))
               and not (getattr(toolkit, name).__doc__ or "").strip()]
    assert missing == []


def test_importing_the_toolkit_loads_neither_its_modules_nor_an_http_library() -> None:
    code = ("import sys, modelplex.toolkit; "
            "print(sorted(m for m in sys.modules if m.startswith(('modelplex.toolkit.', 'httpx', "
            "'aiohttp'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = ("import sys, modelplex.toolkit as t; t.Reader, t.SSEDecoder, t.NDJSONDecoder, "
            "t.error_for_status, t.sse_stream, t.ndjson_stream; "
            "print(sorted(m for m in sys.modules if m.startswith(('httpx', 'aiohttp'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"  # httpx loads only once a stream is read
