"""What the Anthropic API tests stand on, beside :mod:`gateway_server` (the gateway under uvicorn, recorded
replies replayed by the scripted loopback server): the provider families behind ``/v1/messages``, each
with the recorded replies of its plugin's own fixtures that the tests replay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from gateway_server import UPSTREAM_KEY, client_for, recording, replayed
from upstreams import model_of

import modelplex
from modelplex_testing import Recording
from modelplex_testing.compat_server import ScriptedServer


def _root(server: ScriptedServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def _v1(server: ScriptedServer) -> str:
    return server.url


@attrs.frozen(kw_only=True)
class Family:
    """A provider family behind ``/v1/messages``: the plugin and its settings, and the recorded replies
    (streamed and whole, under the plugin's ``tests/fixtures``) its loopback server replays."""

    name: str
    plugin: str
    streams: tuple[str, ...]
    whole: str
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    base_url: Callable[[ScriptedServer], str] = _v1

    def rec(self, name: str) -> Recording:
        """A recording of this family's plugin."""
        return recording(self.plugin, name)

    def model(self, rec: Recording) -> str:
        """The address of the model ``rec`` was recorded with."""
        return model_of(self.plugin, rec)

    def client(self, server: ScriptedServer) -> Callable[[], modelplex.AsyncClient]:
        """A maker of clients whose provider of this family is ``server``."""
        settings: dict[str, Any] = {**self.settings, "base_url": self.base_url(server)}
        if self.plugin != "ollama":
            settings["api_key"] = UPSTREAM_KEY
        return client_for({self.plugin: settings})


FAMILIES = (
    Family(name="anthropic", plugin="anthropic",
           streams=("08_stream_thinking", "07_stream_two_parallel_tool_use",
                    "05_stream_tool_use_input_json_delta"),
           whole="04_thinking_then_tool_use"),
    Family(name="openai-chat", plugin="openai", settings={"api": "chat_completions"},
           streams=("openai/06_chat_stream_text_with_usage", "openai/07_chat_stream_parallel_tool_calls"),
           whole="openai/04_chat_parallel_tool_calls"),
    Family(name="openai-responses", plugin="openai", settings={"api": "responses"},
           streams=("openai_responses/07_stream_reasoning_text_and_function_call",),
           whole="openai_responses/04_reasoning_then_function_call"),
    Family(name="gemini", plugin="gemini", base_url=_root,
           streams=("07_stream_thinking", "06_stream_function_call"), whole="02_parallel_function_calls"),
    Family(name="ollama", plugin="ollama", base_url=_root,
           streams=("ollama/21_native_api_chat_stream", "ollama/03_api_chat_stream_tools_docs"),
           whole="ollama/04_api_chat_nonstream_tools_docs"),
    Family(name="groq", plugin="groq", streams=("groq/04_stream_reasoning_then_tool_call",),
           whole="groq/03_parallel_tool_calls"),
    Family(name="mistral", plugin="mistral", whole="mistral/06_thinking_chunks",
           streams=("mistral/07_stream_thinking", "mistral/05_stream_tool_call")),
    Family(name="deepseek", plugin="deepseek",
           streams=("deepseek/07_stream_reasoning_content", "deepseek/05_stream_tool_call"),
           whole="deepseek/03_reasoning_parallel_tool_calls"),
    Family(name="cohere", plugin="cohere", base_url=_root,
           streams=("02_stream_text", "07_stream_parallel_tool_calls"), whole="06_chat_parallel_tool_calls"),
    # The router's reasoning models think between <think> tags in the content: thinking blocks here.
    Family(name="huggingface", plugin="huggingface", streams=("huggingface/05_stream_thinking",),
           whole="huggingface/03_parallel_tool_calls"),
    # A prediction: created, its event stream read (or, whole, the prediction read until it is over).
    Family(name="replicate", plugin="replicate", settings={"poll_interval": 0.01},
           streams=("replicate/02_create_stream",), whole="replicate/01_create_wait"),
)


def installed() -> set[str]:
    """The plugins installed here."""
    return set(modelplex.Registry(env={}).records)


__all__ = ["FAMILIES", "Family", "ScriptedServer", "installed", "replayed"]
