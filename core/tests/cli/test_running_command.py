"""``modelplex._cli.running_command()`` names the command the process runs, while it runs, for plugins
whose defaults differ between a command that ends and one that keeps serving (modelplex-store's writer)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from modelplex._cli import cli, running_command


def test_the_running_command_is_named_while_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert running_command() is None  # a program that is not the modelplex command

    @click.command("probe")
    def probe() -> None:
        click.echo(f"running: {running_command()}")

    monkeypatch.setitem(cli.commands, "probe", probe)
    result = CliRunner().invoke(cli, ["probe"], env={"MODELPLEX_CONFIG": "/dev/null"})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "running: probe"
    assert running_command() is None  # ended: later code in the process (a test suite) is not in it
