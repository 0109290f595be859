"""``modelplex._cli.running_command()`` names the command the process runs, for plugins whose defaults
differ between a command that ends and one that keeps serving (modelplex-store's writer)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import modelplex._cli as command
from modelplex._cli import cli, running_command


def test_the_running_command_is_named_once_a_command_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "_running", None)
    assert running_command() is None  # a program that is not the modelplex command
    result = CliRunner().invoke(cli, ["aliases", "list"], env={"MODELPLEX_CONFIG": "/dev/null"})
    assert result.exit_code == 0, result.output
    assert running_command() == "aliases"
