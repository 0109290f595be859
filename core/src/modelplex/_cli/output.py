"""How things are shown: JSON documents, aligned tables, and a chat reply as it streams in."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from decimal import Decimal

    from modelplex import ChatResponse, Cost, ProviderWarning, StreamEvent, ToolCallPart

REASONING_PREFIX = "[reasoning] "
_QUIET_FINISH = frozenset({"stop", "tool_calls"})


def error_message(exc: BaseException) -> str:
    """One line for any error the command reports."""
    from modelplex import ModelplexError
    from modelplex.errors import RateLimitError

    if isinstance(exc, ModelplexError):
        message = exc.message
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            message += f"; retry after {exc.retry_after:g}s"
    elif isinstance(exc, click.ClickException):
        message = exc.format_message()
    elif isinstance(exc, OSError) and exc.strerror:
        message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    else:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(message.split()) or type(exc).__name__


def _plain(value: object) -> Any:
    """``json.dumps`` fallback for the read-only mappings and tuples the public types hold."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_plain))


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())


def response_json(response: ChatResponse) -> dict[str, Any]:
    """The one object ``chat --json`` prints: a stable shape, independent of the provider."""
    usage = response.usage
    return {
        "provider": response.provider,
        "model": response.model,
        "text": response.text,
        "reasoning": response.reasoning,
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": dict(c.arguments)}
                       for c in response.tool_calls],
        "usage": {"input": usage.input, "cache_read": usage.cache_read,
                  "cache_write": usage.cache_write, "cache_write_1h": usage.cache_write_1h,
                  "output": usage.output, "reasoning": usage.reasoning,
                  "reported_cost": None if usage.reported_cost is None else str(usage.reported_cost)},
        "finish_reason": response.finish_reason.value,
        "warnings": [{"code": w.code, "message": w.message, "field": w.field}
                     for w in response.warnings],
        "cost": cost_json(response.cost),
    }


def cost_json(cost: Cost | None) -> dict[str, Any] | None:
    """A cost as ``--json`` shows it: US dollars per bucket and in total as strings (a JSON number would
    be read back as a float), ``null`` where unknown."""
    if cost is None:
        return None
    from modelplex._catalog.cost import BUCKETS

    def money(value: Decimal | None) -> str | None:
        # Fixed-point: str() writes a tenth of a micro-dollar as 1E-7.
        return None if value is None else format(value, "f")

    return {**{name: money(getattr(cost, name)) for name in BUCKETS}, "total": money(cost.total),
            "status": cost.status, "price_version": cost.price_version, "reported": money(cost.reported),
            "partial": cost.partial, "currency": cost.currency}


def format_tool_call(call: ToolCallPart) -> str:
    if call.raw_arguments is not None:
        args = call.raw_arguments
    else:
        args = json.dumps(dict(call.arguments), ensure_ascii=False, default=_plain)
    return f"tool call: {call.name} {args} (id {call.id})"


class ReplyPrinter:
    """Writes a reply for people: the answer on stdout, reasoning dimmed on stderr, then tool calls.

    stdout carries the answer only (and the tool calls after it), so
    ``modelplex chat ... > out.txt`` keeps exactly the reply.
    """

    def __init__(self) -> None:
        self._text_open = False  # stdout holds text not yet ended by a newline
        self._reasoning_open = False
        self._calls: list[ToolCallPart] = []
        self._warnings: list[ProviderWarning] = []

    # -- pieces ----------------------------------------------------------------------------------
    def text(self, text: str) -> None:
        if not text:
            return
        self._end_reasoning()
        click.echo(text, nl=False)
        self._text_open = not text.endswith("\n")

    def reasoning(self, text: str) -> None:
        if not text:
            return
        if not self._reasoning_open:
            if self._text_open:  # reasoning after some text: keep stdout's line intact
                click.echo()
                self._text_open = False
            click.echo(click.style(REASONING_PREFIX, dim=True), nl=False, err=True)
            self._reasoning_open = True
        click.echo(click.style(text, dim=True), nl=False, err=True)

    def _end_reasoning(self) -> None:
        if self._reasoning_open:
            click.echo(err=True)
            self._reasoning_open = False

    # -- whole events and responses --------------------------------------------------------------
    def event(self, event: StreamEvent) -> None:
        from modelplex import ReasoningDelta, TextDelta, ToolCallEnded, WarningRaised

        if isinstance(event, TextDelta):
            self.text(event.text)
        elif isinstance(event, ReasoningDelta):
            self.reasoning(event.text)
        elif isinstance(event, ToolCallEnded):
            self._calls.append(event.call)
        elif isinstance(event, WarningRaised):
            self._warnings.append(event.warning)

    def response(self, response: ChatResponse) -> None:
        """Show a complete (not streamed) reply."""
        self.reasoning(response.reasoning)
        self.text(response.text)
        self.finish(response)

    def finish(self, response: ChatResponse | None = None) -> None:
        """End the reply: close open lines, list the tool calls, warnings and an unusual finish.

        Called with no response when the reply broke off: what arrived stays shown.
        """
        if response is not None:  # the assembled reply also holds calls whose end was never marked
            self._calls = list(response.tool_calls)
            self._warnings = list(response.warnings)
        self._end_reasoning()
        if self._text_open:
            click.echo()
            self._text_open = False
        for call in self._calls:
            click.echo(format_tool_call(call))
        self._calls = []
        for warning in self._warnings:
            where = f" ({warning.field})" if warning.field else ""
            click.echo(f"warning: {warning.message}{where} [{warning.code}]", err=True)
        self._warnings = []
        if response is not None and response.finish_reason.value not in _QUIET_FINISH:
            click.echo(f"note: finish reason: {response.finish_reason.value}", err=True)
