"""A config file that a setting names but that does not exist is an error naming the path and the setting
(issue 16: ``MODELPLEX_CONFIG=/nonexistent.toml`` and ``Client(config_file=...)`` were ignored in silence)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import modelplex
from modelplex._cli import cli
from modelplex.errors import ConfigurationError


def test_client_config_file_that_does_not_exist_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.toml"
    with modelplex.Client(config_file=missing, env={}) as client, \
            pytest.raises(ConfigurationError) as caught:
        client.chat("fake/echo", "hi")
    assert str(missing) in caught.value.message
    assert "config_file" in caught.value.message


def test_modelplex_config_naming_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.toml"
    client = modelplex.AsyncClient(env={"MODELPLEX_CONFIG": str(missing)})
    with pytest.raises(ConfigurationError) as caught:
        _ = client.config
    assert str(missing) in caught.value.message
    assert "$MODELPLEX_CONFIG" in caught.value.message


def test_the_default_location_may_be_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty-home"))  # platformdirs' root on Linux
    assert modelplex.AsyncClient(env={}).config == {}


def test_dev_null_reads_as_an_empty_config() -> None:
    assert modelplex.AsyncClient(env={"MODELPLEX_CONFIG": os.devnull}).config == {}


def test_a_directory_named_as_the_config_is_one_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["chat", "-m", "fake/echo", "hi"],
                                env={"MODELPLEX_CONFIG": str(tmp_path)}, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: config file {tmp_path}: cannot read it: Is a directory"


def test_the_cli_names_the_missing_file_and_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.toml"
    result = CliRunner().invoke(cli, ["chat", "-m", "fake/echo", "hi"],
                                env={"MODELPLEX_CONFIG": str(missing)}, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: config file {missing} does not exist (named by "
                                     "$MODELPLEX_CONFIG); create it, or name another")
