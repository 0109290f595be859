"""Installing distributions for real: core alone, then a third-party plugin built from source.

This is the promise of the design: `pip install` a plugin and its provider appears and answers, with no
change to the core. It uses uv (a declared test dependency) to build fresh virtual environments.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1]

PLUGIN_PYPROJECT = """
[project]
name = "modelplex-tiny"
version = "0.3.0"
requires-python = ">=3.11"
dependencies = ["modelplex>=0.1,<1"]

[project.entry-points."modelplex.plugins"]
tiny = "modelplex_tiny"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

PLUGIN_MODULE = """
from modelplex import ChatResponse, ProviderInfo, TextPart, Usage
from modelplex.hookspecs import SPEC_VERSION, hookimpl


@hookimpl
def modelplex_provider_info():
    return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False, description="tiny test plugin")


@hookimpl
def modelplex_chat(ctx, request):
    async def run():
        text = "tiny says: " + request.messages[-1].text
        return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text=text)],
                            usage=Usage(input=1, output=3))
    return run()
"""


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(found).exists():
        pytest.skip("uv is not installed in this environment (it is a declared test dependency)")
    return found


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600,
                          env=env, check=False)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("install")
    uv = _uv()
    made = _run(uv, "venv", "--quiet", "--python", sys.executable, root / "venv")
    assert made.returncode == 0, made.stderr
    python = root / "venv" / "bin" / "python"
    installed = _run(uv, "pip", "install", "--quiet", "--python", python, CORE)
    assert installed.returncode == 0, installed.stderr
    return root


def _cli(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    env["MODELPLEX_CONFIG"] = os.devnull
    return _run(venv / "venv" / "bin" / "modelplex", *args, env=env)


def test_core_alone_starts_without_anything_heavy(venv: Path) -> None:
    # Installed for real (not the workspace's editable copies): import, discovery and a client load
    # no HTTP stack, no logging and no importlib.metadata (whose import alone cost ~18 ms).
    code = ("import sys; import modelplex; c = modelplex.AsyncClient(); c.registry; "
            "heavy = ('httpx', 'aiohttp', 'anyio', 'structlog', 'logging', 'email', 'importlib.metadata'); "
            "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    env["MODELPLEX_CONFIG"] = os.devnull
    done = _run(venv / "venv" / "bin" / "python", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_core_alone_lists_no_providers_then_a_built_plugin_appears_and_answers(venv: Path) -> None:
    alone = _cli(venv, "plugins")
    assert alone.returncode == 0, alone.stderr
    assert "tiny" not in alone.stdout and "fake" not in alone.stdout

    source = venv / "modelplex-tiny"
    (source / "modelplex_tiny").mkdir(parents=True)
    (source / "pyproject.toml").write_text(textwrap.dedent(PLUGIN_PYPROJECT))
    (source / "modelplex_tiny" / "__init__.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    python = venv / "venv" / "bin" / "python"
    # The plugin's dependency on modelplex is satisfied by the core already installed: nothing else moves.
    installed = _run(_uv(), "pip", "install", "--quiet", "--python", python, source)
    assert installed.returncode == 0, installed.stderr

    listed = _cli(venv, "plugins")
    assert listed.returncode == 0, listed.stderr
    assert "tiny" in listed.stdout and "modelplex-tiny" in listed.stdout and "0.3.0" in listed.stdout

    reply = _cli(venv, "chat", "-m", "tiny/any-model", "--no-stream", "--json", "hello")
    assert reply.returncode == 0, reply.stderr
    data = json.loads(reply.stdout)
    assert (data["provider"], data["model"], data["text"]) == ("tiny", "any-model", "tiny says: hello")
    assert data["usage"]["output"] == 3
