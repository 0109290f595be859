"""Every stop_reason Anthropic documents maps onto a canonical finish reason."""

from __future__ import annotations

import pytest
from modelplex_anthropic.finish import map_stop_reason

from modelplex import FinishReason


@pytest.mark.parametrize(("raw", "reason"), [
    ("end_turn", FinishReason.STOP), ("stop_sequence", FinishReason.STOP),
    ("max_tokens", FinishReason.LENGTH), ("model_context_window_exceeded", FinishReason.LENGTH),
    ("tool_use", FinishReason.TOOL_CALLS), ("refusal", FinishReason.CONTENT_FILTER),
    ("pause_turn", FinishReason.OTHER), ("something_new", FinishReason.OTHER), (None, FinishReason.OTHER),
    ("END_TURN", FinishReason.OTHER)])
def test_stop_reasons(raw: str | None, reason: FinishReason) -> None:
    assert map_stop_reason(raw) is reason
