"""Hypothesis strategies for every public Modelplex type, gathered in one module.

Every strategy builds valid values only (they pass the types' own validation), keeps sizes small and
never produces NaN or infinity, so ``x == structure(unstructure(x), type(x))`` is a fair property::

    from hypothesis import given
    from modelplex_testing import strategies as mst

    @given(mst.chat_requests())
    def test_encode(request): ...

:data:`PUBLIC_TYPES` maps each public attrs class of :mod:`modelplex` to its strategy.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final, Literal, TypeVar

from hypothesis import strategies as st

from modelplex import (
    Capabilities,
    Chain,
    ChainEntry,
    ChatOptions,
    ChatRequest,
    ChatResponse,
    Citation,
    CitationAdded,
    CitationSource,
    ConversationMessage,
    ConversationRecord,
    ConversationSummary,
    Cost,
    Decision,
    EmbedRequest,
    EmbedResponse,
    Estimate,
    Finished,
    FinishReason,
    HealthStatus,
    ImagePart,
    Message,
    ModelInfo,
    Origin,
    Part,
    PluginFailure,
    PluginRecord,
    Prices,
    PriceTier,
    ProviderInfo,
    ProviderSettings,
    ProviderWarning,
    RateLimits,
    ReasoningDelta,
    ReasoningPart,
    RerankRequest,
    RerankResponse,
    RerankResult,
    ResponseFormat,
    ResponseStarted,
    RouteAttempt,
    RouteSkip,
    RoutingPolicy,
    RoutingTrace,
    StreamEvent,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallEnded,
    ToolCallPart,
    ToolCallStarted,
    ToolChoice,
    ToolResultPart,
    Usage,
    UsageReported,
    WarningRaised,
)
from modelplex._catalog.records import TIERS
from modelplex._tools import TOOL_NAME

__all__ = [
    "PUBLIC_TYPES",
    "capabilities",
    "chain_entries",
    "chains",
    "chat_options",
    "chat_requests",
    "chat_responses",
    "citations",
    "embed_requests",
    "embed_responses",
    "health_statuses",
    "image_parts",
    "json_objects",
    "json_schemas",
    "json_values",
    "messages",
    "model_infos",
    "origins",
    "parts",
    "plugin_failures",
    "plugin_records",
    "prices",
    "provider_infos",
    "provider_settings",
    "provider_warnings",
    "rate_limits",
    "reasoning_parts",
    "rerank_requests",
    "rerank_responses",
    "response_formats",
    "route_attempts",
    "route_skips",
    "routing_policies",
    "routing_traces",
    "stream_events",
    "stream_splits",
    "text_parts",
    "tool_calls",
    "tool_choices",
    "tool_names",
    "tool_results",
    "tools",
    "usages",
]

T = TypeVar("T")

# JSON integers stay within what every JSON parser reads exactly (JavaScript's safe integers).
_MAX_SAFE_INT: Final = 2**53 - 1
_MEDIA_TYPES: Final = ("image/png", "image/jpeg", "image/gif", "image/webp")
# Secret registers every value it wraps for scrubbing, process-wide: draw from a few fixed fake keys
# instead of inventing new ones, so the set stays small and never swallows ordinary words.
_FAKE_KEYS: Final = (
    "sk-strategies-fake-key-0000000000",
    "sk-ant-strategies-fake-key-111111",
    "gsk_strategiesFakeKey22222222",
)


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def _small_texts(max_size: int = 20) -> st.SearchStrategy[str]:
    return st.text(max_size=max_size)


def _finite_floats(min_value: float | None = None,
                   max_value: float | None = None) -> st.SearchStrategy[float]:
    return st.floats(min_value=min_value, max_value=max_value, allow_nan=False,
                     allow_infinity=False)


def _provider_names() -> st.SearchStrategy[str]:
    return st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True)


def _model_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,30}", fullmatch=True)


def _call_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)


def _env_names() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True)


def _urls() -> st.SearchStrategy[str]:
    path = st.text(alphabet=string.ascii_letters + string.digits + "-_./", max_size=20)
    host = st.sampled_from(("https://example.com", "http://localhost:8080", "https://api.example.org"))
    return st.builds(lambda h, p: f"{h}/{p}", host, path)


# --- JSON -----------------------------------------------------------------------------------------


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, integers, finite floats, strings, and lists and objects."""
    scalars: st.SearchStrategy[Any] = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-_MAX_SAFE_INT, max_value=_MAX_SAFE_INT)
        | _finite_floats()
        | _small_texts(10)
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(_small_texts(8), children, max_size=4),
        max_leaves=10,
    )


def json_objects() -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object (string keys, any unicode), from empty ``{}`` up to a few keys."""
    return st.dictionaries(_small_texts(10), json_values(), max_size=5)


_PROPERTY_NAMES: Final = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)


def _described(schema: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Adds a ``description`` to some of the schemas drawn."""
    return st.builds(lambda s, d: s if d is None else {**s, "description": d}, schema,
                     _optional(_small_texts(30)))


def _scalar_schemas() -> st.SearchStrategy[dict[str, Any]]:
    enum = st.lists(_small_texts(10), min_size=1, max_size=4, unique=True)
    return _described(
        st.sampled_from(({"type": "string"}, {"type": "number"}, {"type": "integer"},
                         {"type": "boolean"}))
        | st.builds(lambda values: {"type": "string", "enum": values}, enum)
    )


@st.composite
def _object_schemas(draw: st.DrawFn, values: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    props = draw(st.dictionaries(_PROPERTY_NAMES, values, max_size=4))
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if draw(st.booleans()):
        schema["required"] = draw(st.lists(st.sampled_from(sorted(props)), unique=True)
                                  if props else st.just([]))
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    return schema


def _property_schemas() -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        _scalar_schemas(),
        lambda children: _described(
            st.builds(lambda items: {"type": "array", "items": items}, children)
            | _object_schemas(children)
        ),
        max_leaves=6,
    )


def json_schemas() -> st.SearchStrategy[dict[str, Any]]:
    """A JSON Schema for a tool's arguments: always ``"type": "object"``, with nested properties."""
    return _object_schemas(_property_schemas())


# --- tools ----------------------------------------------------------------------------------------


def tool_names() -> st.SearchStrategy[str]:
    """Names that every provider takes (``modelplex._tools.TOOL_NAME``)."""
    return st.from_regex(TOOL_NAME, fullmatch=True)


def tools() -> st.SearchStrategy[Tool]:
    return st.builds(Tool, name=tool_names(), description=_small_texts(40),
                     parameters=json_schemas(), strict=_optional(st.booleans()))


def tool_choices(names: Sequence[str] | None = None) -> st.SearchStrategy[ToolChoice]:
    """Any tool choice. With ``names``, mode ``"tool"`` names one of them (none if it is empty)."""
    modes: st.SearchStrategy[ToolChoice] = st.sampled_from(
        (ToolChoice.auto(), ToolChoice.none(), ToolChoice.required()))
    if names is None:
        return modes | st.builds(ToolChoice.tool, tool_names())
    if not names:
        return modes
    return modes | st.builds(ToolChoice.tool, st.sampled_from(list(names)))


def origins() -> st.SearchStrategy[Origin]:
    return st.builds(Origin, provider=_provider_names(), model=_model_ids())


def tool_calls() -> st.SearchStrategy[ToolCallPart]:
    """Tool calls with JSON-object arguments (``{}`` included), or unparsable ``raw_arguments``."""
    common = {"id": _call_ids(), "name": tool_names(), "signature": _optional(_small_texts(30)),
              "origin": _optional(origins())}
    return (st.builds(ToolCallPart, arguments=json_objects(), **common)
            | st.builds(ToolCallPart, arguments=st.just({}), raw_arguments=_small_texts(20),
                        **common))


def tool_results() -> st.SearchStrategy[ToolResultPart]:
    return st.builds(ToolResultPart, tool_call_id=_call_ids(), content=_small_texts(40),
                     name=_optional(tool_names()), is_error=st.booleans())


# --- parts and messages ---------------------------------------------------------------------------


def text_parts() -> st.SearchStrategy[TextPart]:
    return st.builds(TextPart, text=_small_texts(40))


def image_parts() -> st.SearchStrategy[ImagePart]:
    """An image by URL, or by bytes with their media type."""
    return (st.builds(ImagePart, url=_urls())
            | st.builds(ImagePart, data=st.binary(max_size=64),
                        media_type=st.sampled_from(_MEDIA_TYPES)))


def reasoning_parts() -> st.SearchStrategy[ReasoningPart]:
    return st.builds(ReasoningPart, text=_small_texts(40), origin=_optional(origins()),
                     signature=_optional(_small_texts(30)),
                     redacted_data=_optional(_small_texts(30)))


def parts() -> st.SearchStrategy[Part]:
    """Any part, of any kind."""
    return st.one_of(text_parts(), image_parts(), tool_calls(), tool_results(), reasoning_parts())


def _assistant_parts() -> st.SearchStrategy[TextPart | ToolCallPart | ReasoningPart]:
    return st.one_of(text_parts(), tool_calls(), reasoning_parts())


def messages() -> st.SearchStrategy[Message]:
    """Messages whose parts suit the role.

    System: text. User: text and images. Assistant: text, tool calls and reasoning. Tool: a result.
    """

    def of(role: Literal["system", "user", "assistant", "tool"],
           part: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[Message]:
        return st.builds(Message, role=st.just(role),
                         parts=st.lists(part, min_size=1, max_size=max_size).map(tuple))

    return st.one_of(
        of("system", text_parts()),
        of("user", text_parts() | image_parts()),
        of("assistant", _assistant_parts()),
        of("tool", tool_results(), max_size=1),
    )


# --- responses and requests -----------------------------------------------------------------------


def usages() -> st.SearchStrategy[Usage]:
    count = st.integers(min_value=0, max_value=10**9)
    cost = st.decimals(min_value=0, max_value=10**6, places=8, allow_nan=False, allow_infinity=False)
    return st.builds(Usage, input=count, cache_read=count, cache_write=count, cache_write_1h=count,
                     output=count, reasoning=count, estimated=st.booleans(), reported_cost=_optional(cost))


def provider_warnings() -> st.SearchStrategy[ProviderWarning]:
    code = st.from_regex(r"[a-z]{1,10}(-[a-z]{1,10}){0,3}", fullmatch=True)
    return st.builds(ProviderWarning, code=code, message=_small_texts(40),
                     field=_optional(_small_texts(20)))


def response_formats() -> st.SearchStrategy[ResponseFormat]:
    name = _optional(st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True))
    strict = _optional(st.booleans())
    description = _optional(_small_texts(40))
    return (st.builds(ResponseFormat, type=st.sampled_from(("text", "json_object")), name=name,
                      strict=strict, description=description)
            | st.builds(ResponseFormat, type=st.just("json_schema"), schema=json_schemas(),
                        name=name, strict=strict, description=description))


def chat_options() -> st.SearchStrategy[ChatOptions]:
    """Options with every field set or left to the provider; ``tool_choice`` names a tool given."""
    return st.lists(tools(), max_size=3, unique_by=lambda t: t.name).flatmap(
        lambda chosen: st.builds(
            ChatOptions,
            temperature=_optional(_finite_floats(0.0, 2.0)),
            top_p=_optional(_finite_floats(0.0, 1.0)),
            max_tokens=_optional(st.integers(min_value=1, max_value=10**6)),
            stop=st.lists(_small_texts(8).filter(bool), max_size=4),
            seed=_optional(st.integers(min_value=-(2**31), max_value=2**31 - 1)),
            response_format=_optional(response_formats()),
            tools=st.just(chosen),
            tool_choice=_optional(tool_choices([t.name for t in chosen])),
            parallel_tool_calls=_optional(st.booleans()),
            reasoning_effort=_optional(st.sampled_from(("low", "medium", "high"))),
            reasoning_budget=_optional(st.integers(min_value=0, max_value=10**6)),
            prompt_cache=_optional(st.booleans()),
            include_raw=st.booleans(),
            extra=st.dictionaries(_small_texts(10), json_values(), max_size=3),
        )
    )


def chat_requests() -> st.SearchStrategy[ChatRequest]:
    return st.builds(ChatRequest, model=_model_ids(),
                     messages=st.lists(messages(), min_size=1, max_size=4), options=chat_options())


_INDEXES: Final = st.integers(min_value=0, max_value=16)


def _citation_sources() -> st.SearchStrategy[CitationSource]:
    return st.builds(CitationSource, kind=_optional(st.sampled_from(["document", "tool"])),
                     id=_optional(_call_ids()), text=_optional(_small_texts(30)),
                     title=_optional(_small_texts(12)))


def citations() -> st.SearchStrategy[Citation]:
    """A citation of a reply's text, with the sources it names (Cohere's shape)."""
    return st.builds(Citation, text=_small_texts(20), start=_optional(_INDEXES), end=_optional(_INDEXES),
                     sources=st.lists(_citation_sources(), max_size=2),
                     kind=_optional(st.sampled_from(["TEXT_CONTENT", "PLAN"])))


def chat_responses() -> st.SearchStrategy[ChatResponse]:
    return st.builds(
        ChatResponse,
        provider=_provider_names(),
        model=_model_ids(),
        parts=st.lists(_assistant_parts(), max_size=4),
        finish_reason=st.sampled_from(FinishReason),
        raw_finish_reason=_optional(_small_texts(12)),
        usage=usages(),
        warnings=st.lists(provider_warnings(), max_size=2),
        id=_optional(_call_ids()),
        raw=json_values(),
        trace=_optional(routing_traces()),
        citations=st.lists(citations(), max_size=2),
    )


# --- routing: chains, limits, policies, traces and health ------------------------------------------


def _addresses() -> st.SearchStrategy[str]:
    return st.builds(lambda p, m: f"{p}/{m}", _provider_names().filter(lambda p: p != "chain"),
                     _model_ids())


def _seconds() -> st.SearchStrategy[float]:
    return _finite_floats(0.0, 10_000.0)


def chain_entries() -> st.SearchStrategy[ChainEntry]:
    """An entry overriding a few chat options, as a config file would (JSON values)."""
    overrides = st.fixed_dictionaries({}, optional={
        "temperature": _finite_floats(0.0, 2.0),
        "max_tokens": st.integers(min_value=1, max_value=10**6),
        "seed": st.integers(min_value=0, max_value=2**31 - 1),
        "stop": st.lists(_small_texts(8).filter(bool), max_size=3),
        "extra": st.dictionaries(_small_texts(10), json_values(), max_size=2),
    })
    return st.builds(ChainEntry, model=_addresses(), options=overrides)


def chains() -> st.SearchStrategy[Chain]:
    return st.builds(Chain, name=_provider_names(), entries=st.lists(chain_entries(), min_size=1, max_size=4),
                     retries=_optional(st.integers(min_value=0, max_value=10)))


def rate_limits() -> st.SearchStrategy[RateLimits]:
    count = _optional(st.integers(min_value=1, max_value=10**7))
    return st.builds(RateLimits, rpm=count, tpm=count, concurrency=count,
                     window=_finite_floats(0.001, 86_400.0))


def routing_policies() -> st.SearchStrategy[RoutingPolicy]:
    return st.builds(RoutingPolicy, retries=st.integers(min_value=0, max_value=10), backoff=_seconds(),
                     max_backoff=_seconds(), max_retry_after=_seconds(), deadline=_seconds(),
                     on_limit=st.sampled_from(("wait", "fail")),
                     cooldown_after=st.integers(min_value=1, max_value=100), cooldown=_seconds(),
                     on_cooldown=st.sampled_from(("fail", "wait")))


def route_skips() -> st.SearchStrategy[RouteSkip]:
    return st.builds(RouteSkip, model=_addresses(), reason=_small_texts(60))


def route_attempts() -> st.SearchStrategy[RouteAttempt]:
    return st.builds(RouteAttempt, model=_addresses(), duration=_seconds(), waited=_seconds(),
                     error=_optional(_small_texts(60)), error_type=_optional(_small_texts(20)),
                     status_code=_optional(st.integers(min_value=100, max_value=599)))


def routing_traces() -> st.SearchStrategy[RoutingTrace]:
    return st.builds(RoutingTrace, address=_addresses(), candidates=st.lists(_addresses(), max_size=4),
                     skipped=st.lists(route_skips(), max_size=3),
                     attempts=st.lists(route_attempts(), max_size=3),
                     answered_by=_optional(_addresses()), duration=_seconds())


def health_statuses() -> st.SearchStrategy[HealthStatus]:
    times = _optional(_finite_floats(0.0, 4e9))
    return st.builds(HealthStatus, target=_provider_names() | _addresses(),
                     state=st.sampled_from(("ok", "failing", "cooling_down", "not_configured", "unknown")),
                     consecutive_failures=st.integers(min_value=0, max_value=1000),
                     cooling_down_for=_seconds(), last_error=_optional(_small_texts(60)),
                     last_error_at=times, last_ok_at=times, latency=_optional(_seconds()),
                     models=_optional(st.integers(min_value=0, max_value=10_000)))


# --- stream events --------------------------------------------------------------------------------


_EVENT_STRATEGIES: Final[dict[type[Any], st.SearchStrategy[Any]]] = {
    ResponseStarted: st.builds(ResponseStarted, id=_optional(_call_ids()),
                               model=_optional(_model_ids())),
    TextDelta: st.builds(TextDelta, text=_small_texts(20)),
    ReasoningDelta: st.builds(ReasoningDelta, text=_small_texts(20),
                              signature=_optional(_small_texts(30)),
                              redacted_data=_optional(_small_texts(30))),
    ToolCallStarted: st.builds(ToolCallStarted, index=_INDEXES, id=_call_ids(), name=tool_names()),
    ToolCallDelta: st.builds(ToolCallDelta, index=_INDEXES, arguments=_small_texts(20)),
    ToolCallEnded: st.builds(ToolCallEnded, index=_INDEXES, call=tool_calls()),
    UsageReported: st.builds(UsageReported, usage=usages()),
    Finished: st.builds(Finished, reason=st.sampled_from(FinishReason),
                        raw_reason=_optional(_small_texts(12))),
    WarningRaised: st.builds(WarningRaised, warning=provider_warnings()),
    CitationAdded: st.builds(CitationAdded, citation=citations()),
}


def stream_events() -> st.SearchStrategy[StreamEvent]:
    """Any stream event, of any kind."""
    return st.one_of(*_EVENT_STRATEGIES.values())


def stream_splits(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """Ways to cut ``data`` into non-empty chunks, as a network might deliver it.

    The chunks joined give ``data`` back. Any split points may be drawn, from one chunk (no split)
    to one byte per chunk; both ends are tried first. Empty ``data`` gives only ``[]``.
    """
    if not data:
        return st.just([])
    size = len(data)

    whole, bytewise = st.just([data]), st.just([data[i:i + 1] for i in range(size)])
    if size == 1:
        return whole

    def cut(points: list[int]) -> list[bytes]:
        return [data[a:b] for a, b in itertools.pairwise([0, *sorted(points), size])]

    points = st.integers(min_value=1, max_value=size - 1)
    anywhere = st.lists(points, unique=True, max_size=size - 1)
    return st.one_of(whole, bytewise, anywhere.map(cut))


# --- embeddings, catalog and provider settings ----------------------------------------------------


def embed_requests() -> st.SearchStrategy[EmbedRequest]:
    return st.builds(EmbedRequest, model=_model_ids(),
                     inputs=st.lists(_small_texts(40), min_size=1, max_size=4),
                     dimensions=_optional(st.integers(min_value=1, max_value=4096)),
                     task_type=_optional(st.sampled_from(("RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT",
                                                          "SEMANTIC_SIMILARITY"))),
                     extra=st.dictionaries(_small_texts(10), json_values(), max_size=3))


def rerank_requests() -> st.SearchStrategy[RerankRequest]:
    return st.builds(RerankRequest, model=_model_ids(), query=_small_texts(20).filter(str.strip),
                     documents=st.lists(_small_texts(30), min_size=1, max_size=4),
                     top_n=_optional(st.integers(min_value=1, max_value=10)), extra=json_objects())


def _rerank_results() -> st.SearchStrategy[RerankResult]:
    return st.builds(RerankResult, index=_INDEXES, relevance_score=_finite_floats(0.0, 1.0),
                     document=_small_texts(30))


def rerank_responses() -> st.SearchStrategy[RerankResponse]:
    return st.builds(RerankResponse, provider=_provider_names(), model=_model_ids(),
                     results=st.lists(_rerank_results(), max_size=4), usage=usages(),
                     search_units=_optional(st.integers(min_value=0, max_value=100)),
                     id=_optional(_call_ids()), warnings=st.lists(provider_warnings(), max_size=2),
                     trace=_optional(routing_traces()))


def embed_responses() -> st.SearchStrategy[EmbedResponse]:
    """A response whose vectors all have the same width, as a real provider's do."""
    def of_width(width: int) -> st.SearchStrategy[EmbedResponse]:
        vector = st.lists(_finite_floats(-1.0, 1.0), min_size=width, max_size=width)
        return st.builds(EmbedResponse, provider=_provider_names(), model=_model_ids(),
                         vectors=st.lists(vector, min_size=1, max_size=4), usage=usages(),
                         warnings=st.lists(provider_warnings(), max_size=2),
                         trace=_optional(routing_traces()))

    return st.integers(min_value=1, max_value=8).flatmap(of_width)


def _money() -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=10**4, places=6, allow_nan=False, allow_infinity=False)


def price_tiers() -> st.SearchStrategy[PriceTier]:
    price = _optional(_money())
    return st.builds(PriceTier, above=st.integers(min_value=1, max_value=10**7), input=price,
                     cache_read=price, cache_write=price, cache_write_1h=price, output=price,
                     reasoning=price)


def prices() -> st.SearchStrategy[Prices]:
    price = _optional(_money())
    return st.builds(Prices, input=price, cache_read=price, cache_write=price, cache_write_1h=price,
                     output=price, reasoning=price, tiers=st.lists(price_tiers(), max_size=2).map(tuple),
                     effective=_optional(st.dates()), source=_optional(_small_texts(30)))


def costs() -> st.SearchStrategy[Cost]:
    amount = _optional(_money())
    return st.builds(Cost, input=amount, cache_read=amount, cache_write=amount, cache_write_1h=amount,
                     output=amount, reasoning=amount,
                     status=st.sampled_from(("exact", "estimated", "unknown")),
                     price_version=_optional(_small_texts(20)), reported=amount, partial=st.booleans())


def decisions() -> st.SearchStrategy[Decision]:
    """Admission decisions of a policy or a budget, as the usage log records them."""
    return st.builds(Decision, by=st.sampled_from(("policy", "budget")),
                     decision=st.sampled_from(("admitted", "denied", "would-deny", "reserved", "settled")),
                     model=_model_ids(), name=_optional(_small_texts(20)), where=_optional(_small_texts(30)),
                     reason=_optional(_small_texts(40)), amount=_optional(_money()))


def estimates() -> st.SearchStrategy[Estimate]:
    """Estimates of one model, and of a chain holding up to two of them."""
    tokens = st.integers(min_value=0, max_value=10**7)
    one = st.builds(Estimate, model=_model_ids(), input_tokens=tokens, estimated=st.booleans(),
                    output_tokens=_optional(tokens), cost=costs(), tokenizer=_optional(_small_texts(12)),
                    output_from=st.sampled_from(("max_tokens", "catalog", "unknown")))
    return st.one_of(one, st.builds(Estimate, model=_model_ids(), input_tokens=tokens,
                                    estimated=st.booleans(), output_tokens=_optional(tokens), cost=costs(),
                                    candidates=st.lists(one, max_size=2).map(tuple)))


def capabilities() -> st.SearchStrategy[Capabilities]:
    flag = _optional(st.booleans())
    return st.builds(Capabilities, chat=flag, streaming=flag, tools=flag, parallel_tool_calls=flag,
                     vision=flag, json_schema=flag, reasoning=flag, embeddings=flag)


def model_infos() -> st.SearchStrategy[ModelInfo]:
    tokens = _optional(st.integers(min_value=1, max_value=10**7))
    modalities = _optional(st.lists(st.sampled_from(("text", "image", "audio", "pdf", "embedding")),
                                    max_size=3, unique=True).map(tuple))
    return st.builds(ModelInfo, id=_model_ids(), provider=_provider_names(),
                     name=_optional(_small_texts(30)), tier=_optional(st.sampled_from(TIERS)),
                     context_window=tokens, max_input=tokens, max_output=tokens,
                     input_modalities=modalities, output_modalities=modalities,
                     prices=prices(), capabilities=capabilities(), local=st.booleans(),
                     retention=_optional(_small_texts(30)),
                     aliases=st.lists(_model_ids(), max_size=2).map(tuple))


def _conversation_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"[0-9a-f]{24}", fullmatch=True)


def _stored_times() -> st.SearchStrategy[float]:
    # What the store keeps: time.time() to the microsecond.
    return st.integers(min_value=0, max_value=4 * 10**15).map(lambda us: us / 1_000_000)


def conversation_messages() -> st.SearchStrategy[ConversationMessage]:
    def of(message: Message) -> st.SearchStrategy[ConversationMessage]:
        return st.builds(ConversationMessage, id=_conversation_ids(), role=st.just(message.role),
                         parts=st.just(message.parts), parent_id=_optional(_conversation_ids()),
                         sibling=st.integers(min_value=0, max_value=5),
                         provider=_optional(_provider_names()), requested=_optional(_model_ids()),
                         model=_optional(_model_ids()), usage=_optional(usages()),
                         cost=_optional(costs()), call_id=_optional(_call_ids()),
                         created_at=_stored_times())

    return messages().flatmap(of)


def conversation_records() -> st.SearchStrategy[ConversationRecord]:
    return st.builds(ConversationRecord, id=_conversation_ids(), title=_optional(_small_texts(30)),
                     model=_optional(_model_ids()), system=_optional(_small_texts(40)),
                     options=json_objects(), head=_optional(_conversation_ids()),
                     created_at=_stored_times(), updated_at=_stored_times())


def conversation_summaries() -> st.SearchStrategy[ConversationSummary]:
    return st.builds(ConversationSummary, record=conversation_records(),
                     messages=st.integers(min_value=0, max_value=10**6), cost=_optional(_money()))


def provider_infos() -> st.SearchStrategy[ProviderInfo]:
    envs = st.lists(_env_names(), max_size=3).map(tuple)
    return st.builds(ProviderInfo, spec_version=st.integers(min_value=1, max_value=10),
                     description=_small_texts(40), api_key_env=envs, base_url_env=envs,
                     option_env=st.dictionaries(_env_names().map(str.lower), envs, max_size=2),
                     default_base_url=_optional(_urls()), requires_api_key=st.booleans(),
                     local=st.booleans())


def plugin_records() -> st.SearchStrategy[PluginRecord]:
    hooks = st.lists(st.sampled_from(("modelplex_chat", "modelplex_chat_stream", "modelplex_embed")),
                     unique=True).map(tuple)
    return st.builds(PluginRecord, name=_provider_names(), distribution=_optional(_small_texts(20)),
                     version=_optional(_small_texts(10)), module=_small_texts(30), info=provider_infos(),
                     hooks=hooks)


def plugin_failures() -> st.SearchStrategy[PluginFailure]:
    return st.builds(PluginFailure, name=_provider_names(),
                     kind=st.sampled_from(("load", "incompatible", "conflict", "disabled")),
                     reason=_small_texts(60), distribution=_optional(_small_texts(20)),
                     version=_optional(_small_texts(10)))


def provider_settings() -> st.SearchStrategy[ProviderSettings]:
    """Settings with a fake key or none; ``transport`` is left unset (it is not data)."""
    header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True)
    timeouts = _finite_floats(0.1, 3600.0)
    return st.builds(
        ProviderSettings,
        name=_provider_names(),
        plugin=_provider_names(),
        # Keys are never serialised (they unstructure masked), so a round-trippable value has none.
        api_key=st.none(),
        api_key_env=st.lists(_env_names(), max_size=3).map(tuple),
        base_url=_optional(_urls()),
        headers=st.dictionaries(header_names, st.text(string.printable.strip(), max_size=20),
                                max_size=3),
        connect_timeout=timeouts,
        read_timeout=timeouts,
        call_timeout=timeouts,
        options=st.dictionaries(_small_texts(10), json_values(), max_size=3),
    )


PUBLIC_TYPES: Final[dict[type[Any], st.SearchStrategy[Any]]] = {
    PluginFailure: plugin_failures(),
    PluginRecord: plugin_records(),
    Capabilities: capabilities(),
    Chain: chains(),
    ChainEntry: chain_entries(),
    ChatOptions: chat_options(),
    ChatRequest: chat_requests(),
    ChatResponse: chat_responses(),
    EmbedRequest: embed_requests(),
    EmbedResponse: embed_responses(),
    HealthStatus: health_statuses(),
    ImagePart: image_parts(),
    Message: messages(),
    ModelInfo: model_infos(),
    Origin: origins(),
    Prices: prices(),
    PriceTier: price_tiers(),
    Cost: costs(),
    ConversationMessage: conversation_messages(),
    ConversationRecord: conversation_records(),
    ConversationSummary: conversation_summaries(),
    Decision: decisions(),
    Estimate: estimates(),
    ProviderInfo: provider_infos(),
    ProviderSettings: provider_settings(),
    ProviderWarning: provider_warnings(),
    RateLimits: rate_limits(),
    ReasoningPart: reasoning_parts(),
    RerankRequest: rerank_requests(),
    RerankResponse: rerank_responses(),
    RerankResult: _rerank_results(),
    Citation: citations(),
    CitationSource: _citation_sources(),
    ResponseFormat: response_formats(),
    RouteAttempt: route_attempts(),
    RouteSkip: route_skips(),
    RoutingPolicy: routing_policies(),
    RoutingTrace: routing_traces(),
    TextPart: text_parts(),
    Tool: tools(),
    ToolCallPart: tool_calls(),
    ToolChoice: tool_choices(),
    ToolResultPart: tool_results(),
    Usage: usages(),
    **_EVENT_STRATEGIES,
}
"""Each public attrs class of :mod:`modelplex` (``Secret`` aside) and a strategy for its values."""
