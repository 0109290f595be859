"""The conversations the hand-off test continues, and the providers it continues them on.

A *source* is a recorded reply with tool calls (and, for some, reasoning), replayed through its own
provider's plugin to get the canonical :class:`~modelplex.ChatResponse` an application would hold; the
conversation is the recorded prompt, that reply, a result for each call and, in one variant, a further
user turn. A *target* is every installed provider (two for OpenAI, one per API route), each with a
recorded text reply to answer the follow-up with, so the request can be captured and the response's
warnings read.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs

from modelplex import AsyncClient, ChatResponse, Message, ReasoningPart, TextPart, Tool, ToolCallPart
from modelplex_testing import Recording, Replayer

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "sk-handoff-test-key-0123456789"


@functools.cache
def plugins() -> dict[str, object]:
    """Every installed plugin by provider name, loaded once through its entry point."""
    return {ep.name: ep.load() for ep in metadata.entry_points(group="modelplex.plugins")}


def installed() -> set[str]:
    import modelplex

    return set(modelplex.Registry(env={}).records)


def client(provider: str, settings: Mapping[str, Any], transport: Any) -> AsyncClient:
    return AsyncClient(plugins=plugins(), autoload=False, config_file=False, env={},
                       providers={provider: {"api_key": KEY, **settings, "transport": transport}})


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


# -- sources ------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Source:
    label: str
    provider: str  # the provider name the conversation was had with (the origin of its reasoning)
    plugin: str  # the installed plugin that serves it
    recording: str | None  # None: a hand-built conversation (see SYNTHETIC)
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    stream: bool = False
    note: str = ""


SOURCES: tuple[Source, ...] = (
    Source(label="openai-chat-call", provider="openai", plugin="openai", recording="openai/02_chat_tool_call",
           settings={"api": "chat_completions"}),
    Source(label="openai-chat-parallel", provider="openai", plugin="openai",
           recording="openai/04_chat_parallel_tool_calls", settings={"api": "chat_completions"}),
    Source(label="openai-responses-reasoning", provider="openai", plugin="openai",
           recording="openai_responses/04_reasoning_then_function_call", settings={"api": "responses"},
           note="a reasoning item (id + encrypted content) then a function_call"),
    Source(label="openai-responses-parallel", provider="openai", plugin="openai",
           recording="openai_responses/02_parallel_function_calls", settings={"api": "responses"}),
    Source(label="anthropic-thinking", provider="anthropic", plugin="anthropic",
           recording="anthropic/04_thinking_then_tool_use", note="signed thinking, text, tool_use"),
    Source(label="anthropic-parallel", provider="anthropic", plugin="anthropic",
           recording="anthropic/02_parallel_tool_use", note="text then 4 tool_use blocks of one tool"),
    Source(label="gemini-3-signatures", provider="gemini", plugin="gemini",
           recording="gemini/04_gemini3_function_calls_thought_signature",
           note="3 calls of one tool, no ids, the first with a thought signature; empty user prompt"),
    Source(label="gemini-parallel", provider="gemini", plugin="gemini",
           recording="gemini/02_parallel_function_calls", note="2 calls, no ids, first one signed"),
    Source(label="deepseek-reasoning", provider="deepseek", plugin="deepseek",
           recording="deepseek/03_reasoning_parallel_tool_calls", note="reasoning_content + 2 calls"),
    Source(label="groq-parallel", provider="groq", plugin="groq", recording="groq/03_parallel_tool_calls"),
    Source(label="groq-reasoning-stream", provider="groq", plugin="groq",
           recording="groq/04_stream_reasoning_then_tool_call", stream=True,
           note="streamed reasoning then a call with a 39-character id"),
    Source(label="together-parallel", provider="together", plugin="together",
           recording="together/02_parallel_tool_calls",
           settings={"base_url": "https://router.huggingface.co/together/v1"}),
    Source(label="mistral-9-char-ids", provider="mistral", plugin="mistral",
           recording="mistral/02_parallel_tool_calls"),
    Source(label="xai-parallel", provider="xai", plugin="xai", recording="xai/02_parallel_tool_calls",
           note="2 calls with ids call_NNNNNNNN, content an empty string"),
    Source(label="openrouter-signed-reasoning", provider="openrouter", plugin="openrouter",
           recording="openrouter/04_reasoning_tool_call",
           note="Claude through OpenRouter: reasoning_details with a signature, then a call"),
    Source(label="ollama-native", provider="ollama", plugin="ollama",
           recording="ollama/04_api_chat_nonstream_tools_docs", note="a call without an id (docs example)"),
    Source(label="ollama-v1-reasoning", provider="ollama-v1", plugin="openai-like",
           recording="ollama/10_v1_chat_parallel_tool_calls_local",
           settings={"base_url": "http://localhost:11434/v1"}, note="qwen3 reasoning + 2 calls"),
    Source(label="azure-foundry-parallel", provider="azure", plugin="azure",
           recording="azure/03_foundry_parallel_tool_calls",
           settings={"base_url": "https://rubyllm.services.ai.azure.com", "route": "foundry"}),
    Source(label="huggingface-r1-call", provider="huggingface", plugin="huggingface",
           recording="huggingface/02_tool_call_required",
           settings={"base_url": "https://router.huggingface.co/together/v1"},
           note="DeepSeek-R1 through the Hugging Face router: a call, content null"),
    Source(label="cohere-plan-call", provider="cohere", plugin="cohere", recording="cohere/03_chat_tool_call",
           note="a tool plan (Cohere's reasoning before its calls) then a call"),
    Source(label="synthetic-ids", provider="vllm", plugin="openai-like", recording=None,
           note="hand-built: ids other servers give (Kimi's 'functions.name:0', vLLM's 46-character "
                "'chatcmpl-tool-...', 'call_0' again in a later turn), reasoning of unknown origin"),
)


def sources() -> list[Source]:
    have = installed()
    return [s for s in SOURCES if s.plugin in have]


def _body_format(plugin: str, settings: Mapping[str, Any]) -> str:
    if plugin == "openai" and settings.get("api") == "responses":
        return "openai-responses"
    return {"anthropic": "anthropic", "gemini": "gemini", "ollama": "ollama"}.get(plugin, "openai-chat")


def _recorded_prompt(body: Mapping[str, Any], fmt: str) -> list[Message]:
    """The system text and the first user message of a recorded request, as canonical messages."""
    system: list[str] = []
    user: str | None = None
    if fmt == "openai-responses":
        if body.get("instructions"):
            system.append(body["instructions"])
        user = _text(next(i["content"] for i in body["input"] if i.get("role") == "user"))
    elif fmt == "gemini":
        system = [p["text"] for p in (body.get("systemInstruction") or {}).get("parts", [])]
        user = "".join(p.get("text", "") for p in body["contents"][0]["parts"])
    else:
        if isinstance(body.get("system"), str):
            system.append(body["system"])
        for message in body["messages"]:
            if message["role"] == "system":
                system.append(_text(message["content"]))
            elif message["role"] == "user" and user is None:
                user = _text(message["content"])
    assert user is not None
    return [*(Message.system(s) for s in system), Message.user(user)]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(str(b.get("text", "")) for b in content or [] if isinstance(b, Mapping))


@attrs.frozen(kw_only=True)
class Replayed:
    """A source replayed: the canonical reply, the prompt and the tools, as the application has them."""

    source: Source
    model: str  # the model asked for: what reasoning is replayed to
    prompt: tuple[Message, ...]
    reply: tuple[Message, ...]  # the assistant turns (and, for the synthetic one, the results between)
    tools: tuple[Tool, ...]


async def _replay(source: Source) -> Replayed:
    assert source.recording is not None
    rec = recording(source.recording)
    body = rec.request_body
    fmt = _body_format(source.plugin, source.settings)
    model = source_model(source)
    settings = {**source.settings, "plugin": source.plugin}
    replayer = Replayer(rec)
    async with client(source.provider, settings, replayer.transport) as c:
        tools = c.tool_codec(source.provider).decode_tools(body["tools"])
        prompt = _recorded_prompt(body, fmt)
        address = f"{source.provider}/{model}"
        if source.stream:
            async with c.stream(address, prompt, tools=tools) as stream:
                response: ChatResponse = await stream.get_response()
        else:
            response = await c.chat(address, prompt, tools=tools)
    assert response.tool_calls, f"{source.label}: the recorded reply has no tool calls"
    return Replayed(source=source, model=model, prompt=tuple(prompt), reply=(response.message,),
                  tools=tuple(tools))


SYNTHETIC_TOOLS = (
    Tool(name="get_weather", description="Weather in a city",
         parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    Tool(name="get_time", description="Local time in a city",
         parameters={"type": "object", "properties": {"city": {"type": "string"}}}),
)
SYNTHETIC_MODEL = "qwen3"
VLLM_ID = "chatcmpl-tool-" + "0123456789abcdef" * 2  # 46 characters, as vLLM makes them


def _synthetic() -> Replayed:
    """Two rounds of calls whose ids break every strict wire's rules, as real servers give them."""
    first = Message.assistant([
        ReasoningPart(text="Both cities at once."),  # no origin: reasoning of an unknown model
        TextPart(text="Checking both."),
        ToolCallPart(id="functions.get_weather:0", name="get_weather", arguments={"city": "Zürich"}),
        ToolCallPart(id=VLLM_ID, name="get_time", arguments={"city": "東京"}),
    ])
    second = Message.assistant([ToolCallPart(id="call_0", name="get_weather", arguments={"city": "Oslo"})])
    third = Message.assistant([ToolCallPart(id="call_0", name="get_time", arguments={})])
    rounds = (first, *result_messages(first), second, *result_messages(second), third)
    source = next(s for s in SOURCES if s.recording is None)
    return Replayed(source=source, model=SYNTHETIC_MODEL, prompt=(Message.system("Be brief."),
                                                        Message.user("Weather and time, please.")),
                  reply=rounds, tools=SYNTHETIC_TOOLS)


def source_model(source: Source) -> str:
    """The model the source conversation was had with (without replaying it)."""
    if source.recording is None:
        return SYNTHETIC_MODEL
    rec = recording(source.recording)
    return str(rec.request_body.get("model") or rec.request["url"].split("/models/")[-1].split(":")[0])


@functools.cache
def origin(label: str) -> Replayed:
    source = next(s for s in SOURCES if s.label == label)
    if source.recording is None:
        return _synthetic()
    return asyncio.run(_replay(source))


# -- the conversation ---------------------------------------------------------------------------------


def result_text(call: ToolCallPart) -> str:
    """A result unique to its call (results are told apart by their content on every wire)."""
    return f"result of {call.name} for {call.id}: 22 °C ☀ — «ok» 東京"


def result_messages(assistant: Message) -> list[Message]:
    """One tool message per call, in the reverse order of the calls (tools finish in any order)."""
    return [Message.tool(c.id, result_text(c)) for c in reversed(assistant.tool_calls)]


VARIANTS = ("loop", "followup")
FOLLOWUP = "Thanks! And tomorrow?"


def conversation(made: Replayed, variant: str) -> list[Message]:
    """The prompt, the reply, the results and (``followup``) one more user turn."""
    messages = [*made.prompt, *made.reply, *result_messages(made.reply[-1])]
    if variant == "followup":
        messages.append(Message.user(FOLLOWUP))
    return messages


# -- targets ------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Target:
    label: str
    provider: str
    wire: str  # the wire format of its chat request
    rules: str = ""  # the provider's own rules on top of the wire's (default: the wire's alone)
    reply: str  # a recorded text reply of this provider, to answer the follow-up with
    models: tuple[str, str]  # two models of the provider: one differs from any source's
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    # The provider takes its own earlier reasoning back (and so must get it, unchanged).
    replays_reasoning: bool = False


TARGETS: tuple[Target, ...] = (
    Target(label="openai-responses", provider="openai", wire="openai-responses",
           reply="openai_responses/01_text", models=("gpt-5-mini", "gpt-4.1"), settings={"api": "responses"},
           replays_reasoning=True),
    Target(label="openai-chat", provider="openai", wire="openai-chat", reply="openai/01_chat_text",
           models=("gpt-4.1-mini", "gpt-4o"), settings={"api": "chat_completions"}),
    Target(label="anthropic", provider="anthropic", wire="anthropic", reply="anthropic/01_text",
           models=("claude-sonnet-4-0", "claude-haiku-4-5"), replays_reasoning=True),
    Target(label="gemini", provider="gemini", wire="gemini", reply="gemini/01_generate_text",
           models=("gemini-2.5-flash", "gemini-3-flash-preview"), replays_reasoning=True),
    Target(label="deepseek", provider="deepseek", wire="openai-chat", rules="deepseek",
           reply="deepseek/01_text", models=("deepseek-reasoner", "deepseek-chat"), replays_reasoning=True),
    Target(label="groq", provider="groq", wire="openai-chat", reply="groq/01_text",
           models=("openai/gpt-oss-120b", "llama-3.3-70b-versatile")),
    Target(label="together", provider="together", wire="openai-chat", reply="together/01_text",
           models=("deepseek-ai/DeepSeek-R1", "meta-llama/Llama-4-Scout-17B-16E-Instruct")),
    Target(label="azure", provider="azure", wire="openai-chat",
           reply="azure/01_openai_deployment_chat_completions", models=("gpt-4o", "gpt-4.1"),
           settings={"base_url": "https://example-resource.openai.azure.com"}),
    Target(label="mistral", provider="mistral", wire="openai-chat", rules="mistral", reply="mistral/01_text",
           models=("mistral-small-latest", "mistral-large-latest"), replays_reasoning=True),
    Target(label="xai", provider="xai", wire="openai-chat", reply="xai/01_text_reasoning",
           models=("grok-4.3", "grok-4-1-fast-non-reasoning")),
    Target(label="openrouter", provider="openrouter", wire="openai-chat", rules="openrouter",
           reply="openrouter/01_text", models=("anthropic/claude-haiku-4.5", "openai/gpt-5-mini"),
           replays_reasoning=True),
    Target(label="openai-like", provider="openai-like", wire="openai-chat",
           reply="mistral/01_text", models=("qwen3", "llama3.3"),
           settings={"base_url": "http://localhost:8000/v1"}),
    Target(label="ollama", provider="ollama", wire="ollama", reply="ollama/01_api_chat_nonstream_docs",
           models=("llama3.2", "qwen3"), replays_reasoning=True),
    Target(label="huggingface", provider="huggingface", wire="openai-chat", reply="huggingface/01_text_think",
           models=("openai/gpt-oss-120b:groq", "deepseek-ai/DeepSeek-R1:fastest")),
    Target(label="cohere", provider="cohere", wire="cohere", reply="cohere/01_chat_text",
           models=("command-r-plus-08-2024", "command-a-03-2025"), replays_reasoning=True),
)


def targets() -> list[Target]:
    have = installed()
    return [t for t in TARGETS if t.provider in have]


def target_models(target: Target, source: Source) -> list[str]:
    """On the source's own provider: its model (reasoning goes back) and another (it must not)."""
    if target.provider == source.provider:
        model = source_model(source)
        return [model, next(m for m in target.models if m != model)]
    return [target.models[0]]


@attrs.frozen(kw_only=True)
class Sent:
    body: dict[str, Any]
    response: ChatResponse


async def _continue(target: Target, model: str, messages: Sequence[Message], tools: Sequence[Tool]) -> Sent:
    replayer = Replayer(recording(target.reply))
    async with client(target.provider, target.settings, replayer.transport) as c:
        response = await c.chat(f"{target.provider}/{model}", list(messages), tools=list(tools))
    assert len(replayer.sent) == 1
    return Sent(body=replayer.sent_json(0), response=response)


def continue_on(target: Target, model: str, messages: Sequence[Message], tools: Sequence[Tool]) -> Sent:
    """The follow-up request the target's plugin sends (captured), and the response it parsed."""
    return asyncio.run(_continue(target, model, messages, tools))
