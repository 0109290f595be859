"""Profiles: defaults, validation, and the user's per-provider ``profile`` table."""

from __future__ import annotations

import pytest
from modelplex_openai_compat import Profile

from modelplex.errors import ConfigurationError


def test_defaults_describe_openai() -> None:
    p = Profile()
    assert p.supports_tool_choice_required and p.stream_usage and not p.think_tags
    assert p.reasoning_field == "reasoning_content" and p.max_tool_name_length == 64


def test_updated_from_a_config_table() -> None:
    p = Profile().updated({"think_tags": True, "reasoning_fields": ["reasoning"],
                           "max_tool_name_length": 40, "unsupported_options": ["seed"]})
    assert p.think_tags and p.reasoning_fields == ("reasoning",) and p.max_tool_name_length == 40
    assert p.unsupported_options == frozenset({"seed"})
    assert Profile(reasoning_fields="reasoning").reasoning_fields == ("reasoning",)
    assert Profile().reasoning_in_completion is None  # decided from each reply's totals
    assert Profile().updated({"reasoning_in_completion": False}).reasoning_in_completion is False


@pytest.mark.parametrize(("table", "message"), [
    ({"think_tag": True}, "unknown profile flag 'think_tag'"),
    ({"think_tags": "yes"}, "must be true or false"),
    ({"max_tool_name_length": True}, "must be an integer"),
    ({"max_tokens_field": 3}, "must be a string"),
    ({"reasoning_fields": [1]}, "must be a list of strings"),
    ({"unsupported_options": ["colour"]}, "unknown option"),
    ({"embedding_batch_size": 0}, ">= 1"),
    ({"reasoning_in_completion": "no"}, "must be true or false"),
    ("think_tags", "must be a table"),
])
def test_bad_tables_are_configuration_errors(table: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        Profile().updated(table, provider="lmstudio")  # type: ignore[arg-type]
    assert "lmstudio" in str(info.value)
