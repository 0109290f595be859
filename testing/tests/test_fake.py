"""The scripted fake provider, through its entry point and the kit's fixtures."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

import modelplex
from modelplex import FinishReason, Usage
from modelplex.errors import (
    AuthenticationError,
    ConfigurationError,
    ContextLengthExceededError,
    RateLimitError,
    ServerError,
)


def test_the_entry_point_registers_fake(modelplex_isolated: Path) -> None:
    with modelplex.Client() as client:
        record = client.registry.records["fake"]
        assert (record.distribution, record.module) == ("modelplex-testing", "modelplex_testing.fake_plugin")
        assert client.chat("fake/echo", "ping").text == "echo: ping"


def test_turns_are_consumed_in_order_and_the_last_repeats(
        modelplex_fake: Callable[..., modelplex.Client]) -> None:
    client = modelplex_fake([{"text": "first"}, {"text": "second"}])
    assert [client.chat("fake/echo", "x").text for _ in range(3)] == ["first", "second", "second"]


@pytest.mark.parametrize(("error", "kind"), [
    ({"status": 429, "retry_after": 3}, RateLimitError),
    ({"status": 401}, AuthenticationError),
    ({"status": 503}, ServerError),
    ({"status": 400, "context_length": True}, ContextLengthExceededError),
])
def test_scripted_errors_map_to_the_tree(modelplex_fake: Callable[..., modelplex.Client],
                                         error: dict[str, object], kind: type[Exception]) -> None:
    client = modelplex_fake([{"error": {"message": "scripted", **error}}])
    with pytest.raises(kind, match="fake/echo: scripted") as info:
        client.chat("fake/echo", "x")
    if kind is RateLimitError:
        assert info.value.retry_after == 3  # type: ignore[attr-defined]


def test_a_script_file_from_the_environment(modelplex_isolated: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"text": "from file", "usage": {"input": 5, "output": 2}}]))
    monkeypatch.setenv("MODELPLEX_FAKE_SCRIPT", str(script))
    with modelplex.Client() as client:
        response = client.chat("fake/echo", "x")
    assert (response.text, response.usage) == ("from file", Usage(input=5, output=2))


def test_a_bad_script_is_a_clear_error(modelplex_fake: Callable[..., modelplex.Client]) -> None:
    client = modelplex.Client(plugins={}, autoload=True, config_file=False, env={},
                              providers={"fake": {"script": {"text": "not a list"}}})
    with client, pytest.raises(ConfigurationError, match="the script must be a list"):
        client.chat("fake/echo", "x")


def test_embeddings_are_deterministic_unit_vectors(modelplex_fake: Callable[..., modelplex.Client]) -> None:
    client = modelplex_fake()
    a = client.embed("fake/embedder", ["alpha", "beta"], dimensions=16)
    b = client.embed("fake/embedder", ["alpha"], dimensions=16)
    assert a.vectors[0] == b.vectors[0] != a.vectors[1]
    assert all(math.isclose(sum(v * v for v in vec), 1.0) for vec in a.vectors)
    assert {len(v) for v in a.vectors} == {16}


def test_streamed_tool_calls_arrive_in_fragments(modelplex_fake: Callable[..., modelplex.Client]) -> None:
    client = modelplex_fake([{"tool_calls": [{"id": "a", "name": "f", "arguments": {"x": 1}},
                                             {"id": "b", "name": "g", "arguments": {}}]}])
    with client.stream("fake/echo", "x") as stream:
        events = list(stream)
    deltas = [e for e in events if isinstance(e, modelplex.ToolCallDelta)]
    assert {d.index for d in deltas} == {0, 1}
    assert stream.response is not None
    assert [(c.id, c.name, dict(c.arguments)) for c in stream.response.tool_calls] == [
        ("a", "f", {"x": 1}), ("b", "g", {})]
    assert stream.response.finish_reason == FinishReason.TOOL_CALLS
