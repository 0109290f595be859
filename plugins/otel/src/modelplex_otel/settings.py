"""The standard OpenTelemetry environment settings the plugin obeys. Pure: no OpenTelemetry."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from modelplex_otel.semconv import LATEST, LEGACY, Names

OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
# ``true`` is the v1.36.0 instrumentations' value; the others the latest experimental ones'. Content
# goes on the span: the plugin emits no events (EVENT_ONLY captures nothing here).
_SPAN_CAPTURE = frozenset({"true", "span_only", "span_and_event"})


@attrs.frozen(kw_only=True)
class Settings:
    """``names``: the conventions' version to emit; ``capture``: whether messages go on the span."""

    names: Names
    capture: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``OTEL_SEMCONV_STABILITY_OPT_IN`` (a comma-separated list) and the content-capture
        setting from ``env`` (the process environment by default)."""
        env = os.environ if env is None else env
        opted = {part.strip() for part in env.get(OPT_IN, "").split(",")}
        capture = env.get(CAPTURE, "").strip().lower() in _SPAN_CAPTURE
        return cls(names=LATEST if "gen_ai_latest_experimental" in opted else LEGACY, capture=capture)
