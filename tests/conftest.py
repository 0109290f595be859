"""Every cross-package test has its own cache directory: what the openai plugin learns about a loopback
server's routes must not reach another test (a later server may get the same port) nor the developer's
cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def own_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    cache = tmp_path / "modelplex-cache"
    monkeypatch.setenv("MODELPLEX_CACHE_DIR", str(cache))
    return cache
