"""Usage buckets from real responses, and the estimate for when there are none."""

from __future__ import annotations

from compat_helpers import recording
from modelplex_openai_compat import estimate, parse_usage, usage_from

from modelplex import Message, Usage


def test_openai_usage() -> None:
    assert parse_usage(recording("openai/01_chat_text").response["body"]) == Usage(input=24, output=8)


def test_cached_and_reasoning_tokens_are_their_own_buckets() -> None:
    raw = {"prompt_tokens": 100, "completion_tokens": 50,
           "prompt_tokens_details": {"cached_tokens": 60},
           "completion_tokens_details": {"reasoning_tokens": 30}}
    usage = usage_from(raw)
    assert usage == Usage(input=40, cache_read=60, output=20, reasoning=30)
    assert usage.total_input == 100 and usage.total_output == 50


def test_deepseek_cache_hit_tokens() -> None:
    assert usage_from({"prompt_tokens": 12, "completion_tokens": 1, "prompt_cache_hit_tokens": 8,
                       "prompt_cache_miss_tokens": 4}) == Usage(input=4, cache_read=8, output=1)
    body = recording("deepseek/03_reasoning_parallel_tool_calls").response["body"]
    assert parse_usage(body) == Usage(input=875, output=53, reasoning=26)


def test_groq_usage_in_x_groq() -> None:
    assert parse_usage({"x_groq": {"usage": {"prompt_tokens": 3, "completion_tokens": 2}}}) == (
        Usage(input=3, output=2))


def test_together_top_level_cached_tokens() -> None:
    body = recording("together/04_tool_call_deepseek_r1").response["body"]
    assert parse_usage(body) == Usage(input=19, output=29)


def test_more_cached_than_prompt_is_held_to_the_prompt() -> None:
    """azure/03 (xAI through Azure) reports 387 cached of 293 prompt tokens."""
    body = recording("azure/03_foundry_parallel_tool_calls").response["body"]
    usage = parse_usage(body)
    assert usage == Usage(input=0, cache_read=293, output=58)


def test_no_usage() -> None:
    assert parse_usage({"choices": []}) is None
    assert parse_usage({"usage": None}) is None


def test_estimate_is_about_four_characters_a_token_and_marked() -> None:
    usage = estimate([Message.user("x" * 40)], output_chars=9, reasoning_chars=4)
    assert usage == Usage(input=10, output=3, reasoning=1, estimated=True)
