"""usage_wire.py: the usage objects providers send, odd values included, and the check of a reading."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from modelplex import ProviderWarning, Usage
from modelplex_testing import usage_wire

KEYS = {
    usage_wire.chat_completions: {"prompt_tokens", "completion_tokens", "prompt_tokens_details",
                                  "completion_tokens_details", "prompt_cache_hit_tokens", "cost",
                                  "cost_in_usd_ticks", "is_byok", "cost_details", "total_tokens"},
    usage_wire.responses: {"input_tokens", "output_tokens", "input_tokens_details",
                           "output_tokens_details", "cost", "cost_in_usd_ticks", "total_tokens"},
    usage_wire.anthropic: {"input_tokens", "output_tokens", "cache_read_input_tokens",
                           "cache_creation_input_tokens", "cache_creation", "output_tokens_details"},
    usage_wire.gemini: {"promptTokenCount", "toolUsePromptTokenCount", "candidatesTokenCount",
                        "thoughtsTokenCount", "cachedContentTokenCount", "totalTokenCount"},
    usage_wire.ollama: {"prompt_eval_count", "eval_count"},
}


def test_is_count_takes_non_negative_integers_only() -> None:
    assert usage_wire.is_count(0) and usage_wire.is_count(7)
    assert not any(usage_wire.is_count(v) for v in (-1, True, 1.0, "3", None))


@pytest.mark.parametrize("strategy", list(KEYS), ids=lambda s: s.__name__)
# Generation, not the check, is what takes time here; under coverage on a busy machine it can pass
# Hypothesis's too_slow limit, which says nothing about the strategies.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_objects_hold_only_the_format_s_keys(strategy: Any, data: st.DataObject) -> None:
    raw = data.draw(strategy())
    assert isinstance(raw, dict) and set(raw) <= KEYS[strategy]


@pytest.mark.parametrize("strategy", list(KEYS), ids=lambda s: s.__name__)
def test_odd_values_and_missing_keys_are_drawn(strategy: Any) -> None:
    def odd(raw: dict[str, Any]) -> bool:
        return any(not usage_wire.is_count(v) and not isinstance(v, dict) for v in raw.values())

    # The first one found, not shrunk (shrinking is what takes the time).
    first = settings(phases=[Phase.generate], database=None, suppress_health_check=[HealthCheck.too_slow])
    assert len(find(strategy(), lambda raw: len(raw) < len(KEYS[strategy]), settings=first)) < len(
        KEYS[strategy])
    assert odd(find(strategy(), odd, settings=first))


def test_problems_names_negative_buckets_and_unexplained_totals() -> None:
    usage = Usage(input=10, output=5)
    assert usage_wire.problems(usage, [], total_tokens=(15, [15])) == []
    assert usage_wire.problems(usage, [], total_tokens=(16, [15, 20])) == [
        "total_tokens = 16 is none of [15, 20], and no warning says why"]
    warned = [ProviderWarning(code="usage-mismatch", message="total is neither")]
    assert usage_wire.problems(usage, warned, total_tokens=(16, [15])) == []
    assert usage_wire.problems(usage, [], total_tokens=("16", [15])) == []  # not a count: nothing to match
    assert usage_wire.problems(Usage(input=-1, output=5), []) == ["input = -1 < 0"]
    assert usage_wire.problems(Usage(reported_cost=Decimal("-0.5")), []) == ["reported_cost = -0.5 < 0"]
