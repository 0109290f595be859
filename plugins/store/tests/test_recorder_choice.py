"""Which recorder a call goes to: the one of the store the environment names now (commit 57a6b7e), read
from the mapping ``os.environ`` wraps (the shortcut in ``docs/hot-paths.md``), which must agree with
``os.environ`` read as a mapping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from modelplex_store import plugin
from modelplex_store.plugin import StorePlugin


def as_mapping() -> tuple[str | None, ...]:
    return tuple(os.environ.get(name) for name in plugin._NAMES)


def decoded() -> tuple[str | None, ...]:
    return tuple(None if v is None else v if isinstance(v, str) else os.fsdecode(v)
                 for v in plugin._store_environment())


def test_the_encoded_read_agrees_with_os_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in plugin._NAMES:
        monkeypatch.delenv(name, raising=False)
    assert decoded() == as_mapping() == (None, None, None, None)
    before = plugin._store_environment()
    monkeypatch.setenv("MODELPLEX_STORE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "dätä"))  # not ASCII: encoded as os.environ does
    assert decoded() == as_mapping() and plugin._store_environment() != before
    monkeypatch.setenv("MODELPLEX_STORE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    assert decoded() == as_mapping()
    monkeypatch.delenv("XDG_DATA_HOME")
    assert decoded() == as_mapping()


def test_an_os_environ_replaced_by_a_mapping_is_read_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "environ", {"MODELPLEX_STORE_URL": "sqlite:///x.db", "MODELPLEX_CONFIG": "c"})
    assert plugin._store_environment() == ("sqlite:///x.db", None, "c", None)


def test_the_recorder_follows_the_store_the_environment_names(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    store = StorePlugin()
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)
    monkeypatch.setenv("MODELPLEX_STORE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    first = store.recorder
    assert store.recorder is first and first.config.url.endswith("a.db")
    monkeypatch.setenv("MODELPLEX_STORE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    second = store.recorder
    assert second is not first and second.config.url.endswith("b.db")
    monkeypatch.setenv("MODELPLEX_STORE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    assert store.recorder is first
