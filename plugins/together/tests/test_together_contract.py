"""The provider contract for ``together``, against real recorded Together AI traffic.

The recordings reached Together through the Hugging Face router
(``https://router.huggingface.co/together/v1``); the bodies are Together's. The contract points the
base URL there, so the paths match; the default base URL is tested apart.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import AsyncClient, FinishReason, Message, Tool, Usage
from modelplex_testing import FAKE_KEY, Expect, ProviderContract, Recording, Replayer, Scenario

FIXTURES = Path(__file__).parent / "fixtures"
TOGETHER = FIXTURES / "together"
ROUTER = "https://router.huggingface.co/together/v1"
# Every request key a scenario must reproduce exactly (where the recording or the plugin has it).
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "stream_options", "response_format")
R1 = "deepseek-ai/DeepSeek-R1"
SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"


def recording(name: str) -> Recording:
    return Recording.load(TOGETHER / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario then checks they encode back exactly."""
    return OpenAIChatToolCodec().decode_tools(recording(name).request_body["tools"])


def recorded_think(name: str) -> tuple[str, str]:
    """(reasoning, text) of a recorded ``<think>...</think>answer`` content, cut at the tags."""
    content = str(recording(name).response["body"]["choices"][0]["message"]["content"])
    assert content.startswith("<think>\n")
    end = content.index("</think>")
    return content[len("<think>\n"):end], content[end + len("</think>"):].lstrip("\n")


# The R1 recordings' client sent "name": null and "tool_calls": null on the user message and an
# empty "tools" list; this plugin sends neither. test_r1_requests checks the rest exactly.
NOT_NULLS = tuple(k for k in EXACT if k not in ("messages", "tools"))


class TestTogetherContract(ProviderContract):
    provider = "together"
    fixtures = TOGETHER
    settings: ClassVar[dict[str, Any]] = {"base_url": ROUTER}
    supports_streaming = True  # no recording of a Together stream: see test_together_think.py and e2e
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = True  # no recording of it: tested in test_together_e2e.py
    supports_embeddings = True  # no recording of it: tested in test_together_e2e.py
    supports_list_models = True  # no recording of it: tested in test_together_e2e.py
    scenarios = {
        "chat_text": Scenario(
            recording="01_text", model=R1, messages=[Message.user("hello")], compare=NOT_NULLS,
            expect=Expect(text=recorded_think("01_text")[1], reasoning=recorded_think("01_text")[0],
                          finish_reason=FinishReason.STOP, usage=Usage(input=4, output=197),
                          model=R1)),
        "chat_tool_call": Scenario(
            recording="03_tool_call_required", model=SCOUT,
            messages=[Message.user("What's the weather in Paris?")],
            options={"tools": recorded_tools("03_tool_call_required"), "tool_choice": "required"},
            compare=EXACT,
            expect=Expect(text="", tool_calls=[("get_weather", {"city": "Paris"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=608, output=30),
                          model=SCOUT)),
        "chat_parallel_tool_calls": Scenario(
            recording="02_parallel_tool_calls", model=SCOUT,
            messages=[Message.user("Get weather for Paris and summarize")],
            options={"tools": recorded_tools("02_parallel_tool_calls"), "tool_choice": "required"},
            compare=EXACT,
            expect=Expect(text="", tool_calls=[("get_weather", {"city": "Paris"}),
                                               ("final_result", {"city": "Paris",
                                                                 "summary": "Weather in Paris"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=720, output=65))),
        "chat_tool_call_r1": Scenario(
            recording="04_tool_call_deepseek_r1", model=R1, messages=[Message.user(
                "What are the first three prime numbers? Return them as a list of integers.")],
            options={"tools": recorded_tools("04_tool_call_deepseek_r1"), "tool_choice": "required"},
            compare=NOT_NULLS,
            expect=Expect(text="", reasoning="", tool_calls=[("final_result", {"response": [2, 3, 5]})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=19, output=29),
                          model=R1)),
    }

    def test_chat_reasoning(self) -> None:
        """The R1 text reply is the reasoning case: its <think> block becomes a reasoning part."""
        self.chat_case("chat_text", self.supports_reasoning)

    def test_chat_tool_call_deepseek_r1(self) -> None:
        self.chat_case("chat_tool_call_r1", self.supports_tools)

    def test_r1_requests(self) -> None:
        """The R1 requests equal the recorded ones less the recorded client's nulls and empty list."""
        for name in ("chat_text", "chat_tool_call_r1"):
            scn = self.scenarios[name]
            _, replayer, _ = self.run(scn)
            body = replayer.sent_json(0)
            recorded = recording(scn.recording).request_body
            assert body["messages"] == [{k: v for k, v in m.items() if v is not None}
                                        for m in recorded["messages"]]
            assert body.get("tools") == (recorded["tools"] or None)

    def test_the_default_base_url_and_the_key(self) -> None:
        replayer = Replayer(self.recording("03_tool_call_required"))

        async def go() -> None:
            async with AsyncClient(plugins={"together": self.plugin()}, autoload=False,
                                   config_file=False, env={}, providers={"together": {
                                       "api_key": FAKE_KEY, "transport": replayer.transport}}) as c:
                await c.chat(f"together/{SCOUT}", "What's the weather in Paris?")

        asyncio.run(go())
        sent = replayer.sent[0]
        assert str(sent.url) == "https://api.together.xyz/v1/chat/completions"
        assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
