"""``modelplex keys set|list|rm`` (issue 16, item 2): keys stored once, used on the wire, shown only by
their last four characters, never taken from the command line, and where they come from in order:
arguments, environment, config file, then the store."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail

from modelplex._cli import cli
from modelplex_testing import Reply, ScriptedServer, serving
from modelplex_testing.compat_server import chunk

KEY = "gsk_K1cliTestKey0123456789wxyz"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user with nothing set up: the default config and key file locations under ``tmp_path``, no
    provider key in the environment, and no usable keyring (as on this machine), so keys go to the file."""
    for name in list(os.environ):
        if name.startswith("MODELPLEX_") or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield tmp_path / "config" / "modelplex"
    keyring.set_keyring(previous)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies, **kw: ScriptedServer(replies, **kw)) as start:
        yield start


def run(args: Sequence[str], input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def _reply() -> Reply:
    return Reply.stream([chunk(content="pong"), chunk(finish="stop"),
                         chunk(usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4})])


def test_set_reads_the_key_from_standard_input_and_stores_it_in_a_0600_file(home: Path) -> None:
    result = run(["keys", "set", "groq"], input=KEY + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"groq: key ending {KEY[-4:]} stored in {home / 'keys.json'} (mode 0600)\n"
    assert stat.S_IMODE((home / "keys.json").stat().st_mode) == 0o600
    assert json.loads((home / "keys.json").read_text())["providers"] == {"groq": {"key": KEY}}
    assert not (home / "config.toml").exists()  # nothing of it in the config file


def test_the_stored_key_is_the_one_sent_on_the_wire(serve: Callable[..., ScriptedServer]) -> None:
    server = serve(_reply())
    assert run(["providers", "add", "groq", "--base-url", server.url]).exit_code == 0
    assert run(["keys", "set", "groq"], input=KEY).exit_code == 0
    result = run(["-v", "chat", "-m", "groq/llama-3.1-8b-instant", "ping"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "pong"
    assert server.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in result.output and KEY[:-4] not in result.output


def test_the_environment_and_the_config_file_come_before_the_store(
        serve: Callable[..., ScriptedServer], monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    server = serve(_reply())
    run(["providers", "add", "groq", "--base-url", server.url])
    run(["keys", "set", "groq"], input=KEY)
    with (home / "config.toml").open("a") as config:
        config.write('api_key = "gsk_fromTheConfigFile0123456"\n')  # under [providers.groq], the last table
    assert run(["chat", "-m", "groq/llama-3.1-8b-instant", "ping"]).exit_code == 0
    assert server.requests[-1].headers["authorization"] == "Bearer gsk_fromTheConfigFile0123456"
    listed = run(["keys", "list"])
    shadowed = f"no: api_key in [providers.groq] of config file {home / 'config.toml'} comes first"
    assert shadowed in listed.stdout
    monkeypatch.setenv("GROQ_API_KEY", "gsk_fromTheEnvironment0123456")
    assert run(["chat", "-m", "groq/llama-3.1-8b-instant", "ping"]).exit_code == 0
    assert server.requests[-1].headers["authorization"] == "Bearer gsk_fromTheEnvironment0123456"
    again = run(["keys", "set", "groq"], input=KEY)
    assert "warning: groq calls will use the key from $GROQ_API_KEY" in again.stderr


def test_list_shows_the_last_four_characters_only(home: Path) -> None:
    run(["keys", "set", "groq"], input=KEY)
    run(["keys", "set", "openai"], input="sk-proj-ListTest0123456789abcd")
    table = run(["keys", "list"])
    assert table.stdout.splitlines()[1:] == [
        f"groq      {home / 'keys.json'} (mode 0600)  ...wxyz  yes",
        f"openai    {home / 'keys.json'} (mode 0600)  ...abcd  yes"]
    as_json = run(["keys", "list", "--json"])
    assert json.loads(as_json.stdout) == [
        {"provider": "groq", "stored_in": "file", "location": str(home / "keys.json"), "ending": "wxyz",
         "used": True, "overridden_by": None},
        {"provider": "openai", "stored_in": "file", "location": str(home / "keys.json"), "ending": "abcd",
         "used": True, "overridden_by": None}]
    for out in (table.output, as_json.output):
        assert KEY[:-4] not in out and "ListTest" not in out


def test_a_key_on_the_command_line_is_refused_and_not_echoed(home: Path) -> None:
    result = run(["keys", "set", "groq", KEY])
    assert result.exit_code == 2
    assert "shell's history" in result.stderr
    assert KEY not in result.output
    assert not (home / "keys.json").exists()


@pytest.mark.parametrize("key", [KEY, "sk-proj-AKeyWhereTheNameGoes0123456789",
                                 "Xq7Lm2Pz9Rt4Vb8Nc3Kd6Wf1Hj5Gs0Ya"])  # shapeless, as Mistral's are
def test_a_key_given_as_the_provider_name_is_refused_and_not_echoed(home: Path, key: str) -> None:
    result = run(["keys", "set", key])
    assert result.exit_code == 2
    assert "PROVIDER looks like a key" in result.stderr
    assert key not in result.output and key[4:-4] not in result.output
    assert not (home / "keys.json").exists()


def test_an_unknown_provider_is_refused_with_a_close_name(home: Path) -> None:
    result = run(["keys", "set", "graq"], input=KEY)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown provider 'graq'")
    assert "did you mean groq?" in result.stderr
    assert not (home / "keys.json").exists()


def test_rm_forgets_the_key_and_a_second_rm_says_there_is_none(home: Path) -> None:
    run(["keys", "set", "groq"], input=KEY)
    assert run(["keys", "rm", "groq"]).stdout == f"groq: key removed from {home / 'keys.json'} (mode 0600)\n"
    assert KEY not in (home / "keys.json").read_text()
    again = run(["keys", "rm", "groq"])
    assert again.exit_code == 1
    assert again.stderr == "error: no key stored for 'groq' (see 'modelplex keys list')\n"
    missing = run(["chat", "-m", "groq/llama-3.1-8b-instant", "ping"])
    assert missing.exit_code == 1 and "no API key" in missing.stderr


def test_an_empty_key_stores_nothing(home: Path) -> None:
    result = run(["keys", "set", "groq"], input="\n")
    assert result.exit_code == 1
    assert result.stderr == "error: groq: the key is empty\n"
    assert not (home / "keys.json").exists()


def test_a_keyring_that_went_away_leaves_list_working(home: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "keys"))
    try:
        from memory_keyring import STORE_ENV, FileBackedKeyring
    finally:
        sys.path.pop(0)
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "keyring.json"))
    keyring.set_keyring(FileBackedKeyring())
    stored = run(["keys", "set", "groq"], input=KEY)
    assert "stored in keyring (" in stored.stdout
    assert KEY not in (home / "keys.json").read_text()
    keyring.set_keyring(fail.Keyring())  # a locked wallet, another session
    listed = run(["keys", "list"])
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[1:] == ["groq      keyring (not available now)  ?    yes"]
    providers = json.loads(run(["providers", "list", "--json"]).stdout)
    assert {r["name"]: r["key_from"] for r in providers}["groq"] == "the key store (not readable now)"
    call = run(["chat", "-m", "groq/llama-3.1-8b-instant", "hi"])
    assert call.exit_code == 1
    assert "keys set groq --store file" in call.stderr
