"""``modelplex aliases set|list|rm`` (issue 16, item 2): short names in ``[aliases]``, used by
``chat -m NAME`` and ``client.chat(NAME, ...)`` on the wire, and a provider's ``default_model`` for a call
addressed to the provider alone."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import modelplex
from modelplex._cli import cli
from modelplex.errors import ConfigurationError
from modelplex_testing import Reply, ScriptedServer, serving
from modelplex_testing.compat_server import chunk

KEY = "gsk_AliasesTest0123456789abcd"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("MODELPLEX_") or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GROQ_API_KEY", KEY)
    return tmp_path / "config" / "modelplex"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    reply = Reply.stream([chunk(content="pong"), chunk(finish="stop")])
    with serving(lambda: ScriptedServer([reply])) as start:
        yield start()


def run(args: Sequence[str], input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_set_list_rm(home: Path) -> None:
    assert run(["aliases", "set", "fast", "groq/llama-3.1-8b-instant"]).exit_code == 0
    assert run(["aliases", "set", "smart", "chain/flagship"]).exit_code == 0
    assert (home / "config.toml").read_text() == ('[aliases]\nfast = "groq/llama-3.1-8b-instant"\n'
                                                 'smart = "chain/flagship"\n')
    assert run(["aliases", "list"]).stdout.splitlines() == [
        "ALIAS  ADDRESS", "fast   groq/llama-3.1-8b-instant", "smart  chain/flagship"]
    assert json.loads(run(["aliases", "list", "--json"]).stdout) == {
        "fast": "groq/llama-3.1-8b-instant", "smart": "chain/flagship"}
    assert run(["aliases", "rm", "fast"]).exit_code == 0
    assert run(["aliases", "rm", "smart"]).exit_code == 0
    assert (home / "config.toml").read_text() == ""
    gone = run(["aliases", "rm", "fast"])
    assert gone.exit_code == 1 and "no alias 'fast'" in gone.stderr


def test_an_alias_reaches_its_model_on_the_wire(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch,
                                                home: Path) -> None:
    monkeypatch.setenv("GROQ_BASE_URL", server.url)
    run(["aliases", "set", "fast", "groq/llama-3.1-8b-instant"])
    result = run(["chat", "-m", "fast", "ping"])
    assert result.exit_code == 0, result.output
    assert server.requests[-1].json["model"] == "llama-3.1-8b-instant"
    with modelplex.Client() as client, client.stream("fast", "ping") as stream:  # the same from Python
        assert "".join(stream.text_stream()) == "pong"
    assert server.requests[-1].json["model"] == "llama-3.1-8b-instant"


def test_a_provider_alone_uses_its_default_model(server: ScriptedServer) -> None:
    run(["providers", "add", "groq", "--base-url", server.url, "--default-model", "llama-3.3-70b-versatile"])
    assert run(["chat", "-m", "groq", "ping"]).exit_code == 0
    assert server.requests[-1].json["model"] == "llama-3.3-70b-versatile"


def test_an_alias_is_checked_before_it_is_saved(home: Path) -> None:
    slash = run(["aliases", "set", "my/fast", "groq/llama-3.1-8b-instant"])
    assert slash.exit_code == 1 and "no '/'" in slash.stderr
    bare = run(["aliases", "set", "fast", "llama"])
    assert bare.exit_code == 1 and "provider/model or chain/NAME" in bare.stderr
    typo = run(["aliases", "set", "fast", "groq/llama-3.1-8b-instnat"])
    assert typo.exit_code == 1 and "did you mean groq/llama-3.1-8b-instant?" in typo.stderr
    provider = run(["aliases", "set", "fast", "graq/llama-3.1-8b-instant"])
    assert provider.exit_code == 1 and "unknown provider 'graq'; did you mean groq?" in provider.stderr
    chain = run(["aliases", "set", "smart", "chain/flagshp"])
    assert chain.exit_code == 1 and "did you mean flagship?" in chain.stderr
    assert not (home / "config.toml").exists()
    forced = run(["aliases", "set", "fast", "groq/a-model-released-today", "--force"])
    assert forced.exit_code == 0
    assert "groq/a-model-released-today" in (home / "config.toml").read_text()


def test_a_bad_aliases_table_is_a_configuration_error_naming_it(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text('[aliases]\nfast = "llama"\n')
    with modelplex.Client() as client, pytest.raises(ConfigurationError, match=r"\[aliases\] fast"):
        client.chat("fast", "ping")
