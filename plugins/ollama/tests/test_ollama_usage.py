"""Ollama's counts in buckets: ``prompt_eval_count`` is the input, ``eval_count`` the output (it
counts no cache and no thinking apart), for any counts a server sends (issue 12's property)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from modelplex_ollama.reply import usage_of

from modelplex_testing import usage_wire


@given(usage_wire.ollama())
def test_every_usage_object_reconciles(raw: dict[str, Any]) -> None:
    usage = usage_of(raw)
    assert usage_wire.problems(usage, [],
                               prompt_eval_count=(raw.get("prompt_eval_count"), [usage.total_input]),
                               eval_count=(raw.get("eval_count"), [usage.total_output])) == []
    assert usage.cache_read == usage.total_cache_write == usage.reasoning == 0
