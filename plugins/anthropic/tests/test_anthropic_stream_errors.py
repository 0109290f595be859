"""An ``event: error`` inside an Anthropic stream is the error its type is in a whole reply (issue 12,
"Errors"), through the toolkit's one mapping: ``overloaded_error`` a retryable 529
:class:`ServerError`, ``rate_limit_error`` a 429 :class:`RateLimitError`, ``invalid_request_error``
a 400. The stream is the recorded ``fixtures/06`` (crmne/ruby_llm, MIT) cut after its first events;
the error events are Anthropic's documented mid-stream error shape
(``{"type": "error", "error": {"type": ..., "message": ...}}``), also its whole error body.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import modelplex
from modelplex.errors import APIStatusError, BadRequestError, RateLimitError, ServerError
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.malformed import sse_events, sse_reply

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "06_stream_text_after_tool_result.json")
                      .read_text(encoding="utf-8"))["response"]["body_text"]


def _call(client: modelplex.Client, stream: bool) -> None:
    if not stream:
        client.chat("anthropic/claude-haiku-4-5", "hi")
        return
    with client.stream("anthropic/claude-haiku-4-5", "hi") as events:
        for _ in events:
            pass


def _raised(reply: Reply, *, stream: bool) -> APIStatusError:
    with ScriptedServer([reply]) as server, modelplex.Client(
            providers={"anthropic": {"api_key": "sk-ant-test-0123456789",
                                     "base_url": f"http://127.0.0.1:{server.port}"}},
            config_file=False, env={}) as client, pytest.raises(APIStatusError) as caught:
        _call(client, stream)
    return caught.value


@pytest.mark.parametrize(("kind", "status", "cls"), [
    ("overloaded_error", 529, ServerError),
    ("rate_limit_error", 429, RateLimitError),
    ("invalid_request_error", 400, BadRequestError),
])
def test_error_event_is_the_whole_replys_error(kind: str, status: int, cls: type[APIStatusError]) -> None:
    body = {"type": "error", "error": {"type": kind, "message": "Overloaded"}}
    streamed = _raised(sse_reply([*sse_events(RECORDED)[:4], ("error", body)]), stream=True)
    whole = _raised(Reply.json(body, status=status), stream=False)
    assert type(streamed) is cls and type(whole) is cls
    assert (streamed.status_code, streamed.code, streamed.is_retryable) == (
        whole.status_code, whole.code, whole.is_retryable)
