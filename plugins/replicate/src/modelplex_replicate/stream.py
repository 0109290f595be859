"""A prediction's event stream (``urls.stream``) as Modelplex's stream events.

Replicate sends three events: ``output`` (plain text, the next piece of the output; a piece with line
breaks arrives as several ``data:`` lines, joined back with newlines), ``error`` (JSON ``{"detail"}``:
the prediction failed) and ``done`` (JSON: ``{}``, or ``{"reason": "canceled"}`` / ``{"reason":
"error"}``). A stream that ends before ``done`` was cut off. Usage and the finish reason are not in the
stream: they are read from the prediction once it is over (:mod:`modelplex_replicate.chat`).
"""

from __future__ import annotations

from collections.abc import Mapping

from modelplex import StreamEvent
from modelplex.errors import ProviderError
from modelplex.toolkit import SSEEvent, interrupted, parse_body, text_delta


class Events:
    """The :class:`modelplex.toolkit.SSEHandler` of one prediction's stream."""

    def __init__(self, *, provider: str, model: str, prediction: str) -> None:
        self.provider, self.model, self.prediction = provider, model, prediction
        self.done = False
        self.over = False  # the prediction ended (done, or an error event): nothing left to cancel

    def _failed(self, what: str, data: str) -> ProviderError:
        body = parse_body(data.encode())
        detail = body.get("detail") if isinstance(body, Mapping) else None
        why = detail if isinstance(detail, str) and detail else data.strip() or "no detail"
        return ProviderError(f"prediction {self.prediction} {what}: {why}", provider=self.provider,
                             model=self.model)

    def event(self, sse: SSEEvent) -> list[StreamEvent]:
        """The typed events of one server-sent event."""
        if sse.event == "output":
            return [text_delta(sse.data)] if sse.data else []
        if sse.event == "error":
            self.over = True
            raise self._failed("failed", sse.data)
        if sse.event == "done":
            self.done = self.over = True
            body = parse_body(sse.data.encode())
            reason = body.get("reason") if isinstance(body, Mapping) else None
            if reason in ("canceled", "error"):
                raise self._failed("canceled" if reason == "canceled" else "failed", sse.data)
        return []  # other events (logs, comments) carry no output

    def end(self, broken: Exception | None, pending: bool) -> list[StreamEvent]:
        """Nothing more after ``done``; before it, the stream was cut off."""
        if self.done:
            return []
        raise interrupted(provider=self.provider, model=self.model, broken=broken, pending=pending,
                          before="its done event")
