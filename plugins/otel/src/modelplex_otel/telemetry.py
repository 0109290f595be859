"""The spans and instruments: imported by the plugin on the first call it hears, never before."""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from modelplex import CallInfo, CallOutcome, ChatRequest, ChatResponse, EmbedResponse, RerankResponse
from modelplex_otel import semconv as sc
from modelplex_otel.content import messages_json
from modelplex_otel.settings import Settings

SCOPE = "modelplex_otel"


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


class Telemetry:
    """A tracer and the three GenAI client histograms, and the spans of calls made from them."""

    __slots__ = ("duration", "first_chunk", "settings", "tokens", "tracer")

    def __init__(self, settings: Settings, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        self.settings = settings
        self.tracer = trace.get_tracer(SCOPE, tracer_provider=tracer_provider)
        meter = metrics.get_meter(SCOPE, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            sc.DURATION, unit="s", description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS))
        self.tokens = meter.create_histogram(
            sc.TOKEN_USAGE, unit="{token}", description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(sc.TOKEN_BUCKETS))
        self.first_chunk = meter.create_histogram(
            sc.TIME_TO_FIRST_CHUNK, unit="s", description="Time to receive the first chunk of a stream.",
            explicit_bucket_boundaries_advisory=list(sc.DURATION_BUCKETS))

    def start(self, call: CallInfo) -> Any:
        """The client span of ``call``, started now under the current context; ``None`` for a call
        that is no GenAI operation (a model listing)."""
        operation = sc.OPERATIONS.get(call.kind)
        if operation is None:
            return None
        model = _requested(call)
        attributes: dict[str, Any] = {sc.OPERATION: operation, sc.REQUEST_MODEL: model,
                                      "modelplex.call.kind": call.kind, "modelplex.address": call.address}
        if call.provider != "chain":  # a chain's provider is known once a model answered
            attributes[self.settings.names.provider_key] = self.settings.names.provider(call.provider)
        request = call.request
        if isinstance(request, ChatRequest):
            options = request.options
            for ours, theirs in sc.REQUEST_OPTIONS.items():
                value = getattr(options, ours)
                if value is not None and value != ():
                    attributes[theirs] = value
        return self.tracer.start_span(f"{operation} {model}", kind=SpanKind.CLIENT, attributes=attributes,
                                      start_time=_ns(call.started) if call.started else None)

    def attempt(self, call: CallInfo, attempt: Any, parent: Any) -> AttemptSpan:
        """An internal child span of ``parent`` for one model tried, and the reservation that ends it."""
        operation = sc.OPERATIONS[call.kind]
        names = self.settings.names
        attributes = {sc.OPERATION: operation, sc.REQUEST_MODEL: attempt.model,
                      names.provider_key: names.provider(attempt.provider),
                      "modelplex.attempt.number": attempt.number, "modelplex.attempt.retry": attempt.retry}
        span = self.tracer.start_span(f"{operation} {attempt.model}", kind=SpanKind.INTERNAL,
                                      context=trace.set_span_in_context(parent), attributes=attributes)
        return AttemptSpan(span, names)

    def finish(self, call: CallInfo, outcome: CallOutcome, span: Any) -> None:
        """End ``span`` with how ``call`` ended, and record the metrics."""
        names = self.settings.names
        common: dict[str, Any] = {sc.OPERATION: sc.OPERATIONS[call.kind], sc.REQUEST_MODEL: _requested(call)}
        provider = outcome.provider or (None if call.provider == "chain" else call.provider)
        if provider is not None:
            common[names.provider_key] = names.provider(provider)
        response = outcome.response
        # The model the provider says answered (a dated snapshot), else the one called.
        answered = getattr(response, "model", None) \
            if isinstance(response, ChatResponse | EmbedResponse | RerankResponse) else outcome.model
        if answered:
            common[sc.RESPONSE_MODEL] = answered
        # Gathered and set at once: the SDK checks every attribute set, and each call of it costs.
        found: dict[str, Any] = {**common, "modelplex.status": outcome.status}
        if isinstance(response, ChatResponse):
            if response.id:
                found[sc.RESPONSE_ID] = response.id
            found[sc.FINISH_REASONS] = (response.finish_reason.value,)
        elif isinstance(response, RerankResponse):
            if response.id:
                found[sc.RESPONSE_ID] = response.id
            if response.search_units is not None:  # what a search-billed reranker charges by
                found["modelplex.rerank.search_units"] = response.search_units
        usage = outcome.usage
        if usage is not None:
            found.update(sc.usage_attributes(usage, names))
            found.update(sc.bucket_attributes(usage))
            if outcome.partial:
                found["modelplex.usage.partial"] = True
        cost = outcome.cost
        if cost is not None:
            # Money stays Decimal: its exact text, never a float's approximation.
            if cost.total is not None:
                found["modelplex.cost.total"] = str(cost.total)
            found["modelplex.cost.currency"] = cost.currency
            found["modelplex.cost.status"] = cost.status
        if outcome.time_to_first_token is not None:
            found["modelplex.time_to_first_chunk"] = outcome.time_to_first_token
        if self.settings.capture:
            found.update(_content(call, response))
        if outcome.error is not None:
            common[sc.ERROR_TYPE] = found[sc.ERROR_TYPE] = type(outcome.error).__name__
            # The class names the failure; its message may quote a provider's body, so it is left out.
            span.set_status(Status(StatusCode.ERROR))
        span.set_attributes(found)
        end = _ns(call.started + outcome.duration) if call.started and outcome.duration else None
        span.end(end_time=end)
        self.duration.record(outcome.duration, common)
        if usage is not None and outcome.error is None:
            self.tokens.record(usage.total_input, {**common, sc.TOKEN_TYPE: "input"})
            if call.kind not in sc.INPUT_ONLY:
                self.tokens.record(usage.total_output, {**common, sc.TOKEN_TYPE: "output"})
        if call.kind == "stream" and outcome.time_to_first_token is not None:
            self.first_chunk.record(outcome.time_to_first_token, common)


def _content(call: CallInfo, response: Any) -> dict[str, str]:
    """The messages in and out, as captured content."""
    found = {}
    if isinstance(call.request, ChatRequest):
        found[sc.INPUT_MESSAGES] = messages_json(call.request.messages)
    if isinstance(response, ChatResponse):
        found[sc.OUTPUT_MESSAGES] = messages_json([response.message], response.finish_reason.value)
    return found


def _requested(call: CallInfo) -> str:
    """The model asked for: the provider's model id, or the whole address of a chain or alias."""
    return call.model if call.provider != "chain" and call.model else call.address


class AttemptSpan:
    """The reservation of an attempt's span: settled or released with the attempt's outcome, it ends
    the span with that outcome's usage or error."""

    __slots__ = ("names", "span")

    def __init__(self, span: Any, names: sc.Names) -> None:
        self.span = span
        self.names = names

    def settle(self, outcome: CallOutcome) -> None:
        """The attempt answered (or was cut or cancelled with usage to count)."""
        found: dict[str, Any] = {"modelplex.status": outcome.status}
        response = outcome.response
        if isinstance(response, ChatResponse | EmbedResponse):
            found[sc.RESPONSE_MODEL] = response.model
        if outcome.usage is not None:
            found.update(sc.usage_attributes(outcome.usage, self.names))
        self.span.set_attributes(found)
        self.span.end()

    def release(self, outcome: CallOutcome) -> None:
        """The attempt failed, or a later admitter refused it."""
        if outcome.error is not None:
            self.span.set_attribute(sc.ERROR_TYPE, type(outcome.error).__name__)
            self.span.set_status(Status(StatusCode.ERROR))
        self.span.set_attribute("modelplex.status", outcome.status)
        self.span.end()
