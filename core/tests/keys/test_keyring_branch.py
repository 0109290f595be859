"""The keyring branch of the key store: through keyring's own API with a recommended backend, the key
goes to the keyring and the file keeps only a note that it is there; without a usable backend (this
machine's real state: keyring's fail backend), the 0600 file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from modelplex._keys import KeyStore
from modelplex._keys.lookup import KeyLookup
from modelplex.errors import ConfigurationError

from .memory_keyring import STORE_ENV, FileBackedKeyring

KEY = "sk-keyringtest-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"MODELPLEX_KEYS_FILE": str(tmp_path / "keys.json")}


@pytest.fixture
def usable_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    store = tmp_path / "keyring.json"
    monkeypatch.setenv(STORE_ENV, str(store))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileBackedKeyring())
    try:
        yield store
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_with_a_usable_keyring_the_key_goes_there_and_not_into_the_file(
        env: dict[str, str], usable_keyring: Path) -> None:
    stored = KeyStore(env).set("anthropic", KEY)
    assert stored.where == "keyring" and stored.ending == KEY[-4:]
    assert json.loads(usable_keyring.read_text()) == {"modelplex/anthropic": KEY}
    text = Path(env["MODELPLEX_KEYS_FILE"]).read_text()
    assert KEY not in text
    assert json.loads(text)["providers"] == {"anthropic": {"keyring": True}}
    assert KeyLookup(env)("anthropic").reveal() == KEY  # type: ignore[union-attr]
    [listed] = KeyStore(env).list()
    assert (listed.provider, listed.where, listed.ending) == ("anthropic", "keyring", KEY[-4:])


def test_removing_a_keyring_key_removes_it_from_the_keyring(env: dict[str, str],
                                                            usable_keyring: Path) -> None:
    KeyStore(env).set("anthropic", KEY)
    removed = KeyStore(env).remove("anthropic")
    assert removed is not None and removed.where == "keyring"
    assert json.loads(usable_keyring.read_text()) == {}
    assert KeyStore(env).list() == []
    assert KeyStore(env).remove("anthropic") is None


def test_moving_a_key_to_the_file_takes_it_out_of_the_keyring(env: dict[str, str],
                                                              usable_keyring: Path) -> None:
    KeyStore(env).set("anthropic", KEY)
    stored = KeyStore(env).set("anthropic", KEY, "file")
    assert stored.where == "file"
    assert json.loads(usable_keyring.read_text()) == {}


def test_without_a_usable_backend_the_key_goes_to_the_file(env: dict[str, str], no_keyring: None) -> None:
    stored = KeyStore(env).set("anthropic", KEY)
    assert stored.where == "file"
    assert json.loads(Path(env["MODELPLEX_KEYS_FILE"]).read_text())["providers"]["anthropic"] == {"key": KEY}


def test_asking_for_the_keyring_without_one_is_an_error_and_stores_nothing(env: dict[str, str],
                                                                            no_keyring: None) -> None:
    with pytest.raises(ConfigurationError, match="no usable keyring"):
        KeyStore(env).set("anthropic", KEY, "keyring")
    assert not Path(env["MODELPLEX_KEYS_FILE"]).exists()


def test_a_key_noted_in_the_keyring_when_none_is_usable_names_the_fix(env: dict[str, str],
                                                                      usable_keyring: Path) -> None:
    KeyStore(env).set("anthropic", KEY)
    keyring.set_keyring(fail.Keyring())  # the keyring went away (another session, a locked wallet)
    with pytest.raises(ConfigurationError) as caught:
        KeyLookup(env)("anthropic")
    assert "keys set anthropic --store file" in caught.value.message


@pytest.mark.parametrize("bad", ["", "   ", "k3y5x", "sk-with space-0123", "sk-tab\t0123456789"])
def test_a_key_that_cannot_be_one_is_refused_without_being_shown(env: dict[str, str], no_keyring: None,
                                                                  bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        KeyStore(env).set("openai", bad)
    assert bad.strip() == "" or bad not in caught.value.message
    assert not Path(env["MODELPLEX_KEYS_FILE"]).exists()


def test_without_the_keyring_package_the_key_goes_to_the_file(env: dict[str, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "keyring", None)  # modelplex installed without [keyring]
    stored = KeyStore(env).set("anthropic", KEY)
    assert stored.where == "file"
    with pytest.raises(ConfigurationError, match="install modelplex\\[keyring\\]"):
        KeyStore(env).set("anthropic", KEY, "keyring")


def test_importing_keyring_leaves_plugin_discovery_on_its_fast_path() -> None:
    """keyring imports the importlib_metadata backport, which adds its own finder to sys.meta_path: plugin
    discovery must keep reading entry_points.txt itself (a foreign finder would send it through
    importlib.metadata, slower, and failing on a distribution whose metadata is not UTF-8)."""
    import importlib_metadata  # what keyring imports, whether or not keyring was imported already

    from modelplex._entry_points import _needs_importlib_metadata

    assert any(type(f).__module__ == importlib_metadata.__name__ for f in sys.meta_path)
    assert not _needs_importlib_metadata()
