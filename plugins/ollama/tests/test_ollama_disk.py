"""Room for a pull: the models directory, the catalog's size, only for an Ollama on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from modelplex_ollama import disk


def test_the_models_directory(tmp_path: Path) -> None:
    assert disk.models_dir({"OLLAMA_MODELS": str(tmp_path)}) == tmp_path
    assert disk.models_dir({}) == Path.home() / ".ollama" / "models"
    missing = tmp_path / "not" / "yet"
    assert disk.checked_dir({"OLLAMA_MODELS": str(missing)}) == tmp_path  # the nearest that exists


def test_a_warning_only_when_the_known_size_does_not_fit(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    env = {"OLLAMA_MODELS": str(tmp_path)}
    monkeypatch.setattr(disk, "free_bytes", lambda path: 5_000_000_000)
    assert disk.space_warning("llama3.1:8b", "http://127.0.0.1:11434", env) is None  # 4.9 GB fits
    warning = disk.space_warning("llama3.1:70b", "http://localhost:11434", env)
    assert warning == (f"llama3.1:70b needs about 43 GB but only 5.0 GB is free in {tmp_path}; the pull may "
                       "fail when the disk fills up")
    assert disk.space_warning("llama3.1:70b", "http://gpu-box:11434", env) is None  # not this machine's disk
    assert disk.space_warning("unknown-model", "http://127.0.0.1:11434", env) is None
    assert disk.free_bytes(tmp_path) > 0
