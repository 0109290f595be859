"""``modelplex embed`` (issue 16, item 4): texts, files or standard input; one vector per line or JSON."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli
from modelplex_testing import modelplex_command


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)
    for name in ("MODELPLEX_PLUGINS", "MODELPLEX_DISABLE_PLUGINS", "MODELPLEX_FAKE_SCRIPT"):
        monkeypatch.delenv(name, raising=False)


def run(args: Sequence[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["embed", "-m", "fake/embedder", *args], input=stdin,
                              catch_exceptions=False, prog_name="modelplex")


def vectors(result: Result) -> list[list[float]]:
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_each_text_is_one_vector_per_line_in_order() -> None:
    both = vectors(run(["alpha", "beta"]))
    assert len(both) == 2 and all(len(v) == 8 for v in both)
    assert vectors(run(["beta"])) == [both[1]]  # the fake's vector depends on its text alone


def test_dimensions_reach_the_provider() -> None:
    assert [len(v) for v in vectors(run(["-d", "3", "alpha"]))] == [3]


def test_files_are_one_input_each_after_the_texts(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("two words\nand more", encoding="utf-8")
    got = vectors(run(["beta", "-i", str(tmp_path / "a.txt"), "-i", str(tmp_path / "b.txt")]))
    assert got == vectors(run(["beta", "alpha", "two words\nand more"]))


def test_standard_input_is_one_input_or_one_per_line_with_lines() -> None:
    assert vectors(run([], stdin="alpha\n")) == vectors(run(["alpha"]))
    assert vectors(run(["--lines"], stdin="alpha\n\n  \nbeta\n")) == vectors(run(["alpha", "beta"]))


def test_json_is_one_object_with_vectors_usage_and_cost() -> None:
    result = run(["--json", "-d", "4", "alpha", "beta gamma"])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    data = json.loads(result.stdout)
    assert set(data) == {"provider", "model", "dimensions", "vectors", "usage", "cost", "warnings"}
    assert (data["provider"], data["model"], data["dimensions"]) == ("fake", "embedder", 4)
    assert data["vectors"] == vectors(run(["-d", "4", "alpha", "beta gamma"]))
    assert data["usage"] == {"input": 3}  # the fake counts words
    assert data["warnings"] == []


@pytest.mark.parametrize(("args", "stdin", "said"), [
    (["alpha", ""], None, "error: TEXT 2 is empty: there is nothing to embed"),
    ([], "", "error: standard input is empty: there is nothing to embed"),
    (["--lines"], "\n \n", "error: standard input is empty: there is nothing to embed"),
    (["-i", "/nonexistent/x.txt"], None, "error: -i '/nonexistent/x.txt': cannot read it: "
                                         "No such file or directory"),
    (["-d", "0", "x"], None, "error: Invalid value for '-d' / '--dimensions': 0 is not in the range x>=1."
                             " (see 'modelplex embed --help')"),
])
def test_unusable_input_is_one_error_line(args: list[str], stdin: str | None, said: str) -> None:
    result = run(args, stdin)
    assert result.exit_code == 2
    assert result.stderr.strip() == said


def test_a_file_that_is_not_text_is_named(tmp_path: Path) -> None:
    (tmp_path / "b.bin").write_bytes(b"\xff\xfe\x00binary")
    result = run(["-i", str(tmp_path / "b.bin")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: -i '{tmp_path / 'b.bin'}': not UTF-8 text"


def test_an_unknown_provider_is_one_error_line() -> None:
    result = CliRunner().invoke(cli, ["embed", "-m", "nope/x", "alpha"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1


def test_the_installed_command_reads_standard_input() -> None:
    env = {**os.environ, "MODELPLEX_CONFIG": os.devnull}
    done = subprocess.run([modelplex_command(), "embed", "-m", "fake/embedder", "--lines"],
                          input="alpha\nbeta\n", capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == vectors(run(["alpha", "beta"]))
