"""The bucket-to-attribute mapping, for any usage: the conventions' inclusive totals are the sums of our
disjoint buckets, and the detail attributes are there exactly when nonzero, in the latest names only."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from modelplex_otel.semconv import LATEST, LEGACY, bucket_attributes, usage_attributes

from modelplex import Usage

counts = st.integers(min_value=0, max_value=10**9)
usages = st.builds(Usage, input=counts, cache_read=counts, cache_write=counts, cache_write_1h=counts,
                   output=counts, reasoning=counts, estimated=st.booleans())


@given(usages)
def test_latest_totals_are_inclusive_and_details_present_iff_nonzero(usage: Usage) -> None:
    found = usage_attributes(usage, LATEST)
    assert found["gen_ai.usage.input_tokens"] == (usage.input + usage.cache_read + usage.cache_write
                                                  + usage.cache_write_1h)
    assert found["gen_ai.usage.output_tokens"] == usage.output + usage.reasoning
    details = {"gen_ai.usage.cache_read.input_tokens": usage.cache_read,
               "gen_ai.usage.cache_creation.input_tokens": usage.cache_write + usage.cache_write_1h,
               "gen_ai.usage.reasoning.output_tokens": usage.reasoning}
    for key, value in details.items():
        assert found.get(key) == (value or None), key
    # Each detail lies inside its total, as the conventions say it SHOULD.
    assert found.get("gen_ai.usage.cache_read.input_tokens", 0) \
        + found.get("gen_ai.usage.cache_creation.input_tokens", 0) <= found["gen_ai.usage.input_tokens"]
    assert found.get("gen_ai.usage.reasoning.output_tokens", 0) <= found["gen_ai.usage.output_tokens"]
    assert set(found) <= {"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", *details}


@given(usages)
def test_legacy_names_have_the_same_totals_and_no_details(usage: Usage) -> None:
    assert usage_attributes(usage, LEGACY) == {"gen_ai.usage.input_tokens": usage.total_input,
                                               "gen_ai.usage.output_tokens": usage.total_output}


@given(usages)
def test_our_buckets_give_the_usage_back(usage: Usage) -> None:
    found = bucket_attributes(usage)
    assert all(found.values())  # a zero bucket (or false estimated) is left out
    fields: dict[str, Any] = {k.removeprefix("modelplex.usage."): v for k, v in found.items()}
    assert Usage(**fields) == usage


def test_provider_values_are_the_conventions_well_known_ones_under_either_key() -> None:
    for names in (LATEST, LEGACY):
        ours = ("openai", "anthropic", "gemini", "azure", "mistral", "xai", "groq", "openrouter")
        assert [names.provider(p) for p in ours] == ["openai", "anthropic", "gcp.gemini", "azure.ai.openai",
                                                     "mistral_ai", "x_ai", "groq", "openrouter"]
    assert (LATEST.provider_key, LEGACY.provider_key) == ("gen_ai.provider.name", "gen_ai.system")
