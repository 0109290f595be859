"""The kit's helpers for loopback servers and for running the ``modelplex`` command in tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from modelplex_testing import cli_env, interruptible, serving


def test_serving_stops_every_server_started_last_first_even_on_failure() -> None:
    log: list[str] = []

    class Server:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> Server:
            log.append(f"start {self.name}")
            return self

        def __exit__(self, *exc: object) -> None:
            log.append(f"stop {self.name}")

    def run() -> None:
        with serving(Server) as start:
            assert start("a").name == "a"
            start("b")
            raise RuntimeError("test failed")

    with pytest.raises(RuntimeError, match="test failed"):
        run()
    assert log == ["start a", "start b", "stop b", "stop a"]


def test_cli_env_keeps_no_key_of_the_developer_and_names_the_config(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("ACME_API_KEY", "sk-developer-own")
    monkeypatch.setenv("MODELPLEX_PLUGINS", "acme")
    monkeypatch.setenv("MODELPLEX_CONFIG", "/home/dev/.config/modelplex/config.toml")
    absent = tmp_path / "absent" / "config.toml"
    env = cli_env(absent, drop=("ACME_",), ACME_BASE_URL="http://127.0.0.1:1")
    assert "ACME_API_KEY" not in env and "MODELPLEX_PLUGINS" not in env
    assert env["MODELPLEX_CONFIG"] == str(absent) and env["ACME_BASE_URL"] == "http://127.0.0.1:1"
    assert absent.read_text() == ""  # made empty: a named config file that is absent is an error
    assert env["PATH"] == os.environ["PATH"]


def test_interruptible_gives_a_command_back_the_ctrl_c_its_parent_ignored() -> None:
    """Started with SIGINT ignored (tests run in the background by a script), a child inherits it
    ignored; ``interruptible`` as its ``preexec_fn`` gives it the default, as a terminal's would be."""
    probe = [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ignored = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
        restored = subprocess.run(probe, capture_output=True, text=True, check=True,
                                  preexec_fn=interruptible).stdout
    finally:
        signal.signal(signal.SIGINT, previous)
    assert ignored.strip() == "True"
    assert restored.strip() == "False"
