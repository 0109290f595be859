"""The provider contract for ``huggingface``, against real recorded traffic of the Hugging Face router.

The recorded client (pydantic-ai, through huggingface_hub) reached the router on a provider's own route,
``https://router.huggingface.co/together/v1``; the contract points the base URL there, so the paths match.
The default base URL (``/v1``) and the suffixed model ids are tested on the wire in
``test_huggingface_router.py``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

from modelplex_openai_compat import OpenAIChatToolCodec

from modelplex import AsyncClient, FinishReason, Message, Tool, Usage
from modelplex_testing import FAKE_KEY, Expect, ProviderContract, Recording, Replayer, Scenario

FIXTURES = Path(__file__).parent / "fixtures" / "huggingface"
ROUTER_TOGETHER = "https://router.huggingface.co/together/v1"
R1 = "deepseek-ai/DeepSeek-R1"
SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
EXACT = ("model", "messages", "tools", "tool_choice", "stream", "max_tokens")
# The recorded client sent "name": null and "tool_calls": null on each message and an empty "tools"
# list; this plugin sends neither: test_requests_equal_the_recorded_ones_less_their_nulls checks the rest.
NOT_NULLS = ("model", "tool_choice", "stream", "max_tokens")


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools of a recorded request, decoded; the scenario checks they encode back exactly."""
    return OpenAIChatToolCodec().decode_tools(recording(name).request_body["tools"])


def recorded_messages(name: str) -> list[Message]:
    return [Message(role=m["role"], parts=m["content"]) for m in recording(name).request_body["messages"]]


def split_think(content: str) -> tuple[str, str]:
    """(reasoning, text) of a ``<think>...</think>answer`` content, as the recording has it."""
    assert content.startswith("<think>")
    end = content.index("</think>")
    return content[len("<think>"):end].lstrip(), content[end + len("</think>"):].lstrip()


def recorded_think(name: str) -> tuple[str, str]:
    return split_think(str(recording(name).response["body"]["choices"][0]["message"]["content"]))


def streamed_think(name: str) -> tuple[str, str]:
    """(reasoning, text) of a recorded stream, its content deltas joined straight from the SSE text."""
    pieces = []
    for line in str(recording(name).response["body_text"]).splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[len("data: "):])["choices"]:
                pieces.append(choice["delta"].get("content") or "")
    return split_think("".join(pieces))


class TestHuggingFaceContract(ProviderContract):
    provider = "huggingface"
    fixtures = FIXTURES
    settings: ClassVar[dict[str, Any]] = {"base_url": ROUTER_TOGETHER}
    supports_streaming = True
    supports_tools = True
    supports_parallel_tool_calls = True
    supports_reasoning = True
    supports_json_schema = False  # no recording of it: the router relays response_format as it is
    supports_embeddings = False  # embeddings go to a TEI server: test_huggingface_tei.py, on its format
    supports_list_models = True  # no recording of /models: test_huggingface_router.py
    scenarios: ClassVar[dict[str, Scenario]] = {
        "chat_text": Scenario(
            recording="01_text_think", model=R1, messages=recorded_messages("01_text_think"),
            compare=NOT_NULLS,
            expect=Expect(text=recorded_think("01_text_think")[1],
                          reasoning=recorded_think("01_text_think")[0], finish_reason=FinishReason.STOP,
                          usage=Usage(input=16, output=216), model=R1)),
        "chat_tool_call": Scenario(
            recording="02_tool_call_required", model=R1,
            messages=recorded_messages("02_tool_call_required"),
            options={"tools": recorded_tools("02_tool_call_required"), "tool_choice": "required"},
            compare=(*NOT_NULLS, "tools"),
            expect=Expect(text="", tool_calls=[("final_result", {"response": [2, 3, 5]})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=19, output=29),
                          model=R1)),
        "chat_parallel_tool_calls": Scenario(
            recording="03_parallel_tool_calls", model=SCOUT,
            messages=recorded_messages("03_parallel_tool_calls"),
            options={"tools": recorded_tools("03_parallel_tool_calls"), "tool_choice": "required"},
            compare=EXACT,
            expect=Expect(text="", tool_calls=[("get_weather", {"city": "Paris"}),
                                               ("final_result", {"city": "Paris",
                                                                 "summary": "Weather in Paris"})],
                          finish_reason=FinishReason.TOOL_CALLS, usage=Usage(input=720, output=65),
                          model=SCOUT)),
        "chat_reasoning": Scenario(
            recording="04_thinking", model=R1, messages=recorded_messages("04_thinking"),
            compare=NOT_NULLS,
            expect=Expect(text=recorded_think("04_thinking")[1], reasoning=recorded_think("04_thinking")[0],
                          finish_reason=FinishReason.STOP, usage=Usage(input=10, output=995), model=R1)),
        "stream_reasoning": Scenario(
            recording="05_stream_thinking", model=R1, call="stream",
            messages=recorded_messages("05_stream_thinking"), compare=NOT_NULLS,
            expect=Expect(text=streamed_think("05_stream_thinking")[1],
                          reasoning=streamed_think("05_stream_thinking")[0],
                          finish_reason=FinishReason.STOP, usage=Usage(input=10, output=955), model=R1)),
        "chat_max_tokens": Scenario(
            recording="06_max_tokens_length", model=R1, messages=recorded_messages("06_max_tokens_length"),
            options={"max_tokens": 100}, compare=(*NOT_NULLS, "messages"),
            expect=Expect(finish_reason=FinishReason.LENGTH, usage=Usage(input=4, output=100), model=R1)),
    }

    def test_stream_text(self) -> None:
        """The one recorded stream is a reasoning one; it stands for the plain stream too."""
        self.chat_case("stream_reasoning", self.supports_streaming)

    def test_a_reply_cut_at_max_tokens_inside_its_reasoning(self) -> None:
        """06 stops at the 100-token limit before ``</think>``: all of it is reasoning, no text."""
        response, _, _ = self.run(self.scenarios["chat_max_tokens"])
        self.chat_case("chat_max_tokens")
        content = str(recording("06_max_tokens_length").response["body"]["choices"][0]["message"]["content"])
        assert "</think>" not in content
        assert response.text == "" and response.reasoning == content[len("<think>"):].lstrip()

    def test_requests_equal_the_recorded_ones_less_their_nulls(self) -> None:
        for name in ("chat_text", "chat_tool_call", "chat_reasoning", "stream_reasoning"):
            scn = self.scenarios[name]
            _, replayer, _ = self.run(scn)
            body = replayer.sent_json(0)
            recorded = recording(scn.recording).request_body
            assert body["messages"] == [{k: v for k, v in m.items() if v is not None}
                                        for m in recorded["messages"]], name
            assert body.get("tools") == (recorded["tools"] or None), name

    def test_streams_ask_for_usage(self) -> None:
        _, replayer, _ = self.run(self.scenarios["stream_reasoning"])
        assert replayer.sent_json(0)["stream_options"] == {"include_usage": True}

    def test_the_default_base_url_and_the_token(self) -> None:
        replayer = Replayer(recording("03_parallel_tool_calls"))

        async def go() -> None:
            async with AsyncClient(plugins={"huggingface": self.plugin()}, autoload=False,
                                   config_file=False, env={"HF_TOKEN": FAKE_KEY},
                                   providers={"huggingface": {"transport": replayer.transport}}) as c:
                await c.chat(f"huggingface/{SCOUT}", "Get weather for Paris and summarize")

        asyncio.run(go())
        sent = replayer.sent[0]
        assert str(sent.url) == "https://router.huggingface.co/v1/chat/completions"
        assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
