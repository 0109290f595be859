"""What Modelplex knows of some models without asking: the members of the built-in chains.

Bundled data, never fetched: context windows and the capabilities a chain checks before a call (tools,
JSON Schema output). ``None`` is unknown, and unknown never rules a model out. What a provider's own
model list says (``client.list_models()``, health probes) takes precedence where it says anything.
"""

from __future__ import annotations

import attrs

from modelplex._catalog.records import Capabilities, ModelInfo


def _model(address: str, window: int, *, tools: bool | None = True,
           json_schema: bool | None = None) -> ModelInfo:
    provider, _, model = address.partition("/")
    return ModelInfo(id=model, provider=provider, context_window=window,
                     capabilities=Capabilities(chat=True, streaming=True, tools=tools,
                                               json_schema=json_schema))


KNOWN_MODELS: dict[str, ModelInfo] = {m.address: m for m in (
    _model("openai/gpt-4.1", 1_047_576, json_schema=True),
    _model("openai/gpt-4o", 128_000, json_schema=True),
    _model("openai/gpt-4o-mini", 128_000, json_schema=True),
    _model("anthropic/claude-sonnet-4-5", 200_000),
    _model("anthropic/claude-haiku-4-5", 200_000),
    _model("gemini/gemini-2.5-pro", 1_048_576, json_schema=True),
    _model("gemini/gemini-2.5-flash", 1_048_576, json_schema=True),
    _model("deepseek/deepseek-chat", 128_000, json_schema=False),
    _model("groq/llama-3.3-70b-versatile", 131_072),
    _model("groq/llama-3.1-8b-instant", 131_072),
)}

# The built-in chains, best first. Each is filtered to the providers installed; one not configured (no
# key) is skipped at call time, with that reason in the trace. ``local`` is found at call time instead:
# the chat models listed by the providers that run on this machine.
BUILTIN_CHAINS: dict[str, tuple[str, ...]] = {
    "flagship": ("openai/gpt-4.1", "anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-pro",
                 "deepseek/deepseek-chat", "groq/llama-3.3-70b-versatile"),
    "fast": ("openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "gemini/gemini-2.5-flash",
             "groq/llama-3.1-8b-instant"),
}
LOCAL_CHAIN = "local"


def merge(learned: ModelInfo | None, known: ModelInfo | None) -> ModelInfo | None:
    """What a provider said, completed by the bundled table where it said nothing."""
    if learned is None or known is None:
        return learned or known
    caps = _merged_caps(learned.capabilities, known.capabilities)
    return ModelInfo(id=learned.id, provider=learned.provider, name=learned.name or known.name,
                     context_window=learned.context_window or known.context_window,
                     max_output=learned.max_output or known.max_output, prices=learned.prices,
                     capabilities=caps, local=learned.local)


def _merged_caps(first: Capabilities, second: Capabilities) -> Capabilities:
    values = {}
    for field in attrs.fields(Capabilities):
        value = getattr(first, field.name)
        values[field.name] = value if value is not None else getattr(second, field.name)
    return Capabilities(**values)
