"""The ``otel`` plugin (entry point ``otel = "modelplex_otel.plugin:PLUGIN"``): a plugin of the call
lifecycle alone. Importing it imports no OpenTelemetry; :mod:`modelplex_otel.telemetry` is loaded on
the first call heard, with the settings of the environment at that moment.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:
    from modelplex import AttemptInfo, CallInfo, CallOutcome
    from modelplex_otel.telemetry import Telemetry


class _Globals:
    """OpenTelemetry's global providers, checked on every call: while neither has been set (the API's
    proxies, no SDK configured) spans and instruments would be no-ops that still cost 5-17 µs a call to
    make, so the hooks return at once. An SDK set up after the client was made is seen at its next call.

    The check reads the API's two module globals (about 0.1 µs); the public getters cost several times
    that per call, as each looks up an environment variable. They are called once here, which loads a
    provider named by ``OTEL_PYTHON_TRACER_PROVIDER``/``OTEL_PYTHON_METER_PROVIDER`` into those globals,
    and on every call should an API version lack them."""

    __slots__ = ("meters", "proxies", "trace")

    def __init__(self) -> None:
        from opentelemetry import metrics, trace
        from opentelemetry.metrics import _internal

        self.trace, self.meters = trace, _internal
        trace.get_tracer_provider()
        metrics.get_meter_provider()
        self.proxies = not (hasattr(trace, "_TRACER_PROVIDER") and hasattr(_internal, "_METER_PROVIDER"))

    def configured(self) -> bool:
        """Whether a tracer or meter provider has been set globally."""
        if not self.proxies:
            return self.trace._TRACER_PROVIDER is not None or self.meters._METER_PROVIDER is not None
        meters = self.meters
        return (not isinstance(self.trace.get_tracer_provider(), self.trace.ProxyTracerProvider)
                or meters.get_meter_provider() is not getattr(meters, "_PROXY_METER_PROVIDER", None))


class OtelPlugin:
    """A client span per call (chat, stream, embedding) and the GenAI client metrics, by the GenAI
    semantic conventions. ``tracer_provider`` and ``meter_provider`` default to the global ones
    (OpenTelemetry's proxies: set them before or after, either works); ``env`` to ``os.environ``.
    ``attempts``: a child span for each model tried (a chain's fallbacks, retries), ended with how that
    attempt went; off by default, as it makes every attempt pay for a hook and a reservation."""

    def __init__(self, *, tracer_provider: Any = None, meter_provider: Any = None,
                 env: Mapping[str, str] | None = None, attempts: bool = False) -> None:
        self._providers = (tracer_provider, meter_provider)
        # Providers given are always used; else the global ones, checked per call (see _Globals).
        self._given = tracer_provider is not None or meter_provider is not None
        self._globals: _Globals | None = None
        self._env = env
        self._telemetry: Telemetry | None = None
        self._lock = threading.Lock()
        # The span of each call between its two hooks. By id: a CallInfo is not hashable (its tags are a
        # dict), and the entry keeps it alive, so the id is not reused before after_call removes it.
        self._spans: dict[int, Any] = {}
        if attempts:
            # An instance attribute, so that pluggy finds the hook on this plugin alone: a client whose
            # otel plugin makes no attempt spans is not asked about attempts at all.
            def modelplex_before_attempt(call: CallInfo, attempt: AttemptInfo) -> Any:
                return self._before_attempt(call, attempt)

            self.modelplex_before_attempt = hookimpl(modelplex_before_attempt)

    def _before_attempt(self, call: CallInfo, attempt: AttemptInfo) -> Any:
        """A child span of the call's span for ``attempt``, ended by the reservation returned."""
        entry = self._spans.get(id(call))
        if entry is None:
            return None
        return self.telemetry.attempt(call, attempt, entry[1])

    def _idle(self) -> bool:
        """No provider given and none set globally: nothing would be recorded."""
        if self._given:
            return False
        globals_ = self._globals
        if globals_ is None:
            globals_ = self._globals = _Globals()
        return not globals_.configured()

    @property
    def telemetry(self) -> Telemetry:
        """The tracer and instruments, made on first use."""
        telemetry = self._telemetry
        if telemetry is None:
            with self._lock:
                if self._telemetry is None:
                    from modelplex_otel.settings import Settings
                    from modelplex_otel.telemetry import Telemetry

                    self._telemetry = Telemetry(Settings.from_env(self._env), *self._providers)
                telemetry = self._telemetry
        return telemetry

    @hookimpl
    def modelplex_before_call(self, call: CallInfo) -> None:
        """Start the call's span under the current context; admit everything."""
        if self._idle():
            return
        span = self.telemetry.start(call)
        if span is not None:
            self._spans[id(call)] = (call, span)

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """End the call's span and record its metrics. A call refused by an admitter called before this
        plugin's ``before_call`` has no span yet: it is made now, from the call's start."""
        entry = self._spans.pop(id(call), None)
        if entry is None and self._idle():
            return
        telemetry = self.telemetry
        span = entry[1] if entry is not None else telemetry.start(call)
        if span is not None:
            telemetry.finish(call, outcome, span)


PLUGIN = OtelPlugin()
