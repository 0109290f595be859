"""The shipped catalog: well formed, honest sizes, search and size look-up."""

from __future__ import annotations

import pytest
from modelplex_ollama.catalog import catalog, known_size, parse_size, search, split_name
from modelplex_ollama.display import ago, human_bytes, human_duration, short_digest, table


def test_the_catalog_is_well_formed() -> None:
    models = catalog()
    assert 30 <= len(models) <= 50
    assert len({m.name for m in models}) == len(models)
    for m in models:
        assert m.default in m.tags and m.description and all(size > 0 for size in m.tags.values())
        assert set(m.capabilities) <= {"tools", "vision", "thinking", "embedding"}


def test_sizes_match_what_ollama_downloads() -> None:
    # The recorded pull of gemma3:1b (fixtures/ollama/20_native_api_pull_stream.json): 815,310,432 bytes
    # of weights and ~9 KB of template, licence and parameters.
    assert known_size("gemma3:1b") == 815_000_000
    assert known_size("llama3.2") == known_size("llama3.2:latest") == known_size("library/llama3.2:3b")
    assert known_size("llama3.2:3b-instruct-q8_0") is None and known_size("no-such-model") is None
    assert parse_size("2.0 GB") == 2_000_000_000 and parse_size("46 MB") == 46_000_000
    with pytest.raises(ValueError, match="not a size"):
        parse_size("big")
    assert split_name("registry.ollama.ai/library/Qwen3:8b") == ("qwen3", "8b")


def test_search_by_name_words_and_capability() -> None:
    assert search("llama3.2")[0].name == "llama3.2"
    assert {m.name for m in search("thinking")} >= {"qwen3", "deepseek-r1", "gpt-oss"}
    assert all("vision" in m.capabilities or "vision" in m.description.lower() for m in search("vision"))
    assert [m.name for m in search("embedding multilingual")] == ["bge-m3"]
    assert search("zzzz") == []


def test_display_helpers() -> None:
    assert [human_bytes(n) for n in (358, 8432, 815310432, 2019393189, 43e9, None)] == [
        "358 B", "8.4 KB", "815 MB", "2.0 GB", "43 GB", "-"]
    assert [human_duration(s) for s in (5, 65, 3725, None)] == ["5s", "1m05s", "1h02m", "-"]
    assert ago("2000-01-01T00:00:00Z").endswith("years ago") and ago("") == "-" and ago("junk") == "junk"
    assert short_digest("sha256:0123456789abcdef") == "0123456789ab"
    assert table(["A", "BB"], [["xyz", "1"]]) == ["A     BB", "xyz   1"]
