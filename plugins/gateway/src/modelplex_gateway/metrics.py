"""The gateway's metrics in Prometheus' text format, written by hand.

A small writer rather than ``prometheus_client``: that library took 150-270 ms to import on the
development machine (the whole gateway's web layer takes about as much), registers process collectors
nobody asked for, and needs a shared directory for ``--workers N``; the gateway needs counters and
fixed-bucket histograms with labels, which fit on this page. Every worker process keeps its own figures
(its ``/metrics`` names its pid in a comment); no key material is ever a label.

Calls are counted from the call lifecycle (:meth:`Metrics.call`, from the observer the application
registers on its client, :func:`modelplex_gateway.plugin.observe`):
the model that answered, its time to first token, tokens and cost, for every call the gateway makes.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelplex import CallInfo, CallOutcome

# Seconds: from the gateway's own sub-millisecond overhead to minutes-long streams.
OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels, extra: str = "") -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    if extra:
        inner = f"{inner},{extra}" if inner else extra
    return f"{{{inner}}}" if inner else ""


class Counter:
    """A sum per label set that only grows: counts, and money as ``Decimal`` (exact)."""

    def __init__(self, name: str, help: str) -> None:
        self.name, self.help = name, help
        self.values: dict[Labels, int | Decimal] = {}

    def add(self, labels: Labels, amount: int | Decimal = 1) -> None:
        """Add ``amount`` to the series ``labels``."""
        self.values[labels] = self.values.get(labels, 0) + amount

    def render(self) -> Iterable[str]:
        """The series as exposition lines."""
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in self.values.items():
            yield f"{self.name}{_labels(labels)} {value}"


class Histogram:
    """Observations counted into fixed buckets per label set."""

    def __init__(self, name: str, help: str, buckets: tuple[float, ...]) -> None:
        self.name, self.help, self.buckets = name, help, buckets
        self.series: dict[Labels, list[float]] = {}  # bucket counts..., +Inf count, sum

    def observe(self, labels: Labels, value: float) -> None:
        """Count ``value`` in the series ``labels``."""
        row = self.series.get(labels)
        if row is None:
            row = self.series[labels] = [0.0] * (len(self.buckets) + 2)
        row[bisect.bisect_left(self.buckets, value)] += 1
        row[-1] += value

    def render(self) -> Iterable[str]:
        """The series as exposition lines (cumulative buckets, ``_sum``, ``_count``)."""
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, row in self.series.items():
            running = 0.0
            for bound, count in zip((*self.buckets, float("inf")), row[:-1], strict=True):
                running += count
                le = 'le="+Inf"' if bound == float("inf") else f'le="{bound!r}"'
                yield f"{self.name}_bucket{_labels(labels, le)} {int(running)}"
            yield f"{self.name}_sum{_labels(labels)} {row[-1]!r}"
            yield f"{self.name}_count{_labels(labels)} {int(running)}"


class Metrics:
    """Everything ``GET /metrics`` shows, for this worker process."""

    def __init__(self) -> None:
        p = "modelplex_gateway_"
        self.requests = Counter(f"{p}requests_total", "HTTP requests served, by route, method and status.")
        self.errors = Counter(f"{p}errors_total", "Requests answered with an error, by route and code.")
        self.latency = Histogram(f"{p}request_duration_seconds", "Whole request time, by route.",
                                 LATENCY_BUCKETS)
        self.overhead = Histogram(f"{p}overhead_seconds",
                                  "Time in the gateway less the time waiting on the upstream, by route.",
                                  OVERHEAD_BUCKETS)
        self.ttft = Histogram(f"{p}time_to_first_token_seconds",
                              "Streamed calls: time to the first content event, by provider and model.",
                              LATENCY_BUCKETS)
        self.call_latency = Histogram(f"{p}call_duration_seconds",
                                      "Calls through the client library, by provider and model.",
                                      LATENCY_BUCKETS)
        self.tokens = Counter(f"{p}tokens_total", "Tokens by provider, model and kind.")
        self.cost = Counter(f"{p}cost_usd_total", "What calls cost (where known), by provider and model.")
        self.calls = Counter(f"{p}calls_total", "Calls by provider, model and outcome.")
        self.pid = str(os.getpid())

    def request(self, route: str, method: str, status: int, overhead: float, total: float) -> None:
        """One HTTP request ended."""
        self.requests.add((("route", route), ("method", method), ("status", str(status))))
        self.latency.observe((("route", route),), total)
        self.overhead.observe((("route", route),), overhead)

    def error(self, route: str, code: str | None) -> None:
        """A request was answered with an error ``code``."""
        self.errors.add((("route", route), ("code", code or "none")))

    def call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """One call through the client library ended: by the model that answered (a chain's choice),
        else the one asked for."""
        if call.kind == "list_models":
            return
        key = (("provider", outcome.provider or call.provider), ("model", outcome.model or call.model or ""))
        self.calls.add((*key, ("outcome", outcome.status)))
        self.call_latency.observe(key, outcome.duration)
        if outcome.time_to_first_token is not None:
            self.ttft.observe(key, outcome.time_to_first_token)
        usage = outcome.usage
        if usage is not None:
            for kind in ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning"):
                count = getattr(usage, kind)
                if count:
                    self.tokens.add((*key, ("kind", kind)), count)
        total = outcome.cost.total if outcome.cost is not None else None
        if total is not None:
            self.cost.add(key, total)

    def render(self) -> str:
        """The exposition text."""
        lines = [f'# worker pid="{self.pid}"']
        for metric in (self.requests, self.errors, self.latency, self.overhead, self.call_latency,
                       self.ttft, self.calls, self.tokens, self.cost):
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"


#: This process's metrics, once an application has been created (the lifecycle hook records into it).
ACTIVE: Metrics | None = None


def process_metrics() -> Metrics:
    """The metrics of this process, made on first use: every application in it shares them."""
    global ACTIVE
    if ACTIVE is None:
        ACTIVE = Metrics()
    return ACTIVE
