"""The GenAI semantic conventions' names, and our calls and usage in their terms. Pure: no OpenTelemetry.

Names are those of the OpenTelemetry semantic conventions for generative AI, v1.41.0 (the last release
of ``open-telemetry/semantic-conventions`` holding them, also ``semantic-conventions-genai`` v0.1.0).
By the conventions' own transition plan, an instrumentation keeps emitting the v1.36.0 names unless
``OTEL_SEMCONV_STABILITY_OPT_IN`` holds ``gen_ai_latest_experimental``: :data:`LEGACY` then
:data:`LATEST` below.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from modelplex import Usage

BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"  # v1.37.0 on; gen_ai.system before
SYSTEM = "gen_ai.system"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"
REASONING = "gen_ai.usage.reasoning.output_tokens"
TOKEN_TYPE = "gen_ai.token.type"  # noqa: S105 (an attribute name, not a secret)
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
ERROR_TYPE = "error.type"
# The request's settings, where the caller gave them: ours as the conventions' gen_ai.request.* names.
REQUEST_OPTIONS = {"temperature": "gen_ai.request.temperature", "top_p": "gen_ai.request.top_p",
                   "max_tokens": "gen_ai.request.max_tokens", "seed": "gen_ai.request.seed",
                   "stop": "gen_ai.request.stop_sequences"}

DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"  # noqa: S105 (a metric name)
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"

#: The conventions' advised bucket boundaries: seconds for the durations, tokens for the usage.
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)

#: Our call kinds as ``gen_ai.operation.name``; a stream is a chat. Model listings are no GenAI operation.
#: The conventions name no reranking operation (their values end at chat, text_completion, embeddings,
#: generate_content and the agent and tool ones) and ask for a custom value where none applies.
OPERATIONS = {"chat": "chat", "stream": "chat", "embed": "embeddings", "rerank": "rerank"}
#: Kinds whose tokens are all input: no ``output`` point of the token usage metric.
INPUT_ONLY = frozenset({"embed", "rerank"})

# Our provider names where the conventions know the provider by another value, the same under both
# keys: gen_ai.system's last values (its older az.ai.openai and xai were replaced by these) are
# gen_ai.provider.name's. Others go as they are.
_PROVIDERS = {"gemini": "gcp.gemini", "vertex": "gcp.vertex_ai", "azure": "azure.ai.openai",
              "mistral": "mistral_ai", "xai": "x_ai", "bedrock": "aws.bedrock"}


@attrs.frozen(kw_only=True)
class Names:
    """What one version of the conventions calls the provider, and whether it has the detailed usage
    attributes (cache and reasoning tokens, added after v1.36.0)."""

    provider_key: str
    providers: Mapping[str, str]
    detailed_usage: bool

    def provider(self, name: str) -> str:
        """``name`` (ours) as the conventions' provider value."""
        return self.providers.get(name, name)


LEGACY = Names(provider_key=SYSTEM, providers=_PROVIDERS, detailed_usage=False)
LATEST = Names(provider_key=PROVIDER, providers=_PROVIDERS, detailed_usage=True)


def usage_attributes(usage: Usage, names: Names) -> dict[str, int]:
    """``usage``'s disjoint buckets as the conventions' inclusive totals: every input token (uncached,
    read from and written to a cache, of every lifetime) and every output token (reasoning included);
    with :attr:`Names.detailed_usage`, the cache and reasoning tokens inside them, where nonzero (the
    conventions leave out what is not there)."""
    found = {INPUT_TOKENS: usage.total_input, OUTPUT_TOKENS: usage.total_output}
    if names.detailed_usage:
        for key, value in ((CACHE_READ, usage.cache_read), (CACHE_CREATION, usage.total_cache_write),
                           (REASONING, usage.reasoning)):
            if value:
                found[key] = value
    return found


def bucket_attributes(usage: Usage) -> dict[str, int | bool]:
    """``usage``'s own nonzero buckets under ``modelplex.usage.*`` (and ``estimated`` when true): what the
    conventions cannot say (the one-hour cache writes apart, estimated counts)."""
    found: dict[str, int | bool] = {f"modelplex.usage.{name}": getattr(usage, name) for name in BUCKETS
                                    if getattr(usage, name)}
    if usage.estimated:
        found["modelplex.usage.estimated"] = True
    return found
