"""``modelplex providers list|add|test|rm`` (issue 16, item 2): provider configurations in the config file,
edited without losing the owner's comments; ``test`` on the wire against loopback servers answering 200
and 401 and a port that refuses, saying how long it took and what failed."""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail

from modelplex._cli import cli
from modelplex_testing import Reply, ScriptedServer, serving
from modelplex_testing.compat_server import chunk

KEY = "gsk_ProvidersTest0123456789abcd"
MODELS = Reply.json({"object": "list", "data": [{"id": "llama-3.1-8b-instant", "object": "model"},
                                                {"id": "llama-3.3-70b-versatile", "object": "model"}]})
REFUSED = Reply.json({"error": {"message": "Invalid API Key", "type": "invalid_request_error",
                                "code": "invalid_api_key"}}, status=401)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user with nothing set up (as in test_keys_cli): everything under ``tmp_path``, no keyring."""
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


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_add_keeps_the_owners_comments_and_order(home: Path) -> None:
    home.mkdir(parents=True)
    original = ('# my settings\ndefault_model = "groq/llama-3.1-8b-instant"  # the cheap one\n\n'
                '[routing]\nretries = 1  # keep it low\n')
    (home / "config.toml").write_text(original)
    result = run(["providers", "add", "lmstudio", "--plugin", "openai-like", "--base-url",
                  "http://127.0.0.1:1234/v1", "--default-model", "qwen2.5-7b", "--header", "X-Team=research"])
    assert result.exit_code == 0, result.output
    assert (home / "config.toml").read_text() == original + (
        '\n[providers.lmstudio]\nplugin = "openai-like"\nbase_url = "http://127.0.0.1:1234/v1"\n'
        'default_model = "qwen2.5-7b"\nheaders = {X-Team = "research"}\n')
    changed = run(["providers", "add", "lmstudio", "--disable"])
    assert changed.exit_code == 0
    assert (home / "config.toml").read_text().startswith(original)
    assert "enabled = false" in (home / "config.toml").read_text()


def test_a_new_config_file_is_made_private_and_the_next_step_named(home: Path) -> None:
    added = run(["providers", "add", "groq", "--base-url", "http://127.0.0.1:9/v1"])
    assert added.exit_code == 0
    assert oct((home / "config.toml").stat().st_mode & 0o777) == oct(0o600)
    assert added.stderr == "note: groq has no API key yet: store one with: modelplex keys set groq\n"
    run(["keys", "set", "groq"], input=KEY)
    assert run(["providers", "add", "groq", "--enable"]).stderr == ""
    keyless = run(["providers", "add", "lmstudio", "--plugin", "openai-like"])
    assert keyless.stderr == ""  # its plugin needs no key


def test_list_shows_settings_and_where_the_key_comes_from_never_the_key(home: Path) -> None:
    run(["providers", "add", "lmstudio", "--plugin", "openai-like", "--base-url", "http://127.0.0.1:1234/v1",
         "--default-model", "qwen2.5-7b"])
    run(["keys", "set", "groq"], input=KEY)
    result = run(["providers", "list", "--json"])
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["lmstudio"]["plugin"] == "openai-like"
    assert rows["lmstudio"]["default_model"] == "qwen2.5-7b"
    assert rows["lmstudio"]["base_url"] == "http://127.0.0.1:1234/v1"
    assert rows["groq"]["key_from"] == "the key store"
    assert rows["groq"]["base_url"] == "https://api.groq.com/openai/v1"
    table = run(["providers", "list"])
    assert re.search(r"^lmstudio\s+openai-like\s+yes\s+-\s+qwen2\.5-7b\s+http://127\.0\.0\.1:1234/v1$",
                     table.stdout, re.M)
    assert KEY not in result.output + table.output


def test_test_says_ok_and_how_long_it_took_when_the_listing_answers(
        serve: Callable[..., ScriptedServer]) -> None:
    server = serve(MODELS)
    run(["providers", "add", "groq", "--base-url", server.url])
    run(["keys", "set", "groq"], input=KEY)
    result = run(["providers", "test", "groq"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"groq: ok in \d+\.\d\ds, 2 models listed \(key from the key store, "
                        rf"{server.url}\)\n", result.stdout)
    [request] = server.requests
    assert (request.method, request.path) == ("GET", "/v1/models")  # the free listing, no completion
    assert request.headers["authorization"] == f"Bearer {KEY}"
    outcome = json.loads(run(["providers", "test", "groq", "--json"]).stdout)
    assert outcome["ok"] is True and outcome["models"] == 2 and outcome["seconds"] >= 0


def test_a_refused_key_is_an_authentication_error_naming_the_provider_and_the_keys_source(
        serve: Callable[..., ScriptedServer]) -> None:
    server = serve(REFUSED)
    run(["providers", "add", "groq", "--base-url", server.url])
    run(["keys", "set", "groq"], input=KEY)
    result = run(["providers", "test", "groq"])
    assert result.exit_code == 1
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert re.match(r"error: groq: failed after \d+\.\d\ds: authentication failed: groq refused the key "
                    r"from the key store \(", line), line
    assert line.endswith("store the right one with: modelplex keys set groq")
    assert KEY not in result.output
    assert len(server.requests) == 1  # an authentication error is not retried


def test_an_unreachable_provider_names_the_address_and_the_setting(home: Path) -> None:
    port = closed_port()
    run(["providers", "add", "groq", "--base-url", f"http://127.0.0.1:{port}/v1"])
    run(["keys", "set", "groq"], input=KEY)
    result = run(["providers", "test", "groq"])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert f"127.0.0.1:{port}" in line
    assert "[providers.groq]" in line and str(home / "config.toml") in line


def test_no_key_says_how_to_store_one_and_sends_nothing(serve: Callable[..., ScriptedServer]) -> None:
    server = serve(MODELS)
    run(["providers", "add", "groq", "--base-url", server.url])
    result = run(["providers", "test", "groq"])
    assert result.exit_code == 1
    assert result.stderr == "error: groq: failed: no API key; store one with: modelplex keys set groq\n"
    assert server.requests == []


def test_a_disabled_provider_refuses_calls_until_enabled(serve: Callable[..., ScriptedServer]) -> None:
    server = serve(Reply.stream([chunk(content="pong"), chunk(finish="stop")]))
    run(["providers", "add", "groq", "--base-url", server.url, "--disable"])
    run(["keys", "set", "groq"], input=KEY)
    refused = run(["chat", "-m", "groq/llama-3.1-8b-instant", "ping"])
    assert refused.exit_code == 1
    assert "provider 'groq' is disabled" in refused.stderr
    assert "modelplex providers add groq --enable" in refused.stderr
    assert server.requests == []
    run(["providers", "add", "groq", "--enable"])
    assert run(["chat", "-m", "groq/llama-3.1-8b-instant", "ping"]).stdout.strip() == "pong"


def test_a_credential_header_is_refused_and_not_written(home: Path) -> None:
    result = run(["providers", "add", "groq", "--header", f"Authorization=Bearer {KEY}"])
    assert result.exit_code == 2
    assert "modelplex keys set groq" in result.stderr
    assert KEY not in result.output
    assert not (home / "config.toml").exists()


def test_a_second_name_needs_a_plugin_and_a_misspelt_plugin_gets_a_close_name(home: Path) -> None:
    unnamed = run(["providers", "add", "lmstudio"])
    assert unnamed.exit_code == 1 and "give the plugin that serves it with --plugin" in unnamed.stderr
    misspelt = run(["providers", "add", "lmstudio", "--plugin", "openai-lik"])
    assert misspelt.exit_code == 1 and "did you mean openai-like?" in misspelt.stderr
    assert not (home / "config.toml").exists()


def test_rm_removes_the_section_and_leaves_the_rest(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text('# mine\n[providers.groq]\nbase_url = "http://127.0.0.1:9/v1"\n\n'
                                      '[providers.lmstudio]\nplugin = "openai-like"\n')
    assert run(["providers", "rm", "groq"]).exit_code == 0
    assert (home / "config.toml").read_text() == '# mine\n[providers.lmstudio]\nplugin = "openai-like"\n'
    missing = run(["providers", "rm", "groq"])
    assert missing.exit_code == 1
    assert missing.stderr == f"error: the config file {home / 'config.toml'} has no [providers.groq]\n"


def test_a_server_that_never_answers_fails_within_the_timeout(home: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        run(["providers", "add", "groq", "--base-url", f"http://127.0.0.1:{port}/v1"])
        run(["keys", "set", "groq"], input=KEY)
        started = time.monotonic()
        result = run(["providers", "test", "groq", "--timeout", "0.5"])
        took = time.monotonic() - started
    assert result.exit_code == 1
    assert re.match(r"error: groq: failed after 0\.\d\ds: no model list within 0\.5s", result.stderr), \
        result.stderr
    assert took < 5


def test_a_misspelt_default_model_is_refused_unless_forced(home: Path) -> None:
    typo = run(["providers", "add", "groq", "--default-model", "llama-3.1-8b-instnat"])
    assert typo.exit_code == 1
    assert "did you mean groq/llama-3.1-8b-instant?" in typo.stderr
    assert not (home / "config.toml").exists()
    forced = run(["providers", "add", "groq", "--default-model", "llama-3.1-8b-instnat", "--force"])
    assert forced.exit_code == 0
    assert run(["providers", "add", "lmstudio", "--plugin", "openai-like",  # a catalog-less server: any name
                "--default-model", "qwen2.5-7b-instruct"]).exit_code == 0
