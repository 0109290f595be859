"""The bundled model table and ``/v1/models`` entries as ModelInfo."""

from __future__ import annotations

import pytest
from modelplex_anthropic.models import KNOWN_MODELS, known, model_info


@pytest.mark.parametrize(("model", "entry"), [
    ("claude-sonnet-4-5", "claude-sonnet-4-5"), ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("claude-opus-4-1-20250805", "claude-opus-4-1"), ("claude-opus-4-20250514", "claude-opus-4"),
    ("claude-opus-4-0", "claude-opus-4"), ("claude-sonnet-4-0", "claude-sonnet-4"),
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"), ("claude-3-5-haiku-20241022", "claude-3-5-haiku"),
    ("claude-haiku-4-5-20251001", "claude-haiku-4-5")])
def test_ids_aliases_and_snapshots(model: str, entry: str) -> None:
    assert known(model) is KNOWN_MODELS[entry]


@pytest.mark.parametrize("model", ["claude-sonet-4-5", "gpt-4o", "claude-opus-45", "claude"])
def test_unknown_models(model: str) -> None:
    assert known(model) is None


def test_the_table_is_sane() -> None:
    for key, entry in KNOWN_MODELS.items():
        assert key.startswith("claude-") and entry.name.startswith("Claude ")
        assert 4096 <= entry.max_output < entry.context_window


def test_model_info_from_a_listing() -> None:
    info = model_info("anthropic", {"type": "model", "id": "claude-haiku-4-5-20251001",
                                    "display_name": "Claude Haiku 4.5", "created_at": "2025-10-01T00:00:00Z"})
    assert info is not None
    assert (info.address, info.name, info.context_window, info.max_output) == (
        "anthropic/claude-haiku-4-5-20251001", "Claude Haiku 4.5", 200_000, 64_000)
    assert info.capabilities.reasoning is True and info.capabilities.embeddings is False
    listed = model_info("anthropic", {"id": "claude-new-1", "max_input_tokens": 500_000,
                                      "max_tokens": 90_000})
    assert listed is not None and (listed.context_window, listed.max_output, listed.name) == (
        500_000, 90_000, None)
    assert listed.capabilities.reasoning is None
    assert model_info("anthropic", {"display_name": "no id"}) is None
