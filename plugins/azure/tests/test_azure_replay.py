"""Reasoning is not sent back to Azure: its OpenAI deployments return no reasoning text, and what a
model served through it does return (DeepSeek-R1's ``reasoning_content``) is read but, as the plugin's
profile says, never sent again: a turn's own reasoning is left out of the next request, without a
warning, since that is the plugin's design rather than a loss."""

from __future__ import annotations

import pytest

import modelplex
from modelplex import Message, Origin, ReasoningPart, TextPart
from modelplex_testing.compat_server import Reply, ScriptedServer

R1 = "DeepSeek-R1"
REPLY = {"id": "chatcmpl-replay", "object": "chat.completion", "created": 1767225600, "model": R1,
         "choices": [{"index": 0, "finish_reason": "stop", "message": {
             "role": "assistant", "content": "6", "reasoning_content": "3 + 3 is 6."}}],
         "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}}


@pytest.mark.feature("reasoning_replay", provider="azure",
                     unsupported="Azure takes no reasoning back: a turn's own is left out")
def test_a_turns_own_reasoning_is_not_sent_back() -> None:
    thought = ReasoningPart(text="2 + 2 is 4.", origin=Origin(provider="azure", model=R1))
    history = [Message.user("2+2?"), Message.assistant([thought, TextPart(text="4")]), Message.user("3+3?")]
    with ScriptedServer([Reply.json(REPLY)]) as server, modelplex.Client(
            providers={"azure": {"base_url": f"http://127.0.0.1:{server.port}",
                                 "api_key": "azure-replay-key"}},
            config_file=False, env={}) as client:
        response = client.chat(f"azure/{R1}", history)
    assert server.requests[0].json["messages"] == [
        {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"},
        {"role": "user", "content": "3+3?"}]
    assert (response.reasoning, response.text, response.warnings) == ("3 + 3 is 6.", "6", ())
