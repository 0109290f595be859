"""The manager against recorded pull and delete exchanges, replayed."""

from __future__ import annotations

import asyncio
from typing import Any

from modelplex_ollama.manage import OllamaManager
from modelplex_ollama.records import PullProgress
from ollama_helpers import recording

from modelplex_testing.replay import Replayer


def _run(replayer: Replayer, work: Any) -> Any:
    async def go() -> Any:
        async with OllamaManager("localhost", transport=replayer.transport) as manager:
            return await work(manager)
    return asyncio.run(go())


async def _pull(manager: OllamaManager, model: str) -> list[PullProgress]:
    return [step async for step in manager.pull(model)]


def test_recorded_pulls_end_in_success() -> None:
    real = Replayer(recording("ollama/20_native_api_pull_stream"))
    steps = _run(real, lambda m: _pull(m, "gemma3:1b"))
    assert [s.layer for s in steps if s.digest] == ["7cd4618c1faf", "e0a42594d802", "dd084c7d92a3",
                                                     "3116c5225075", "120007c81bf8"]
    assert steps[1] == PullProgress(status="pulling 7cd4618c1faf", digest=steps[1].digest, total=815310432,
                                    completed=815310432)
    assert steps[-1].is_success and real.sent_json(0) == {"model": "gemma3:1b", "stream": True}
    assert str(real.sent[0].url) == "http://localhost:11434/api/pull"
    docs = Replayer(recording("ollama/07_api_pull_stream_docs"))
    statuses = [s.status for s in _run(docs, lambda m: _pull(m, "llama3.2"))]
    assert statuses == ["pulling manifest", "pulling digestname", "verifying sha256 digest",
                        "writing manifest", "removing any unused layers", "success"]


def test_a_recorded_delete() -> None:
    replayer = Replayer(recording("ollama/16_api_delete_docs"))
    assert _run(replayer, lambda m: m.delete("llama3:13b")) is None
    assert replayer.sent[0].method == "DELETE" and replayer.sent_json(0) == {"model": "llama3:13b"}
