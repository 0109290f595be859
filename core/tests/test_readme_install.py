"""What the README tells a new user and a contributor holds (issue 16): the install line from a checkout
names every package it needs and works; the skip reasons of the test sessions are shown; the system
packages the full check needs are the ones ``.ci/run`` installs."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def install_line() -> list[str]:
    lines = [line.split()[2:] for line in README.read_text(encoding="utf-8").splitlines()
             if line.startswith("pip install ./")]
    assert len(lines) == 1, "the README gives one install line from a checkout"
    return lines[0]


def project(directory: Path) -> dict[str, object]:
    with (directory / "pyproject.toml").open("rb") as f:
        data: dict[str, object] = tomllib.load(f)["project"]
    return data


def test_the_install_line_names_each_workspace_package_it_needs() -> None:
    named = {project(ROOT / path)["name"]: ROOT / path for path in install_line()}
    assert {"modelplex", "modelplex-openai"} <= set(named)
    members = {str(project(p.parent)["name"]): p.parent for p in
               [ROOT / "core" / "pyproject.toml", *ROOT.glob("plugins/*/pyproject.toml")]}
    for name, directory in named.items():
        requires = project(directory).get("dependencies", [])
        assert isinstance(requires, list)
        for requirement in requires:
            dependency = re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0]
            if dependency in members:  # not on PyPI before a release: pip must be given its directory
                assert dependency in named, f"{name} needs {dependency}, which the README does not name"


def test_the_install_line_gives_a_working_openai_provider(tmp_path: Path) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed in this environment (it is a declared test dependency)")
    made = subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, tmp_path / "venv"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert made.returncode == 0, made.stderr
    python = tmp_path / "venv" / "bin" / "python"
    installed = subprocess.run([uv, "pip", "install", "--quiet", "--python", python, *install_line()],
                               cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert installed.returncode == 0, installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    env["MODELPLEX_CONFIG"] = os.devnull
    listed = subprocess.run([tmp_path / "venv" / "bin" / "modelplex", "plugins", "--json"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    assert [p["provider"] for p in json.loads(listed.stdout)["plugins"]] == ["openai"]


def test_the_test_sessions_show_why_tests_were_skipped() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    session = next(f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "tests")
    # Each pytest command line of the session (a list, run as it is or handed to the coverage runner;
    # the workspace's tests marked `alone` have a second one).
    runs = [[a.value for a in node.elts if isinstance(a, ast.Constant)] for node in ast.walk(session)
            if isinstance(node, ast.List)]
    runs += [[a.value for a in call.args if isinstance(a, ast.Constant)] for call in ast.walk(session)
             if isinstance(call, ast.Call)]
    runs = [args for args in runs if "pytest" in args]
    assert runs
    assert all("-rs" in args for args in runs), runs


def test_the_readme_names_each_system_package_ci_installs() -> None:
    found = re.search(r"^DEBIAN_PACKAGES=\(([^)]*)\)", (ROOT / ".ci" / "run").read_text(encoding="utf-8"),
                      re.MULTILINE)
    assert found is not None
    readme = README.read_text(encoding="utf-8")
    for package in found[1].split():
        assert f"`{package}`" in readme, f".ci/run installs {package}; the README does not say so"
