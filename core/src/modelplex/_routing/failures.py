"""The error of a routed call that no candidate answered: every one refused, skipped or failed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from modelplex._known_models import LOCAL_CHAIN
from modelplex._routing.address import split_model
from modelplex.errors import AdmissionRefused, ModelplexError, ProviderError, RoutingError

if TYPE_CHECKING:
    from modelplex._routing.candidates import Route
    from modelplex._trace import TraceBuilder


def refused(route: Route, trace: TraceBuilder, refusals: Sequence[ModelplexError]) -> ModelplexError:
    """The error of a call whose candidates were all refused or skipped, none tried: for one model, its
    refusal itself; for a chain, an :class:`AdmissionRefused` holding each refusal."""
    built = trace.build(None)
    if route.chain is None:
        error = refusals[-1]
    else:
        parts = [f"{s.model} skipped: {s.reason}" for s in built.skipped]
        provider, model = split_model(route.address)
        message = "no model was admitted: " + "; ".join(parts)
        error = AdmissionRefused(message[:4000], refusals=tuple(refusals), provider=provider, model=model)
        error.__cause__ = refusals[-1]
    error.trace = built  # type: ignore[attr-defined]
    return error


def exhausted(route: Route, trace: TraceBuilder, errors: Sequence[ModelplexError],
              soonest: float | None) -> ModelplexError:
    """The error of a call no candidate answered: a single model's own error, else a RoutingError."""
    built = trace.build(None)
    last = errors[-1] if errors else None
    if route.chain is None and last is not None:
        if isinstance(last, ProviderError):
            last.trace = built
        return last
    retryable = soonest is not None or any(getattr(e, "is_retryable", False) for e in errors)
    parts = [f"{s.model} skipped: {s.reason}" for s in built.skipped]
    parts += [f"{a.model} failed: {a.error}" for a in built.failures]
    if not built.candidates and route.builtin and route.chain is not None \
            and route.chain.name == LOCAL_CHAIN:
        parts.append("no server on this machine listed a chat model")
    elif not built.candidates:
        parts.append("the chain has no model whose provider is installed")
    provider, model = split_model(route.address)
    message = "no model could answer: " + "; ".join(parts)
    error = RoutingError(message[:4000], provider=provider, model=model, trace=built,
                         retryable=retryable, retry_after=soonest)
    if last is not None:
        error.__cause__ = last
    return error
