"""The key file (issue 16, item 2): mode 0600 from its creation, never wider for a moment, written
atomically, its directory 0700, kept whole under concurrent writers, and its damage reported without
quoting it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelplex._keys import KeyStore
from modelplex._keys.file import read_entries, write_entries
from modelplex.errors import ConfigurationError

KEY = "sk-filetest-0123456789abcdefXYZ"


@pytest.fixture
def no_umask() -> Iterator[None]:
    """umask 0: a file opened without an explicit mode would be 0666, a directory 0777."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    # --store file below; "auto" would find no usable keyring here either (keyring's fail backend).
    return KeyStore({"MODELPLEX_KEYS_FILE": str(tmp_path / "conf" / "modelplex" / "keys.json")})


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_and_its_directory_are_private_even_under_umask_0(store: KeyStore, no_umask: None) -> None:
    store.set("openai", KEY, "file")
    assert _mode(store.path) == 0o600
    assert _mode(store.path.parent) == 0o700
    assert store.get("openai") is not None and store.get("openai").reveal() == KEY  # type: ignore[union-attr]


def test_every_file_it_creates_is_opened_0600_and_none_is_chmodded(store: KeyStore, no_umask: None,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No moment exists when the key file is wider than 0600: whatever it creates in the directory is
    created with mode 0600 by os.open itself (O_EXCL, so never an existing file), and nothing is
    chmodded afterwards."""
    created: list[tuple[str, int, int]] = []
    real_open = os.open

    def spy_open(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            created.append((str(path), flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    def no_chmod(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"chmod{args}: the mode must be right from the creation")

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "chmod", no_chmod)
    store.set("openai", KEY, "file")
    store.set("groq", "gsk_" + "a" * 20, "file")
    store.remove("groq")
    temporaries = [c for c in created if c[0].endswith(".tmp")]
    assert len(temporaries) == 3  # one per write, then renamed over keys.json
    for path, _, mode in created:
        assert mode == 0o600, path
    for path, flags, _ in temporaries:
        assert flags & os.O_EXCL, path
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert _mode(store.path) == 0o600


def test_a_file_made_wider_by_hand_warns_and_the_next_write_replaces_it_private(store: KeyStore) -> None:
    store.set("openai", KEY, "file")
    store.path.chmod(0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        store.get("openai")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.set("groq", "gsk_" + "b" * 20, "file")
    assert _mode(store.path) == 0o600


def test_a_damaged_file_is_one_error_that_quotes_nothing_of_it(store: KeyStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"providers": {"openai": {"key": "' + KEY + '"')  # cut short
    with pytest.raises(ConfigurationError) as caught:
        store.get("openai")
    assert str(store.path) in caught.value.message
    assert KEY not in str(caught.value) and "sk-" not in str(caught.value)


def test_a_rename_is_the_only_way_the_file_changes(tmp_path: Path) -> None:
    """A reader holding the old file sees the old content whole: the new one is another inode."""
    path = tmp_path / "keys.json"
    write_entries(path, {"a": {"key": "one-key-value"}})
    before = path.stat().st_ino
    with path.open() as old:
        write_entries(path, {"a": {"key": "two-key-value"}})
        assert '"one-key-value"' in old.read()
    assert path.stat().st_ino != before
    assert read_entries(path) == {"a": {"key": "two-key-value"}}


_WRITER = """
import sys
from modelplex._keys import KeyStore
store = KeyStore({"MODELPLEX_KEYS_FILE": sys.argv[1]})
for round in range(5):
    store.set(sys.argv[2], "key-" + sys.argv[2] + "-" + str(round) + "-0123456789", "file")
"""


def test_concurrent_writers_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    names = [f"provider{n}" for n in range(6)]
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name]) for name in names]
    assert [p.wait(timeout=60) for p in procs] == [0] * len(names)
    entries = read_entries(path)
    assert sorted(entries) == names
    assert all(entries[n]["key"] == f"key-{n}-4-0123456789" for n in names)
