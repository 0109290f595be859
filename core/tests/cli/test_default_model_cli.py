"""``modelplex models default`` and the last used model (issue 16, item 2): ``modelplex chat "hi"``
without ``-m`` uses the default model, else the model the last chat used, else asks for ``-m``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli
from modelplex_testing import Reply, ScriptedServer, serving
from modelplex_testing.compat_server import chunk


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("MODELPLEX_") or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GROQ_API_KEY", "gsk_DefaultModelTest0123456789")
    return tmp_path / "config" / "modelplex"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    reply = Reply.stream([chunk(content="pong"), chunk(finish="stop")])
    with serving(lambda: ScriptedServer([reply])) as start:
        started = start()
        monkeypatch.setenv("GROQ_BASE_URL", started.url)
        yield started


def run(args: Sequence[str]) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_without_a_default_or_a_last_model_chat_asks_for_one() -> None:
    result = run(["chat", "hi"])
    assert result.exit_code == 2
    assert "pass -m/--model PROVIDER/MODEL, or set a default with 'modelplex models default" in result.stderr


def test_the_default_model_is_saved_shown_and_used(home: Path, server: ScriptedServer) -> None:
    saved = run(["models", "default", "groq/llama-3.3-70b-versatile"])
    assert saved.exit_code == 0, saved.output
    assert (home / "config.toml").read_text() == 'default_model = "groq/llama-3.3-70b-versatile"\n'
    shown = run(["models", "default"])
    assert shown.stdout == f"groq/llama-3.3-70b-versatile (default_model in {home / 'config.toml'})\n"
    assert run(["chat", "hi"]).stdout.strip() == "pong"
    assert server.requests[-1].json["model"] == "llama-3.3-70b-versatile"


def test_the_last_used_model_is_the_fallback_and_the_default_wins_over_it(home: Path,
                                                                          server: ScriptedServer) -> None:
    assert run(["chat", "-m", "groq/llama-3.1-8b-instant", "hi"]).exit_code == 0
    assert run(["chat", "hi again"]).exit_code == 0
    assert server.requests[-1].json["model"] == "llama-3.1-8b-instant"
    assert json.loads(run(["models", "default", "--json"]).stdout) == {
        "default_model": None, "last_used": "groq/llama-3.1-8b-instant"}
    run(["models", "default", "groq/llama-3.3-70b-versatile"])
    run(["chat", "hi"])
    assert server.requests[-1].json["model"] == "llama-3.3-70b-versatile"
    assert run(["models", "default", "--unset"]).stdout == "default model removed\n"
    run(["chat", "hi"])  # the default was used last: it is now the last used model
    assert server.requests[-1].json["model"] == "llama-3.3-70b-versatile"


def test_a_failed_chat_is_not_remembered(server: ScriptedServer) -> None:
    assert run(["chat", "-m", "groq/llama-3.1-8b-instant", "hi"]).exit_code == 0
    assert run(["chat", "-m", "nope/model", "hi"]).exit_code == 1
    assert json.loads(run(["models", "default", "--json"]).stdout)["last_used"] == "groq/llama-3.1-8b-instant"


def test_a_misspelt_default_is_refused_with_a_close_name(home: Path) -> None:
    result = run(["models", "default", "groq/llama-3.1-8b-instnat"])
    assert result.exit_code == 1
    assert "did you mean groq/llama-3.1-8b-instant?" in result.stderr
    assert "--force" in result.stderr
    assert not (home / "config.toml").exists()
    assert run(["models", "default", "groq/llama-3.1-8b-instnat", "--force"]).exit_code == 0


def test_the_default_keeps_the_rest_of_the_file(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text('# mine\n[routing]\nretries = 1\n')
    run(["models", "default", "chain/fast"])
    text = (home / "config.toml").read_text()
    # Before the first table (after it, it would belong to [routing]), a blank line between them.
    assert text == '# mine\ndefault_model = "chain/fast"\n\n[routing]\nretries = 1\n', text
