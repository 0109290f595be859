"""Agents and task routes on the wire: the Groq plugin (chat completions) against a scripted loopback
server, a config file per test, and a home of its own (no user key store, config or state is read)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelplex_testing import Reply, ScriptedServer, serving
from modelplex_testing.compat_server import chunk

KEY = "gsk_AgentsTest0123456789abcdef"
COMPLETION = {"id": "c1", "object": "chat.completion", "model": "served",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                           "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("MODELPLEX_") or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODELPLEX_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "config" / "modelplex"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """Answers every chat with a JSON completion."""
    with serving(lambda: ScriptedServer([Reply.json(COMPLETION)])) as start:
        yield start()


@pytest.fixture
def streamer() -> Iterator[ScriptedServer]:
    """Answers every chat with a short SSE stream (what ``modelplex chat`` asks for)."""
    reply = Reply.stream([chunk(content="ok"), chunk(finish="stop")])
    with serving(lambda: ScriptedServer([reply])) as start:
        yield start()


@pytest.fixture
def config(home: Path) -> Callable[[str], Path]:
    """Writes the config file (at the default location) and gives its path."""
    def write(text: str) -> Path:
        home.mkdir(parents=True, exist_ok=True)
        path = home / "config.toml"
        path.write_text(text)
        return path
    return write


def wire_env(server: ScriptedServer) -> dict[str, str]:
    """The environment of a client that reaches Groq at ``server`` with a key."""
    return {"GROQ_API_KEY": KEY, "GROQ_BASE_URL": server.url}
