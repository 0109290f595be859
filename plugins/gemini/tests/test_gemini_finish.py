"""finishReason to FinishReason, with a warning where the reply was filtered or failed."""

from __future__ import annotations

import pytest
from modelplex_gemini.finish import FAILED, FILTERED, blocked, map_finish

from modelplex import FinishReason


def test_stop_is_tool_calls_when_the_reply_calls_functions() -> None:
    assert map_finish("STOP") == (FinishReason.STOP, None)
    assert map_finish("STOP", tool_calls=True) == (FinishReason.TOOL_CALLS, None)
    assert map_finish("MAX_TOKENS", tool_calls=True) == (FinishReason.LENGTH, None)


@pytest.mark.parametrize("raw", sorted(FILTERED))
def test_filters_are_content_filter_with_a_warning(raw: str) -> None:
    reason, warning = map_finish(raw, message="Response was blocked")
    assert reason is FinishReason.CONTENT_FILTER
    assert warning is not None and warning.code == "content-filtered" and raw in warning.message
    assert "Response was blocked" in warning.message


@pytest.mark.parametrize("raw", sorted(FAILED))
def test_failed_calls_are_errors_with_a_warning(raw: str) -> None:
    reason, warning = map_finish(raw)
    assert reason is FinishReason.ERROR and warning is not None and raw in warning.message


def test_the_filter_list_is_the_one_asked_for() -> None:
    assert {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"} <= FILTERED
    assert "MALFORMED_FUNCTION_CALL" in FAILED


@pytest.mark.parametrize("raw", ["OTHER", "LANGUAGE", "FINISH_REASON_UNSPECIFIED", "NO_IMAGE",
                                 "SOMETHING_NEW", None])
def test_everything_else_is_other(raw: str | None) -> None:
    assert map_finish(raw) == (FinishReason.OTHER, None)


def test_blocked_prompt_warning() -> None:
    warning = blocked("SAFETY", "unsafe")
    assert warning.code == "content-filtered" and warning.field == "prompt"
    assert "SAFETY" in warning.message and "unsafe" in warning.message
