"""pytest fixtures for applications and plugins that use Modelplex (the ``modelplex`` pytest plugin)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex_testing import matrix
from modelplex_testing._clients import fake_client


def pytest_configure(config: pytest.Config) -> None:
    """Keep what a test run's clients record (the modelplex-store usage log, when installed), the last
    model ``modelplex chat`` used and the stored keys out of the user's directories: fresh temporary
    ones, unless the run names its own."""
    if not os.environ.get("MODELPLEX_DATA_DIR"):
        os.environ["MODELPLEX_DATA_DIR"] = tempfile.mkdtemp(prefix="modelplex-test-data-")
    if not os.environ.get("MODELPLEX_STATE_DIR"):  # the last model `modelplex chat` used, likewise
        os.environ["MODELPLEX_STATE_DIR"] = tempfile.mkdtemp(prefix="modelplex-test-state-")
    if not os.environ.get("MODELPLEX_KEYS_FILE"):  # a developer's stored keys (modelplex keys set) stay out
        os.environ["MODELPLEX_KEYS_FILE"] = os.path.join(tempfile.mkdtemp(prefix="modelplex-test-keys-"),
                                                         "keys.json")
    matrix.configure(config)  # the feature marker; with MODELPLEX_MATRIX_DIR set, the session's results


@pytest.fixture
def modelplex_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No user config file and no plugin lists from the environment; returns the config path, an empty
    file (a named config file that is absent is an error)."""
    config = tmp_path / "modelplex-config.toml"
    config.touch()
    monkeypatch.setenv("MODELPLEX_CONFIG", str(config))
    for name in ("MODELPLEX_PLUGINS", "MODELPLEX_DISABLE_PLUGINS", "MODELPLEX_FAKE_SCRIPT"):
        monkeypatch.delenv(name, raising=False)
    return config


@pytest.fixture
def modelplex_fake() -> Iterator[Callable[..., modelplex.Client]]:
    """A factory of clients on the scripted fake provider, closed after the test."""
    made: list[modelplex.Client] = []

    def make(script: Sequence[Mapping[str, Any]] | None = None) -> modelplex.Client:
        client = fake_client(script)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
