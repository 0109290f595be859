"""The public API: a sorted, complete ``__all__``; a light import; a library, not a provider."""

from __future__ import annotations

import inspect
import subprocess
import sys
from importlib import metadata

import modelplex_openai_compat as compat

# The API, pinned: a change here is a change of the library's public surface.
API = ["AuthStyle", "Call", "CompatConfig", "CompatProvider", "ErrorResponse",
       "OpenAIChatToolCodec", "Profile", "SSEDecoder", "SSEEvent", "Stages", "StreamState",
       "ThinkSplitter", "ToolCallIds", "UrlBuilder", "arguments_json", "base_url", "build_body",
       "compat_plugin", "content_runs", "content_text", "encode_each", "encode_messages",
       "error_details", "estimate", "join_url", "map_error", "map_finish_reason", "model_infos",
       "openai_chat_codec", "own_assistants", "parse_body", "parse_response", "parse_stream_event",
       "parse_usage", "provider_info", "read_usage", "reasoning_options", "reported_cost",
       "response_events", "response_format", "retry_after", "split_think", "stream_error",
       "usage_from"]


def test_all_is_sorted_and_pinned() -> None:
    assert compat.__all__ == sorted(compat.__all__) == API


def test_every_name_exists_and_is_documented() -> None:
    for name in compat.__all__:
        obj = getattr(compat, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_importing_loads_no_http_library() -> None:
    code = "import sys, modelplex_openai_compat; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_it_registers_no_provider() -> None:
    dist = metadata.distribution("modelplex-openai-compat")
    assert not [ep for ep in dist.entry_points if ep.group == "modelplex.plugins"]
