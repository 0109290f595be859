"""The spans and instruments: imported by the plugin on the first call it hears, never before."""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from modelplex import CallInfo, CallOutcome, ChatRequest, ChatResponse, EmbedResponse
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
        return self.tracer.start_span(f"{operation} {model}", kind=SpanKind.CLIENT, attributes=attributes,
                                      start_time=_ns(call.started) if call.started else None)

    def finish(self, call: CallInfo, outcome: CallOutcome, span: Any) -> None:
        """End ``span`` with how ``call`` ended, and record the metrics."""
        names = self.settings.names
        common: dict[str, Any] = {sc.OPERATION: sc.OPERATIONS[call.kind], sc.REQUEST_MODEL: _requested(call)}
        provider = outcome.provider or (None if call.provider == "chain" else call.provider)
        if provider is not None:
            common[names.provider_key] = names.provider(provider)
        response = outcome.response
        # The model the provider says answered (a dated snapshot), else the one called.
        answered = getattr(response, "model", None) if isinstance(response, ChatResponse | EmbedResponse) \
            else outcome.model
        if answered:
            common[sc.RESPONSE_MODEL] = answered
        span.set_attributes(common)
        span.set_attribute("modelplex.status", outcome.status)
        if isinstance(response, ChatResponse):
            if response.id:
                span.set_attribute(sc.RESPONSE_ID, response.id)
            span.set_attribute(sc.FINISH_REASONS, [response.finish_reason.value])
        usage = outcome.usage
        if usage is not None:
            span.set_attributes(sc.usage_attributes(usage, names))
            span.set_attributes(sc.bucket_attributes(usage))
            if outcome.partial:
                span.set_attribute("modelplex.usage.partial", True)
        cost = outcome.cost
        if cost is not None:
            # Money stays Decimal: its exact text, never a float's approximation.
            if cost.total is not None:
                span.set_attribute("modelplex.cost.total", str(cost.total))
            span.set_attribute("modelplex.cost.currency", cost.currency)
            span.set_attribute("modelplex.cost.status", cost.status)
        if outcome.time_to_first_token is not None:
            span.set_attribute("modelplex.time_to_first_chunk", outcome.time_to_first_token)
        if self.settings.capture:
            self._content(call, response, span)
        if outcome.error is not None:
            error_type = type(outcome.error).__name__
            common[sc.ERROR_TYPE] = error_type
            span.set_attribute(sc.ERROR_TYPE, error_type)
            # The class names the failure; its message may quote a provider's body, so it is left out.
            span.set_status(Status(StatusCode.ERROR))
        end = _ns(call.started + outcome.duration) if call.started and outcome.duration else None
        span.end(end_time=end)
        self.duration.record(outcome.duration, common)
        if usage is not None and outcome.error is None:
            self.tokens.record(usage.total_input, {**common, sc.TOKEN_TYPE: "input"})
            if call.kind != "embed":
                self.tokens.record(usage.total_output, {**common, sc.TOKEN_TYPE: "output"})
        if call.kind == "stream" and outcome.time_to_first_token is not None:
            self.first_chunk.record(outcome.time_to_first_token, common)

    @staticmethod
    def _content(call: CallInfo, response: Any, span: Any) -> None:
        if isinstance(call.request, ChatRequest):
            span.set_attribute(sc.INPUT_MESSAGES, messages_json(call.request.messages))
        if isinstance(response, ChatResponse):
            span.set_attribute(sc.OUTPUT_MESSAGES,
                               messages_json([response.message], response.finish_reason.value))


def _requested(call: CallInfo) -> str:
    """The model asked for: the provider's model id, or the whole address of a chain or alias."""
    return call.model if call.provider != "chain" and call.model else call.address
