"""Every provider family behind ``/v1/chat/completions``: Anthropic, Gemini, Ollama, Cohere, Hugging Face and
Replicate upstreams (loopback servers replaying each provider's recorded replies, in its own wire format; a
Replicate call's creation, event stream and prediction read in turn) reached through the official ``openai``
SDK, whole and streamed. The client library translates; the oracle for what the SDK must parse is the same
recording read by the client library directly."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import attrs
import openai
import pytest
from gateway_server import UPSTREAM_KEY, client_for, recording, served
from upstreams import model_of, upstream

import modelplex
from modelplex_testing import Recording
from modelplex_testing.compat_server import ScriptedServer


@attrs.frozen
class Family:
    plugin: str
    fixtures: str  # the folder under the plugin's tests/fixtures
    base_url: Callable[[ScriptedServer], str]
    whole: str
    stream: str
    tools: str | None  # a recorded stream with a tool call (None: the provider has no tools)
    path: str  # where the upstream is asked, in part
    settings: dict[str, Any] = attrs.field(factory=dict)

    def rec(self, name: str) -> Recording:
        return recording(self.plugin, f"{self.fixtures}{name}")

    def providers(self, server: ScriptedServer) -> dict[str, dict[str, Any]]:
        settings: dict[str, Any] = {**self.settings, "base_url": self.base_url(server)}
        if self.plugin != "ollama":
            settings["api_key"] = UPSTREAM_KEY
        return {self.plugin: settings}

    def model(self, rec: Recording) -> str:
        return model_of(self.plugin, rec)

    def upstream(self, name: str) -> contextlib.AbstractContextManager[ScriptedServer]:
        """The loopback upstream replaying the recording ``name`` (a Replicate call's follow-ups too)."""
        return upstream(self.plugin, f"{self.fixtures}{name}")


FAMILIES = [
    Family("anthropic", "", lambda s: s.url, "01_text", "08_stream_thinking",
           "05_stream_tool_use_input_json_delta", "/messages"),
    Family("gemini", "", lambda s: f"http://127.0.0.1:{s.port}", "01_generate_text", "05_stream_text",
           "06_stream_function_call", ":"),
    Family("ollama", "ollama/", lambda s: f"http://127.0.0.1:{s.port}", "01_api_chat_nonstream_docs",
           "21_native_api_chat_stream", "03_api_chat_stream_tools_docs", "/api/chat"),
    Family("cohere", "", lambda s: f"http://127.0.0.1:{s.port}", "01_chat_text", "02_stream_text",
           "07_stream_parallel_tool_calls", "/v2/chat"),
    # Reasoning between <think> tags in the content, recorded with no streamed tool call.
    Family("huggingface", "huggingface/", lambda s: s.url, "01_text_think", "05_stream_thinking", None,
           "/chat/completions"),
    # One prompt, no tool definitions; the prediction polled quickly here.
    Family("replicate", "replicate/", lambda s: s.url, "01_create_wait", "02_create_stream", None,
           "/predictions", settings={"poll_interval": 0.01}),
]
IDS = [f.plugin for f in FAMILIES]
WITH_TOOLS = [pytest.param(f, id=f.plugin) for f in FAMILIES if f.tools is not None]
#: Plugins that speak Chat Completions themselves (their own tests cover them behind this API), the kit's
#: fake, and plugins that are no provider.
CHAT_COMPLETIONS = {"openai", "groq", "deepseek", "mistral", "together", "xai", "openrouter", "azure",
                    "openai-like", "fake", "store", "gateway"}


def direct(family: Family, name: str, stream: bool) -> modelplex.ChatResponse:
    """What the client library itself reads from the recording ``name``: the oracle."""
    rec = family.rec(name)

    async def run() -> modelplex.ChatResponse:
        with family.upstream(name) as up:
            async with client_for(family.providers(up))() as client:
                if not stream:
                    return await client.chat(family.model(rec), "hi")
                async with client.stream(family.model(rec), "hi") as s:
                    return await s.get_response()

    return asyncio.run(run())


def sdk(gw_v1: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw_v1, api_key="x", max_retries=0)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_a_whole_reply_of_each_family(family: Family) -> None:
    rec = family.rec(family.whole)
    expected = direct(family, family.whole, stream=False)
    with family.upstream(family.whole) as up, served(client_for(family.providers(up))) as gw:
        reply = sdk(gw.v1).chat.completions.create(
            model=family.model(rec), messages=[{"role": "system", "content": "Answer briefly."},
                                               {"role": "user", "content": "What is the capital?"}])
    assert expected.text
    assert reply.choices[0].message.content == expected.text
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == expected.usage.total_input
    assert reply.usage.completion_tokens == expected.usage.total_output
    got = up.requests[0]
    assert family.path in got.path
    assert "What is the capital?" in got.body.decode()
    assert "Answer briefly." in got.body.decode()
    if family.plugin == "replicate":  # created (still processing), then read by its urls.get until over
        assert [r.method for r in up.requests] == ["POST", "GET"]


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_a_streamed_reply_of_each_family_with_usage_on_request(family: Family) -> None:
    rec = family.rec(family.stream)
    expected = direct(family, family.stream, stream=True)
    with family.upstream(family.stream) as up, served(client_for(family.providers(up))) as gw:
        chunks = list(sdk(gw.v1).chat.completions.create(
            model=family.model(rec), messages=[{"role": "user", "content": "Say hello"}], stream=True,
            stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or ""
                        for c in chunks if c.choices)
    assert expected.text
    assert text == expected.text
    assert reasoning == expected.reasoning
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == expected.usage.total_output
    assert "Say hello" in up.requests[0].body.decode()
    if family.plugin == "replicate":  # created, its urls.stream read, then its urls.get for the metrics
        assert [(r.method, r.path.split("/")[1]) for r in up.requests] == [
            ("POST", "v1"), ("GET", "stream"), ("GET", "v1")]


@pytest.mark.parametrize("family", WITH_TOOLS)
def test_a_streamed_tool_call_of_each_family(family: Family) -> None:
    assert family.tools is not None
    rec = family.rec(family.tools)
    expected = direct(family, family.tools, stream=True)
    tools: Any = [{"type": "function", "function": {"name": c.name, "parameters": {"type": "object"}}}
             for c in expected.tool_calls]
    with family.upstream(family.tools) as up, served(client_for(family.providers(up))) as gw:
        calls: dict[int, dict[str, str]] = {}
        for c in sdk(gw.v1).chat.completions.create(model=family.model(rec), tools=tools, stream=True,
                                                    messages=[{"role": "user", "content": "use the tool"}]):
            for d in (c.choices[0].delta.tool_calls or ()) if c.choices else ():
                call = calls.setdefault(d.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += d.id or ""
                call["name"] += (d.function.name or "") if d.function else ""
                call["arguments"] += (d.function.arguments or "") if d.function else ""
    assert expected.tool_calls
    assert [calls[i]["name"] for i in sorted(calls)] == [c.name for c in expected.tool_calls]
    assert [json.loads(calls[i]["arguments"]) for i in sorted(calls)] == \
        [dict(c.arguments) for c in expected.tool_calls]
    assert [calls[i]["id"] for i in sorted(calls)] == [c.id for c in expected.tool_calls]
    sent = up.requests[0].body.decode()
    assert all(c.name in sent for c in expected.tool_calls)


@pytest.mark.parametrize("family", WITH_TOOLS)
def test_each_family_behind_the_responses_api_through_the_sdks_stream_helper(family: Family) -> None:
    assert family.tools is not None
    rec = family.rec(family.tools)
    expected = direct(family, family.tools, stream=True)
    tools: Any = [{"type": "function", "name": c.name, "parameters": {"type": "object"}, "strict": False}
                  for c in expected.tool_calls]
    with family.upstream(family.tools) as up, served(client_for(family.providers(up))) as gw, \
            sdk(gw.v1).responses.stream(model=family.model(rec), input="use the tool", tools=tools) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.status == "completed"
    assert final.output_text == expected.text
    calls = [o for o in final.output if o.type == "function_call"]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in calls] == \
        [(c.id, c.name, dict(c.arguments)) for c in expected.tool_calls]
    assert final.usage is not None and final.usage.output_tokens == expected.usage.total_output
    assert "use the tool" in up.requests[0].body.decode()


def test_every_installed_provider_family_is_covered() -> None:
    """A provider plugin of a wire format other than Chat Completions must join FAMILIES, not be left out."""
    installed = set(modelplex.Registry(env={}).records)
    assert installed - {f.plugin for f in FAMILIES} - CHAT_COMPLETIONS == set()
