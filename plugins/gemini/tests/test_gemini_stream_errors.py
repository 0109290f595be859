"""An ``{"error": ...}`` chunk inside a Gemini stream is the error it is in a whole reply (issue 12,
"Errors"), through the toolkit's one mapping. The stream is the recorded ``fixtures/05`` and the error
the recorded 429 ``RESOURCE_EXHAUSTED`` body of ``fixtures/10`` (both crmne/ruby_llm, MIT); a body
that names its status but carries no numeric ``code`` is mapped by the name.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex.errors import APIStatusError, RateLimitError, ServerError
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import sse_events, sse_reply

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "gemini-test-key-0123456789abcdef"


def _response(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["response"]
    return data


EXHAUSTED = _response("10_error_429_resource_exhausted.json")["body"]


def _call(client: modelplex.Client, stream: bool) -> None:
    if not stream:
        client.chat("gemini/gemini-2.5-flash", "hi")
        return
    with client.stream("gemini/gemini-2.5-flash", "hi") as events:
        for _ in events:
            pass


def _raised(reply: Reply, *, stream: bool) -> APIStatusError:
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={"gemini": {"api_key": KEY, "base_url": f"http://127.0.0.1:{server.port}",
                                  "max_retries": 0}},
            config_file=False, env={}) as client, pytest.raises(APIStatusError) as caught:
        _call(client, stream)
    return caught.value


def _streamed(error_body: Any) -> APIStatusError:
    events = sse_events(_response("05_stream_text.json")["body_text"])[:2]
    return _raised(sse_reply([*events, (None, error_body)]), stream=True)


def test_recorded_quota_error_mid_stream_is_the_whole_replys_error() -> None:
    streamed = _streamed(EXHAUSTED)
    whole = _raised(Reply.json(EXHAUSTED, status=429), stream=False)
    assert type(streamed) is type(whole) is RateLimitError
    assert (streamed.status_code, streamed.code, streamed.retry_after) == (
        whole.status_code, whole.code, whole.retry_after)


def test_a_status_name_without_a_code_is_mapped_by_the_name() -> None:
    # Before: no numeric code meant a ServerError with an invented HTTP 500.
    body = copy.deepcopy(EXHAUSTED)
    del body["error"]["code"]
    streamed = _streamed(body)
    assert isinstance(streamed, RateLimitError) and not isinstance(streamed, ServerError)
    assert streamed.status_code == 429
