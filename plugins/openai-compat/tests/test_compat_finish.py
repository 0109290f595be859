"""Finish reasons onto one set; unknown ones are ``other``."""

from __future__ import annotations

import pytest
from modelplex_openai_compat import map_finish_reason

from modelplex import FinishReason


@pytest.mark.parametrize(("raw", "reason"), [
    ("stop", FinishReason.STOP), ("length", FinishReason.LENGTH),
    ("tool_calls", FinishReason.TOOL_CALLS), ("function_call", FinishReason.TOOL_CALLS),
    ("content_filter", FinishReason.CONTENT_FILTER), ("model_length", FinishReason.LENGTH),
    ("insufficient_system_resource", FinishReason.ERROR), ("error", FinishReason.ERROR),
    ("STOP", FinishReason.STOP), ("something_new", FinishReason.OTHER), (None, FinishReason.OTHER),
])
def test_map(raw: str | None, reason: FinishReason) -> None:
    assert map_finish_reason(raw) is reason
