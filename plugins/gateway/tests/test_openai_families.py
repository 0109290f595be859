"""Every provider family behind ``/v1/chat/completions``: Anthropic, Gemini and Ollama upstreams (loopback
servers replaying each provider's recorded replies, in its own wire format) reached through the official
``openai`` SDK, whole and streamed. The client library translates; the oracle for what the SDK must parse
is the same recording read by the client library directly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import attrs
import openai
import pytest
from gateway_server import UPSTREAM_KEY, client_for, recording, replayed, served

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
    tools: str  # a recorded stream with a tool call
    path: str  # where the upstream is asked, in part

    def rec(self, name: str) -> Recording:
        return recording(self.plugin, f"{self.fixtures}{name}")

    def providers(self, server: ScriptedServer) -> dict[str, dict[str, Any]]:
        settings: dict[str, Any] = {"base_url": self.base_url(server)}
        if self.plugin != "ollama":
            settings["api_key"] = UPSTREAM_KEY
        return {self.plugin: settings}

    def model(self, rec: Recording) -> str:
        body = rec.request_body
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            return f"{self.plugin}/{body['model']}"
        name = rec.request["url"].split("/models/", 1)[1].split(":", 1)[0]  # Gemini names it in the URL
        return f"{self.plugin}/{name}"


FAMILIES = [
    Family("anthropic", "", lambda s: s.url, "01_text", "08_stream_thinking",
           "05_stream_tool_use_input_json_delta", "/messages"),
    Family("gemini", "", lambda s: f"http://127.0.0.1:{s.port}", "01_generate_text", "05_stream_text",
           "06_stream_function_call", ":"),
    Family("ollama", "ollama/", lambda s: f"http://127.0.0.1:{s.port}", "01_api_chat_nonstream_docs",
           "21_native_api_chat_stream", "03_api_chat_stream_tools_docs", "/api/chat"),
]
IDS = [f.plugin for f in FAMILIES]


def direct(family: Family, rec: Recording, stream: bool) -> modelplex.ChatResponse:
    """What the client library itself reads from ``rec``: the oracle."""
    async def run() -> modelplex.ChatResponse:
        with ScriptedServer([replayed(rec)]) as up:
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
    expected = direct(family, rec, stream=False)
    with ScriptedServer([replayed(rec)]) as up, served(client_for(family.providers(up))) as gw:
        reply = sdk(gw.v1).chat.completions.create(
            model=family.model(rec), messages=[{"role": "system", "content": "Answer briefly."},
                                               {"role": "user", "content": "What is the capital?"}])
    assert expected.text
    assert reply.choices[0].message.content == expected.text
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == expected.usage.total_input
    assert reply.usage.completion_tokens == expected.usage.total_output
    got = up.requests[-1]
    assert family.path in got.path
    assert "What is the capital?" in got.body.decode()
    assert "Answer briefly." in got.body.decode()


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_a_streamed_reply_of_each_family_with_usage_on_request(family: Family) -> None:
    rec = family.rec(family.stream)
    expected = direct(family, rec, stream=True)
    with ScriptedServer([replayed(rec)]) as up, served(client_for(family.providers(up))) as gw:
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
    assert "Say hello" in up.requests[-1].body.decode()


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_a_streamed_tool_call_of_each_family(family: Family) -> None:
    rec = family.rec(family.tools)
    expected = direct(family, rec, stream=True)
    tools = [{"type": "function", "function": {"name": c.name, "parameters": {"type": "object"}}}
             for c in expected.tool_calls]
    with ScriptedServer([replayed(rec)]) as up, served(client_for(family.providers(up))) as gw:
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
    sent = up.requests[-1].body.decode()
    assert all(c.name in sent for c in expected.tool_calls)


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_each_family_behind_the_responses_api_through_the_sdks_stream_helper(family: Family) -> None:
    rec = family.rec(family.tools)
    expected = direct(family, rec, stream=True)
    tools: Any = [{"type": "function", "name": c.name, "parameters": {"type": "object"}, "strict": False}
                  for c in expected.tool_calls]
    with ScriptedServer([replayed(rec)]) as up, served(client_for(family.providers(up))) as gw, \
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
    assert "use the tool" in up.requests[-1].body.decode()
