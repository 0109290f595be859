"""Editing the user's config file (``modelplex._config_write``, used by providers, aliases and models
default): an edit a client could not read is refused and changes nothing, a symbolic link is followed
rather than replaced, the file keeps its mode, and a file that does not parse is reported, not rewritten."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from modelplex._config_write import editing, table
from modelplex.errors import ConfigurationError

ORIGINAL = '# mine\n[providers.groq]\nbase_url = "http://127.0.0.1:9/v1"  # a local proxy\n'


def test_an_edit_no_client_could_read_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    with pytest.raises(ConfigurationError) as caught, editing(path) as doc:
        doc["providers"]["broken"] = "not a table"
    assert caught.value.message == (f"not saved, the edit would break the config: config file {path}: "
                                    "[providers.NAME] sections must be tables")
    assert path.read_text() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temporary file left behind


def test_a_symbolic_link_is_followed_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "modelplex.toml"
    real.parent.mkdir()
    real.write_text(ORIGINAL)
    link = tmp_path / "config" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    with editing(link) as doc:
        table(doc, "aliases")["fast"] = "groq/llama-3.1-8b-instant"
    assert link.is_symlink()
    assert real.read_text() == ORIGINAL + '\n[aliases]\nfast = "groq/llama-3.1-8b-instant"\n'


def test_the_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    path.chmod(0o640)
    with editing(path) as doc:
        doc["default_model"] = "groq/llama-3.1-8b-instant"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_an_unchanged_document_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    before = path.stat().st_ino
    with editing(path):
        pass
    assert path.stat().st_ino == before


def test_a_file_that_does_not_parse_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[providers.groq\n")
    with pytest.raises(ConfigurationError, match="fix it by hand first"), editing(path) as doc:
        doc["default_model"] = "x/y"
    assert path.read_text() == "[providers.groq\n"
