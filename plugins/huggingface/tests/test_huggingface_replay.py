"""Reasoning is not sent back through Hugging Face's router: the plugin's profile sends none back (the
models behind it, such as DeepSeek-R1 and Qwen3, expect earlier turns as their answers alone), so a
huggingface turn's own reasoning is left out of the next request, neither as a field nor as ``<think>``
tags, and without a warning, since that is the plugin's design rather than a loss."""

from __future__ import annotations

import pytest

import modelplex
from modelplex import Message, Origin, ReasoningPart, TextPart
from modelplex_testing.compat_server import Reply, ScriptedServer

R1 = "deepseek-ai/DeepSeek-R1"
REPLY = {"id": "chatcmpl-hf", "object": "chat.completion", "model": R1,
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "<think>\n6.\n</think>\n\n6"},
                      "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}}


@pytest.mark.feature("reasoning_replay", provider="huggingface",
                     unsupported="the router's models take no reasoning back: a turn's own is left out")
def test_a_turns_own_reasoning_is_not_sent_back() -> None:
    thought = ReasoningPart(text="2 + 2 is 4.", origin=Origin(provider="huggingface", model=R1))
    history = [Message.user("2+2?"), Message.assistant([thought, TextPart(text="4")]), Message.user("3+3?")]
    with ScriptedServer([Reply.json(REPLY)]) as server, modelplex.Client(
            providers={"huggingface": {"base_url": server.url, "api_key": "hf_replay-test-token"}},
            config_file=False, env={}) as client:
        response = client.chat(f"huggingface/{R1}", history)
    assert server.requests[0].json["messages"] == [
        {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"},
        {"role": "user", "content": "3+3?"}]
    assert (response.reasoning, response.text, response.warnings) == ("6.\n", "6", ())
