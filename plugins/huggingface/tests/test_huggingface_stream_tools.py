"""Streamed tool calls through Hugging Face's router, on the loopback wire: two calls whose argument
fragments interleave come back whole, each with its own arguments, with the stream's usage."""

from __future__ import annotations

import pytest

import modelplex
from modelplex import FinishReason, ToolCallPart, Usage
from modelplex_testing.compat_server import Reply, ScriptedServer, parallel_tool_calls

LLAMA = "meta-llama/Llama-3.3-70B-Instruct"


@pytest.mark.feature("streamed_tool_arguments", provider="huggingface")
def test_interleaved_argument_fragments_come_back_as_whole_calls() -> None:
    usage = {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}
    with ScriptedServer([Reply.stream(parallel_tool_calls(usage))]) as server, modelplex.Client(
            providers={"huggingface": {"base_url": server.url, "api_key": "hf_stream-tools-token"}},
            config_file=False, env={}) as client, client.stream(
                f"huggingface/{LLAMA}", "Weather and time in Oslo?",
                tools=[{"name": "weather"}, {"name": "time"}]) as stream:
        events = list(stream)
    response = stream.response
    assert response is not None and response.text == "Checking both."
    assert response.tool_calls == (ToolCallPart(id="call_w", name="weather", arguments={"city": "Oslo"}),
                                   ToolCallPart(id="call_t", name="time", arguments={"tz": "CET"}))
    assert response.finish_reason is FinishReason.TOOL_CALLS and response.usage == Usage(input=30, output=12)
    assert events[-1] == modelplex.Finished(reason=FinishReason.TOOL_CALLS, raw_reason="tool_calls")
    assert [t["function"]["name"] for t in server.requests[0].json["tools"]] == ["weather", "time"]
