"""What a skip of the contract says: the capability flag a plugin does not declare, a scenario not yet
recorded (and where to learn how), or why none can exist; never a bare "does not declare this capability"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelplex_testing import ProviderContract


class _Kit(ProviderContract):
    provider = "fake"
    fixtures = Path(__file__).parent / "fixtures"


def skip_reason(test: Callable[[], None]) -> str:
    with pytest.raises(pytest.skip.Exception) as info:
        test()
    return str(info.value.msg)


@pytest.mark.parametrize(("test", "flag"), [
    ("test_chat_reasoning", "supports_reasoning"),
    ("test_stream_text", "supports_streaming"),
    ("test_stream_parallel_tool_calls", "supports_streaming"),
    ("test_stream_chunk_boundaries_do_not_matter", "supports_streaming"),
    ("test_embeddings", "supports_embeddings"),
    ("test_list_models", "supports_list_models"),
])
def test_a_flag_left_off_is_named(test: str, flag: str) -> None:
    assert skip_reason(getattr(_Kit(), test)) == f"fake does not declare {flag}"


def test_of_two_flags_the_one_off_is_named() -> None:
    class Streams(_Kit):
        supports_streaming = True

    assert skip_reason(Streams().test_stream_tool_call) == "fake does not declare supports_tools"


def test_a_missing_scenario_says_how_to_supply_it() -> None:
    assert skip_reason(_Kit().test_chat_text) == (
        "no 'chat_text' scenario given for fake (record one: docs/contract-kit.md)")


def test_an_unavailable_scenario_gives_its_reason() -> None:
    class Lacking(_Kit):
        supports_streaming = True
        unavailable = {"chat_text": "the server has no chat", "stream": "no stream was ever recorded",
                       "errors": "the server never fails"}

    kit = Lacking()
    assert skip_reason(kit.test_chat_text) == (
        "no 'chat_text' scenario for fake (unavailable: the server has no chat)")
    assert skip_reason(kit.test_stream_cut_short_raises_after_delivered_events) == (
        "no stream scenario for fake (unavailable: no stream was ever recorded)")
    assert skip_reason(kit.test_errors_map_to_the_tree) == (
        "no error scenario for fake (unavailable: the server never fails)")


def test_a_scenario_both_given_and_unavailable_fails() -> None:
    from modelplex_testing import Scenario

    class Both(_Kit):
        scenarios = {"chat_text": Scenario(recording="01_chat_text")}
        unavailable = {"chat_text": "no such thing"}

    with pytest.raises(pytest.fail.Exception, match="both given and declared unavailable"):
        Both().test_chat_text()
