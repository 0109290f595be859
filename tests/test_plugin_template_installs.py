"""Issue 19, item 1: the packages ``modelplex plugin new`` writes install and pass their own tests as
generated, in a fresh environment that holds only them, the workspace's core and test kit (and, for
the OpenAI-compatible variant, modelplex-openai-compat) from local paths, and what those require.

The steps are the ones the generated README gives a new author: ``modelplex plugin new``, install,
``pytest``. 10-14 s per case here (uv's cache warm; 36 s for the three), most of it building
the local wheels.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
UV = shutil.which("uv") or "uv"  # the skip below covers its absence

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")


def sh(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def clean_env() -> dict[str, str]:
    """The environment without the workspace's venv, so that nothing of it leaks into the new one."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not k.startswith("MODELPLEX_")
           and not k.endswith("_API_KEY")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if Path(p) != BIN)
    return env


def generate_and_install(tmp_path: Path, name: str, compat: bool) -> tuple[Path, Path, dict[str, str]]:
    """A fresh venv with the core (as a built wheel, so the templates must ship in it), the test kit
    and pytest; then the package, written by that venv's own ``modelplex plugin new``, installed."""
    env = clean_env()
    venv = tmp_path / "venv"
    created = sh(UV, "venv", "-q", "--python", sys.executable, venv, cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    local = [ROOT / "core", ROOT / "testing"]
    if compat:
        local.append(ROOT / "plugins" / "openai-compat")
    base = sh(UV, "pip", "install", "-q", "--python", python, *local, "pytest", "hypothesis",
              cwd=tmp_path, env=env)
    assert base.returncode == 0, base.stderr
    flag = ["--openai-compatible"] if compat else []
    made = sh(venv / "bin" / "modelplex", "plugin", "new", name, *flag, cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    package = tmp_path / f"modelplex-{name}"
    installed = sh(UV, "pip", "install", "-q", "--python", python, package, cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr
    return package, python, env


def passed(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr


@pytest.mark.parametrize("compat", [True, False], ids=["openai-compatible", "native"])
def test_generated_package_installs_and_passes_its_tests(tmp_path: Path, compat: bool) -> None:
    name = "acme-compat" if compat else "acme-native"
    package, python, env = generate_and_install(tmp_path, name, compat)
    venv_bin = python.parent
    # Only the fresh environment's packages: not one of the workspace's other plugins.
    listed = sh(venv_bin / "modelplex", "plugins", "--json", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    providers = {p["provider"] for p in json.loads(listed.stdout)["plugins"]}
    assert name in providers and "groq" not in providers and "openai" not in providers

    result = sh(python, "-m", "pytest", "-q", "-rs", cwd=package, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = passed(result)
    assert "failed" not in summary and "error" not in summary, summary
    # The entry point, chat, stream, parallel tool calls whole and streamed, the results sent back,
    # chunk boundaries, a cut stream, leaving a stream early, and the error mapping.
    assert summary.startswith("10 passed"), summary


def test_generated_native_plugin_really_parses_its_recordings(tmp_path: Path) -> None:
    """The native package's tests fail once its recorded replies say something else: its reply and
    stream modules read the wire, they do not echo what the tests expect."""
    package, python, env = generate_and_install(tmp_path, "acme-honest", compat=False)
    fixtures = package / "tests" / "fixtures" / "acme-honest"
    for name in ("01_chat.json", "02_stream.json"):
        path = fixtures / name
        text = path.read_text()
        assert "Paris." in text
        path.write_text(text.replace("Paris.", "Lyon."))
    result = sh(python, "-m", "pytest", "-q", "-p", "no:randomly", cwd=package, env=env)
    assert result.returncode == 1
    assert "FAILED tests/test_contract.py::TestContract::test_chat_text" in result.stdout
    assert "FAILED tests/test_contract.py::TestContract::test_stream_text" in result.stdout
