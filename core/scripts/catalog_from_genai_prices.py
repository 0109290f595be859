"""Write every provider plugin's ``models.json`` from genai-prices' data and the facts kept by hand here.

Not shipped, and not a dependency: genai-prices (MIT, https://github.com/pydantic/genai-prices) is
read only when this script runs. Its ``data.py`` is 1.6 MB of Python that imports pydantic; importing
it takes 0.35-0.7 s on our CI machine, ten times the budget of ``import modelplex`` and a client, so the
catalog ships its own JSON, generated here and parsed on first use.

What comes from genai-prices: prices per million tokens (input, cache read, cache write for 5 minutes
and for an hour, output, reasoning where priced apart), long-context tiers, the date a price took
effect where it records one, and a context window where we have none of our own. What comes from the
provider's model pages and is kept in :data:`PLUGINS` by hand: tier, limits, modalities,
capabilities, aliases. A fact not found is left out: unknown, never guessed.

Run it where genai-prices can be imported (``pip download genai-prices==0.2.3 --no-deps`` and unzip
it; its update module needs ``httpx2``, which the data does not, so a stub is put in its place)::

    PYTHONPATH=/path/to/unzipped/wheel .venv/bin/python core/scripts/catalog_from_genai_prices.py \
        --as-of 2026-12-01

then ``pytest tests/test_catalog_data.py`` to check what it wrote.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GENAI = "genai-prices 0.2.3 (MIT)"

# genai-prices' bucket names -> ours. Audio, image and video token prices, and per-request fees
# (web searches), have no bucket of ours yet and are left out.
BUCKETS = {"input_mtok": "input", "cache_read_mtok": "cache_read", "cache_write_mtok": "cache_write",
           "cache_write_1h_mtok": "cache_write_1h", "output_mtok": "output",
           "output_reasoning_mtok": "reasoning"}

TEXT = ["text"]
TEXT_IMAGE = ["text", "image"]
TEXT_IMAGE_PDF = ["text", "image", "pdf"]
GEMINI_IN = ["text", "image", "audio", "video", "pdf"]
CHAT = {"chat": True, "streaming": True}
TOOLS = {**CHAT, "tools": True, "parallel_tool_calls": True}
STRUCTURED = {**TOOLS, "json_schema": True}
DEEPSEEK_2025 = {"input": "0.56", "cache_read": "0.07", "output": "1.68", "effective": "2025-09-05",
                 "source": "https://api-docs.deepseek.com/quick_start/pricing"}
GPT5: dict[str, Any] = {"inp": TEXT_IMAGE, "outp": TEXT,
                        "caps": {**TOOLS, "vision": True, "reasoning": True}}
EMBED = {"chat": False, "streaming": False, "tools": False, "embeddings": True}


@dataclass
class M:
    """One model: our id, and what is known of it by hand (``genai``: its id there, if not ours)."""

    id: str
    tier: str | None = None
    name: str | None = None
    ctx: int | None = None
    max_input: int | None = None
    out: int | None = None
    inp: list[str] | None = None
    outp: list[str] | None = None
    caps: Mapping[str, bool] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    genai: str | None = None
    prices: Mapping[str, Any] | None = None  # given by hand, with their effective date and source
    note: str | None = None


@dataclass
class Plugin:
    """One plugin's file: where its prices come from and the models it lists."""

    genai: str | None
    url: str
    retention: str
    models: list[M]
    local: bool = False
    note: str | None = None


def _c(base: Mapping[str, bool], **more: bool) -> dict[str, bool]:
    return {**base, **more}


OPENAI_RETENTION = ("API inputs and outputs are not used for training by default; kept up to 30 days for "
                    "abuse monitoring (zero data retention on approval)")
ANTHROPIC_RETENTION = ("API inputs and outputs are not used for training by default; deleted within 30 "
                       "days (zero data retention by agreement)")

PLUGINS: dict[str, Plugin] = {
    "openai": Plugin("openai", "https://platform.openai.com/docs/pricing", OPENAI_RETENTION, [
        M("gpt-4o", "standard", "GPT-4o", 128_000, out=16_384, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=False),
          aliases=["gpt-4o-2024-08-06", "gpt-4o-2024-11-20"]),
        M("gpt-4o-2024-05-13", "standard", "GPT-4o (2024-05-13)", 128_000, out=4_096, inp=TEXT_IMAGE,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=False)),
        M("gpt-4o-mini", "fast", "GPT-4o mini", 128_000, out=16_384, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=False), aliases=["gpt-4o-mini-2024-07-18"]),
        M("gpt-4.1", "standard", "GPT-4.1", 1_047_576, out=32_768, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=False), aliases=["gpt-4.1-2025-04-14"]),
        M("gpt-4.1-mini", "fast", "GPT-4.1 mini", 1_047_576, out=32_768, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=False), aliases=["gpt-4.1-mini-2025-04-14"]),
        M("gpt-4.1-nano", "fast", "GPT-4.1 nano", 1_047_576, out=32_768, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=False), aliases=["gpt-4.1-nano-2025-04-14"]),
        M("o1", "flagship", "o1", 200_000, out=100_000, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=True), aliases=["o1-2024-12-17"]),
        M("o3-mini", "standard", "o3-mini", 200_000, out=100_000, inp=TEXT, outp=TEXT,
          caps=_c(STRUCTURED, vision=False, reasoning=True), aliases=["o3-mini-2025-01-31"]),
        M("o3", "flagship", "o3", 200_000, out=100_000, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=True), aliases=["o3-2025-04-16"]),
        M("o4-mini", "standard", "o4-mini", 200_000, out=100_000, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=True), aliases=["o4-mini-2025-04-16"]),
        M("gpt-5", "flagship", "GPT-5", 400_000, max_input=272_000, out=128_000, inp=TEXT_IMAGE,
          outp=TEXT, caps=_c(STRUCTURED, vision=True, reasoning=True), aliases=["gpt-5-2025-08-07"]),
        M("gpt-5-mini", "standard", "GPT-5 mini", 400_000, max_input=272_000, out=128_000,
          inp=TEXT_IMAGE, outp=TEXT, caps=_c(STRUCTURED, vision=True, reasoning=True),
          aliases=["gpt-5-mini-2025-08-07"]),
        M("gpt-5-nano", "fast", "GPT-5 nano", 400_000, max_input=272_000, out=128_000, inp=TEXT_IMAGE,
          outp=TEXT, caps=_c(STRUCTURED, vision=True, reasoning=True), aliases=["gpt-5-nano-2025-08-07"]),
        M("gpt-5.1", "flagship", **GPT5),
        M("gpt-5.2", "flagship", **GPT5),
        M("gpt-5.4", "flagship", **GPT5),
        M("gpt-5.4-mini", "standard", **GPT5),
        M("gpt-5.4-nano", "fast", **GPT5),
        M("gpt-5.5", "flagship", **GPT5),
        M("text-embedding-3-small", None, "text-embedding-3-small", 8_191, inp=TEXT, outp=["embedding"],
          caps=EMBED),
        M("text-embedding-3-large", None, "text-embedding-3-large", 8_191, inp=TEXT, outp=["embedding"],
          caps=EMBED),
        M("text-embedding-ada-002", None, "text-embedding-ada-002", 8_191, inp=TEXT, outp=["embedding"],
          caps=EMBED),
    ]),
    "anthropic": Plugin("anthropic", "https://www.anthropic.com/pricing#api", ANTHROPIC_RETENTION, [
        M("claude-opus-4-6", "flagship", "Claude Opus 4.6", 1_000_000, out=128_000, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True), aliases=["claude-opus-4.6"]),
        M("claude-sonnet-4-6", "standard", "Claude Sonnet 4.6", inp=TEXT_IMAGE_PDF, outp=TEXT,
          caps=_c(TOOLS, vision=True, reasoning=True), aliases=["claude-sonnet-4.6"]),
        M("claude-opus-4-5-20251101", "flagship", "Claude Opus 4.5", 200_000, out=64_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True),
          aliases=["claude-opus-4-5"]),
        M("claude-sonnet-4-5-20250929", "standard", "Claude Sonnet 4.5", 200_000, out=64_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True),
          aliases=["claude-sonnet-4-5"]),
        M("claude-haiku-4-5-20251001", "fast", "Claude Haiku 4.5", 200_000, out=64_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True),
          aliases=["claude-haiku-4-5"]),
        M("claude-opus-4-1-20250805", "flagship", "Claude Opus 4.1", 200_000, out=32_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True),
          aliases=["claude-opus-4-1"]),
        M("claude-opus-4-20250514", "flagship", "Claude Opus 4", 200_000, out=32_000, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True), aliases=["claude-opus-4-0"]),
        M("claude-sonnet-4-20250514", "standard", "Claude Sonnet 4", 200_000, out=64_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True),
          aliases=["claude-sonnet-4-0", "claude-sonnet-4"]),
        M("claude-3-7-sonnet-20250219", "standard", "Claude Sonnet 3.7", 200_000, out=64_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True),
          aliases=["claude-3-7-sonnet-latest"]),
        M("claude-3-5-haiku-20241022", "fast", "Claude Haiku 3.5", 200_000, out=8_192, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=False), aliases=["claude-3-5-haiku-latest"]),
        M("claude-opus-4-7", "flagship", inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("claude-opus-4-8", "flagship", inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("claude-opus-5", "flagship", "Claude Opus 5", 1_000_000, out=128_000, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("claude-opus-5-5", "flagship", "Claude Opus 5.5", 1_000_000, out=128_000, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("claude-fable-5-2", "flagship", "Claude Fable 5.2", 1_000_000, out=128_000, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("claude-fable-5-1", "flagship", "Claude Fable 5.1", 1_000_000, out=128_000, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("claude-sonnet-5", "standard", "Claude Sonnet 5", 1_000_000, out=128_000, inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("claude-sonnet-5-5", "standard", "Claude Sonnet 5.5", 1_000_000, out=128_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("claude-haiku-5-5", "fast", inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True)),
    ]),
    "gemini": Plugin("google", "https://ai.google.dev/gemini-api/docs/pricing",
                     "Paid tier: prompts and responses are not used to improve Google's products; kept "
                     "for a limited period for abuse monitoring", [
        M("gemini-2.5-pro", "flagship", "Gemini 2.5 Pro", 1_048_576, out=65_536, inp=GEMINI_IN, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=True)),
        M("gemini-2.5-flash", "fast", "Gemini 2.5 Flash", 1_048_576, out=65_536, inp=GEMINI_IN, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=True)),
        M("gemini-2.5-flash-lite", "fast", "Gemini 2.5 Flash-Lite", 1_048_576, out=65_536, inp=GEMINI_IN,
          outp=TEXT, caps=_c(STRUCTURED, vision=True, reasoning=True)),
        M("gemini-2.0-flash", "fast", "Gemini 2.0 Flash", 1_048_576, out=8_192, inp=GEMINI_IN, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=False)),
        M("gemini-1.5-pro", "standard", "Gemini 1.5 Pro", 2_097_152, out=8_192, inp=GEMINI_IN, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=False)),
        M("gemini-3.1-pro-preview", "flagship", inp=GEMINI_IN, outp=TEXT,
          caps=_c(TOOLS, vision=True, reasoning=True)),
        M("gemini-3-flash-preview", "fast", inp=GEMINI_IN, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("gemini-3.5-flash", "fast", inp=GEMINI_IN, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("gemini-3.8-flash", "fast", inp=GEMINI_IN, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("gemini-3.1-flash-lite", "fast", inp=GEMINI_IN, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("gemini-embedding-001", None, "Gemini Embedding", 2_048, inp=TEXT, outp=["embedding"],
          caps=EMBED),
    ]),
    "deepseek": Plugin("deepseek", "https://api-docs.deepseek.com/quick_start/pricing",
                       "Processed and stored in the People's Republic of China (DeepSeek's privacy policy)", [
        M("deepseek-v4-pro", "flagship", "DeepSeek V4 Pro", inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        M("deepseek-v4-flash", "fast", "DeepSeek V4 Flash", inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        # genai-prices 0.2.3 still has the 2025 night-discount prices for these two; DeepSeek's own
        # page priced both alike from 2025-09-05 and retired the names on 2026-07-24 (then aliases of
        # deepseek-v4-flash). Kept for configs and logs that name them.
        M("deepseek-chat", "standard", "DeepSeek V3 (chat)", 128_000, out=8_192, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, json_schema=False, vision=False, reasoning=False), prices=DEEPSEEK_2025,
          note="retired by DeepSeek on 2026-07-24"),
        M("deepseek-reasoner", "standard", "DeepSeek R1 (reasoner)", 128_000, out=65_536, inp=TEXT,
          outp=TEXT, caps=_c(CHAT, tools=False, vision=False, reasoning=True), prices=DEEPSEEK_2025,
          note="retired by DeepSeek on 2026-07-24"),
    ]),
    "groq": Plugin("groq", "https://groq.com/pricing",
                   "Inputs and outputs are not retained by default beyond processing (Groq's data policy)", [
        M("llama-3.3-70b-versatile", "standard", "Llama 3.3 70B", 131_072, out=32_768, inp=TEXT,
          outp=TEXT, caps=_c(TOOLS, vision=False, reasoning=False)),
        M("llama-3.1-8b-instant", "fast", "Llama 3.1 8B", 131_072, out=131_072, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, vision=False, reasoning=False)),
        M("openai/gpt-oss-120b", "standard", "gpt-oss-120b", 131_072, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        M("openai/gpt-oss-20b", "fast", "gpt-oss-20b", 131_072, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        M("qwen/qwen3-32b", "fast", "Qwen3 32B", 131_072, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        M("meta-llama/llama-4-maverick-17b-128e-instruct", "standard", "Llama 4 Maverick", 131_072,
          inp=TEXT_IMAGE, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("moonshotai/kimi-k2-instruct", "standard", "Kimi K2", 131_072, inp=TEXT, outp=TEXT, caps=TOOLS),
    ]),
    "mistral": Plugin("mistral", "https://mistral.ai/pricing/api",
                      "Hosted in the EU; API data kept 30 days for abuse monitoring (Mistral's terms)", [
        M("mistral-large-2512", "flagship", inp=TEXT_IMAGE, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("mistral-medium-3-5", "standard", inp=TEXT_IMAGE, outp=TEXT, caps=TOOLS),
        M("mistral-small-2603", "fast", inp=TEXT_IMAGE, outp=TEXT, caps=TOOLS),
        M("codestral-2508", "standard", inp=TEXT, outp=TEXT, caps=TOOLS),
        M("ministral-8b-2512", "fast", inp=TEXT, outp=TEXT, caps=TOOLS),
        M("mistral-embed", None, "Mistral Embed", 8_192, inp=TEXT, outp=["embedding"], caps=EMBED),
    ]),
    "together": Plugin("together", "https://www.together.ai/pricing",
                       "Together AI does not train on API data by default (its privacy settings)", [
        M("meta-llama/Llama-3.3-70B-Instruct-Turbo", "standard", "Llama 3.3 70B Instruct Turbo", 131_072,
          inp=TEXT, outp=TEXT, caps=TOOLS),
        M("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "standard", "Llama 4 Maverick",
          inp=TEXT_IMAGE, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("openai/gpt-oss-120b", "standard", "gpt-oss-120b", 131_072, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        M("deepseek-ai/DeepSeek-V4.1-Flash", "fast", inp=TEXT, outp=TEXT, caps=CHAT),
        M("Qwen/Qwen3.7-Plus", "standard", inp=TEXT, outp=TEXT, caps=CHAT),
        M("moonshotai/Kimi-K3", "flagship", inp=TEXT, outp=TEXT, caps=CHAT),
        M("zai-org/GLM-5.3", "standard", inp=TEXT, outp=TEXT, caps=CHAT),
    ]),
    "xai": Plugin("x-ai", "https://docs.x.ai/docs/models",
                  "xAI keeps API requests and responses for up to 30 days (its enterprise terms)", [
        M("grok-4.7", "flagship", inp=TEXT_IMAGE, outp=TEXT, caps=_c(TOOLS, reasoning=True)),
        M("grok-4.3", "flagship", inp=TEXT_IMAGE, outp=TEXT, caps=_c(TOOLS, reasoning=True)),
        M("grok-4-0709", "flagship", "Grok 4", 256_000, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=True), aliases=["grok-4"]),
        M("grok-4-1-fast-reasoning", "fast", inp=TEXT_IMAGE, outp=TEXT, caps=_c(TOOLS, reasoning=True)),
        M("grok-4-1-fast-non-reasoning", "fast", inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(TOOLS, reasoning=False)),
        M("grok-code-fast-1", "fast", inp=TEXT, outp=TEXT, caps=_c(TOOLS, reasoning=True)),
        M("grok-3", "standard", "Grok 3", 131_072, inp=TEXT, outp=TEXT, caps=TOOLS),
        M("grok-3-mini", "fast", "Grok 3 Mini", 131_072, inp=TEXT, outp=TEXT, caps=_c(TOOLS, reasoning=True)),
    ]),
    "openrouter": Plugin("openrouter", "https://openrouter.ai/models",
                         "Depends on the upstream provider OpenRouter routes to; OpenRouter itself keeps "
                         "no prompts unless logging is enabled", [
        M("openai/gpt-4o", "standard", "OpenAI: GPT-4o", 128_000, out=16_384, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True)),
        M("openai/gpt-4o-mini", "fast", "OpenAI: GPT-4o mini", 128_000, out=16_384, inp=TEXT_IMAGE,
          outp=TEXT, caps=_c(STRUCTURED, vision=True)),
        M("openai/gpt-5", "flagship", "OpenAI: GPT-5", 400_000, out=128_000, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(TOOLS, vision=True, reasoning=True)),
        M("openai/gpt-5-mini", "standard", "OpenAI: GPT-5 mini", 400_000, out=128_000, inp=TEXT_IMAGE,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("openai/gpt-5.5", "flagship", inp=TEXT_IMAGE, outp=TEXT, caps=CHAT),
        M("openai/o3-mini", "standard", "OpenAI: o3-mini", 200_000, out=100_000, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        M("openai/gpt-oss-120b", "standard", "OpenAI: gpt-oss-120b", 131_072, inp=TEXT, outp=TEXT,
          caps=_c(TOOLS, reasoning=True)),
        M("anthropic/claude-sonnet-4.5", "standard", "Anthropic: Claude Sonnet 4.5", inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("anthropic/claude-haiku-4.5", "fast", "Anthropic: Claude Haiku 4.5", 200_000, out=64_000,
          inp=TEXT_IMAGE_PDF, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("anthropic/claude-opus-4.6", "flagship", "Anthropic: Claude Opus 4.6", inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("anthropic/claude-sonnet-4.6", "standard", "Anthropic: Claude Sonnet 4.6", inp=TEXT_IMAGE_PDF,
          outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("google/gemini-2.5-pro", "flagship", "Google: Gemini 2.5 Pro", 1_048_576, out=65_536,
          inp=GEMINI_IN, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("google/gemini-2.5-flash", "fast", "Google: Gemini 2.5 Flash", 1_048_576, out=65_536,
          inp=GEMINI_IN, outp=TEXT, caps=_c(TOOLS, vision=True, reasoning=True)),
        M("google/gemini-3.5-flash", "fast", inp=GEMINI_IN, outp=TEXT, caps=_c(TOOLS, vision=True)),
        M("deepseek/deepseek-chat", "standard", "DeepSeek: DeepSeek V3", inp=TEXT, outp=TEXT, caps=TOOLS),
        M("deepseek/deepseek-r1", "standard", "DeepSeek: R1", inp=TEXT, outp=TEXT,
          caps=_c(CHAT, reasoning=True)),
        M("deepseek/deepseek-v3.2", "standard", inp=TEXT, outp=TEXT, caps=TOOLS),
        M("meta-llama/llama-3.3-70b-instruct", "standard", "Meta: Llama 3.3 70B Instruct", 131_072,
          inp=TEXT, outp=TEXT, caps=TOOLS),
        M("meta-llama/llama-4-maverick", "standard", "Meta: Llama 4 Maverick", inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(TOOLS, vision=True)),
        M("mistralai/mistral-large-2512", "flagship", inp=TEXT_IMAGE, outp=TEXT, caps=TOOLS),
        M("mistralai/mistral-small-3.2-24b-instruct", "fast", inp=TEXT_IMAGE, outp=TEXT, caps=TOOLS),
        M("qwen/qwen-2.5-72b-instruct", "standard", "Qwen2.5 72B Instruct", inp=TEXT, outp=TEXT,
          caps=TOOLS),
        M("qwen/qwen3-max", "flagship", inp=TEXT, outp=TEXT, caps=TOOLS),
        M("x-ai/grok-4.7", "flagship", inp=TEXT_IMAGE, outp=TEXT, caps=_c(TOOLS, reasoning=True)),
        M("x-ai/grok-4-fast", "fast", inp=TEXT_IMAGE, outp=TEXT, caps=TOOLS),
        M("moonshotai/kimi-k2", "standard", "MoonshotAI: Kimi K2", inp=TEXT, outp=TEXT, caps=TOOLS),
    ]),
    "azure": Plugin("azure", "https://azure.microsoft.com/en-us/pricing/details/cognitive-services/"
                    "openai-service/", "Azure OpenAI: prompts and completions are not used to train models; "
                    "kept up to 30 days for abuse monitoring unless exempted", [
        # Deployments are named by the user: these entries are the base models, found through the
        # provider's `deployments` table (deployment -> base model) or a live listing naming the base.
        M("gpt-4o", "standard", "GPT-4o", 128_000, out=16_384, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True), aliases=["gpt-4o-2024-08-06", "gpt-4o-2024-11-20"]),
        M("gpt-4o-mini", "fast", "GPT-4o mini", 128_000, out=16_384, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True), aliases=["gpt-4o-mini-2024-07-18"]),
        M("gpt-4.1", "standard", "GPT-4.1", 1_047_576, out=32_768, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True), aliases=["gpt-4.1-2025-04-14"]),
        M("o3-mini", "standard", "o3-mini", 200_000, out=100_000, inp=TEXT, outp=TEXT,
          caps=_c(STRUCTURED, reasoning=True), aliases=["o3-mini-2025-01-31"]),
        M("o4-mini", "standard", "o4-mini", 200_000, out=100_000, inp=TEXT_IMAGE, outp=TEXT,
          caps=_c(STRUCTURED, vision=True, reasoning=True)),
        M("gpt-5", "flagship", "GPT-5", 400_000, max_input=272_000, out=128_000, inp=TEXT_IMAGE,
          outp=TEXT, caps=_c(STRUCTURED, vision=True, reasoning=True)),
        M("gpt-5-mini", "standard", "GPT-5 mini", 400_000, max_input=272_000, out=128_000,
          inp=TEXT_IMAGE, outp=TEXT, caps=_c(STRUCTURED, vision=True, reasoning=True)),
        M("text-embedding-3-small", None, "text-embedding-3-small", 8_191, inp=TEXT, outp=["embedding"],
          caps=EMBED),
        M("text-embedding-3-large", None, "text-embedding-3-large", 8_191, inp=TEXT, outp=["embedding"],
          caps=EMBED),
    ]),
}

OLLAMA_SOURCE = "runs on this machine: no charge per token"
_ZERO = {"input": "0", "output": "0", "source": OLLAMA_SOURCE}
# Context lengths as the Ollama library lists each model's default tag (https://ollama.com/library).
PLUGINS["ollama"] = Plugin(None, "https://ollama.com/library", "runs on this machine: nothing leaves it", [
    M("llama3.3", "local", "Llama 3.3 70B", 131_072, inp=TEXT, outp=TEXT, caps=_c(TOOLS, vision=False),
      prices=_ZERO),
    M("llama3.2", "local", "Llama 3.2 3B", 131_072, inp=TEXT, outp=TEXT, caps=_c(TOOLS, vision=False),
      prices=_ZERO),
    M("llama3.1", "local", "Llama 3.1 8B", 131_072, inp=TEXT, outp=TEXT, caps=_c(TOOLS, vision=False),
      prices=_ZERO),
    M("mistral", "local", "Mistral 7B", 32_768, inp=TEXT, outp=TEXT, caps=_c(TOOLS, vision=False),
      prices=_ZERO),
    M("qwen2.5", "local", "Qwen 2.5 7B", 32_768, inp=TEXT, outp=TEXT, caps=_c(TOOLS, vision=False),
      prices=_ZERO),
    M("qwen2.5-coder", "local", "Qwen 2.5 Coder 7B", 32_768, inp=TEXT, outp=TEXT, caps=TOOLS,
      prices=_ZERO),
    M("qwen3", "local", "Qwen 3 8B", 40_960, inp=TEXT, outp=TEXT, caps=_c(TOOLS, reasoning=True),
      prices=_ZERO),
    M("gemma3", "local", "Gemma 3 4B", 131_072, inp=TEXT_IMAGE, outp=TEXT, caps=_c(CHAT, vision=True),
      prices=_ZERO),
    M("deepseek-r1", "local", "DeepSeek-R1 (distilled) 8B", 131_072, inp=TEXT, outp=TEXT,
      caps=_c(CHAT, reasoning=True), prices=_ZERO),
    M("phi4", "local", "Phi-4 14B", 16_384, inp=TEXT, outp=TEXT, caps=CHAT, prices=_ZERO),
    M("llava", "local", "LLaVA 7B", inp=TEXT_IMAGE, outp=TEXT, caps=_c(CHAT, vision=True),
      prices=_ZERO),
    M("nomic-embed-text", None, "nomic-embed-text", 2_048, inp=TEXT, outp=["embedding"], caps=EMBED,
      prices={"input": "0", "source": OLLAMA_SOURCE}),
    M("mxbai-embed-large", None, "mxbai-embed-large", 512, inp=TEXT, outp=["embedding"], caps=EMBED,
      prices={"input": "0", "source": OLLAMA_SOURCE}),
], local=True)


# The files list models newest and best first, for the built-in chains take a tier's first entry that
# chats (``_known_models``); the lists above are grouped by family, so the order is set here.
ORDER: dict[str, list[str]] = {
    "openai": ["gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.2", "gpt-5.1", "gpt-5",
               "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o4-mini",
               "o3-mini", "o1", "gpt-4o", "gpt-4o-mini", "gpt-4o-2024-05-13"],
    "anthropic": ["claude-opus-5-5", "claude-fable-5-2", "claude-fable-5-1", "claude-sonnet-5-5",
                  "claude-haiku-5-5", "claude-opus-5", "claude-sonnet-5", "claude-opus-4-8",
                  "claude-opus-4-7", "claude-opus-4-6",
                  "claude-sonnet-4-6", "claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929",
                  "claude-haiku-4-5-20251001"],
    "gemini": ["gemini-3.1-pro-preview", "gemini-3.8-flash", "gemini-3.5-flash", "gemini-3.1-flash-lite",
               "gemini-3-flash-preview", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
    "deepseek": ["deepseek-v4-pro", "deepseek-v4-flash"],
    "xai": ["grok-4.7", "grok-4.3", "grok-4-1-fast-reasoning", "grok-4-1-fast-non-reasoning"],
}


def _ordered(name: str, models: list[M]) -> list[M]:
    first = ORDER.get(name, [])
    return sorted(models, key=lambda m: first.index(m.id) if m.id in first else len(first))


def _genai() -> Any:
    """genai-prices' providers, by id; its update module's HTTP client is not needed for the data."""
    sys.modules.setdefault("httpx2", types.ModuleType("httpx2"))
    from genai_prices.data import providers

    return {p.id: p for p in providers}, providers


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _base(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else value.base


def _prices(model: Any, as_of: datetime.date) -> tuple[dict[str, Any], datetime.date | None]:
    """The prices in force on ``as_of`` and the date they took effect (``None``: genai-prices gives none)."""
    from genai_prices.types import StartDateConstraint, TimeOfDateConstraint

    effective = None
    chosen = model.prices
    if isinstance(chosen, list):
        current = None
        for conditional in chosen:
            constraint = conditional.constraint
            if constraint is None:
                current = current or conditional.prices
            elif isinstance(constraint, StartDateConstraint) and constraint.start_date <= as_of:
                current, effective = conditional.prices, constraint.start_date
            elif isinstance(constraint, TimeOfDateConstraint) and current is not None and (
                    _base(conditional.prices.input_mtok) > _base(current.input_mtok)):
                # Prices by time of day (DeepSeek's off-peak discount) have no place in ours: the
                # dearer one is kept, so that a cost or an estimate is never below what is billed.
                current = conditional.prices
        chosen = current
    out: dict[str, Any] = {}
    tiers: dict[int, dict[str, str]] = {}
    for theirs, ours in BUCKETS.items():
        value = getattr(chosen, theirs, None)
        if value is None:
            continue
        if isinstance(value, Decimal):
            out[ours] = _text(value)
        else:  # TieredPrices: the base, then each threshold's price for the whole request
            out[ours] = _text(value.base)
            for tier in value.tiers:
                tiers.setdefault(tier.start, {})[ours] = _text(tier.price)
    if tiers:
        out["tiers"] = [{"above": above, **prices} for above, prices in sorted(tiers.items())]
    return out, effective


def _entry(spec: M, plugin: Plugin, found: Any, as_of: datetime.date) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    name = spec.name or (found.name if found is not None else None)
    ctx = spec.ctx or (found.context_window if found is not None else None)
    for key, value in (("name", name), ("tier", spec.tier), ("context_window", ctx),
                       ("max_input", spec.max_input), ("max_output", spec.out), ("input", spec.inp),
                       ("output", spec.outp), ("capabilities", dict(spec.caps) or None),
                       ("aliases", spec.aliases or None)):
        if value is not None:
            entry[key] = value
    if spec.note is not None:
        entry["note"] = spec.note
    if spec.prices is not None:
        entry["prices"] = {"effective": as_of.isoformat(), **spec.prices}
    elif found is not None:
        prices, effective = _prices(found, as_of)
        # A tier at or above the window can never apply (Sonnet 4.5's 200k tier once its 1M beta ended).
        if ctx is not None and "tiers" in prices:
            prices["tiers"] = [t for t in prices["tiers"] if t["above"] < ctx] or None
            if prices["tiers"] is None:
                del prices["tiers"]
        prices["effective"] = (effective or as_of).isoformat()
        entry["prices"] = prices
    return entry


def build(name: str, plugin: Plugin, as_of: datetime.date) -> tuple[dict[str, Any], list[str]]:
    """The file of plugin ``name`` and the models genai-prices did not price."""
    missing: list[str] = []
    models: dict[str, Any] = {}
    by_id, everything = _genai() if plugin.genai is not None else ({}, [])
    provider = by_id.get(plugin.genai) if plugin.genai is not None else None
    for spec in _ordered(name, plugin.models):
        found = None
        if provider is not None:
            found = provider.find_model(spec.genai or spec.id, all_providers=everything)
            if found is None:
                missing.append(spec.id)
        models[spec.id] = _entry(spec, plugin, found, as_of)
    source = (f"{GENAI} / {plugin.url}" if plugin.genai is not None else plugin.url)
    header = {"format": 1, "units": "USD per million tokens", "source": source,
              "retention": plugin.retention, "local": plugin.local,
              "generated": f"core/scripts/catalog_from_genai_prices.py, prices as of {as_of.isoformat()}",
              "note": "effective: the date the source gives for a price, else the date it was read"}
    return {**header, "models": models}, missing


def dump(data: Mapping[str, Any]) -> str:
    """Compact JSON, one model a line, so that a price change is a one-line diff."""
    lines = ["{"]
    for key, value in data.items():
        if key != "models":
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append(' "models": {')
    items = list(data["models"].items())
    for i, (model, entry) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"  {json.dumps(model)}: {json.dumps(entry, ensure_ascii=False, separators=(',', ':'))}"
                     f"{comma}")
    lines.append(" }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    """Write every plugin's file; print the models genai-prices has no price for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=datetime.date.today(),
                        help="take the prices in force on this date (default: today)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    for name, plugin in PLUGINS.items():
        data, missing = build(name, plugin, args.as_of)
        path = ROOT / "plugins" / name / "src" / f"modelplex_{name}" / "models.json"
        path.write_text(dump(data), encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(data['models'])} models"
              + (f"; no price in genai-prices for {', '.join(missing)}" if missing else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
