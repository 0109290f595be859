"""The key store as a source of a provider's key, from Python (issue 16, item 2): after the client's
argument, the environment and the config file; not read at all with ``config_file=False``; the stored
key on the wire, and in no repr or error even when the provider echoes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import modelplex
from modelplex._keys import KeyStore
from modelplex._keys.lookup import KeyLookup
from modelplex.errors import AuthenticationError, MissingCredentialsError
from modelplex_testing import Reply, ScriptedServer, serving

KEY = "gsk_SourcesTest0123456789abcdef"
ANSWER = Reply.json({"id": "c1", "object": "chat.completion", "model": "llama-3.1-8b-instant",
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"},
                                  "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})


@pytest.fixture
def keys_env(tmp_path: Path) -> dict[str, str]:
    env = {"MODELPLEX_KEYS_FILE": str(tmp_path / "keys.json")}
    KeyStore(env).set("groq", KEY, "file")
    return env


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serving(lambda: ScriptedServer([ANSWER])) as start:
        yield start()


def _client(env: dict[str, str], config: Path | bool, **providers: str) -> modelplex.Client:
    return modelplex.Client(env=env, config_file=config, providers={"groq": providers} if providers else None)


def test_the_stored_key_goes_on_the_wire(keys_env: dict[str, str], server: ScriptedServer,
                                         tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[providers.groq]\nbase_url = "{server.url}"\n')
    with _client(keys_env, config) as client:
        assert client.chat("groq/llama-3.1-8b-instant", "ping").text == "pong"
    assert server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(("env_key", "file_key", "arg_key", "sent"), [
    (None, None, None, KEY),
    (None, "gsk_fromTheFile0123456789", None, "gsk_fromTheFile0123456789"),
    ("gsk_fromTheEnv01234567890", "gsk_fromTheFile0123456789", None, "gsk_fromTheEnv01234567890"),
    ("gsk_fromTheEnv01234567890", None, "gsk_fromTheArgument01234", "gsk_fromTheArgument01234"),
])
def test_the_order_is_argument_environment_config_file_then_store(
        keys_env: dict[str, str], server: ScriptedServer, tmp_path: Path, env_key: str | None,
        file_key: str | None, arg_key: str | None, sent: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[providers.groq]\nbase_url = "{server.url}"\n' +
                      (f'api_key = "{file_key}"\n' if file_key else ""))
    config.chmod(0o600)
    env = {**keys_env, **({"GROQ_API_KEY": env_key} if env_key else {})}
    with _client(env, config, **({"api_key": arg_key} if arg_key else {})) as client:
        client.chat("groq/llama-3.1-8b-instant", "ping")
    assert server.requests[-1].headers["authorization"] == f"Bearer {sent}"


def test_config_file_false_reads_no_store_and_the_error_says_how_to_store_a_key(
        keys_env: dict[str, str], server: ScriptedServer) -> None:
    with _client(keys_env, False, base_url=server.url) as client, \
            pytest.raises(MissingCredentialsError) as caught:
        client.chat("groq/llama-3.1-8b-instant", "ping")
    assert "modelplex keys set groq" in caught.value.message
    assert "GROQ_API_KEY" in caught.value.message
    assert server.requests == []


def test_a_key_echoed_by_the_provider_is_masked_in_the_error(keys_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    echo = Reply.json({"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}},
                      status=401)
    with serving(lambda: ScriptedServer([echo])) as start:
        server = start()
        config = tmp_path / "config.toml"
        config.write_text(f'[providers.groq]\nbase_url = "{server.url}"\n')
        with _client(keys_env, config) as client, pytest.raises(AuthenticationError) as caught:
            client.chat("groq/llama-3.1-8b-instant", "ping")
    assert "Incorrect API key provided" in str(caught.value)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


def test_no_repr_shows_the_key(keys_env: dict[str, str], tmp_path: Path) -> None:
    store = KeyStore(keys_env)
    lookup = KeyLookup(keys_env)
    found = lookup("groq")
    config = tmp_path / "config.toml"
    config.write_text("")
    with _client(keys_env, config) as client:
        resolved = client.async_client.context("groq").settings
        assert resolved.api_key is not None and resolved.api_key.reveal() == KEY  # from the store
        shown = [repr(store), repr(lookup), repr(found), str(found), repr(store.list()), repr(resolved),
                 repr(client.async_client.settings), repr(client.async_client.config)]
    assert found is not None and found.reveal() == KEY
    for text in shown:
        assert KEY not in text and KEY[4:-4] not in text
