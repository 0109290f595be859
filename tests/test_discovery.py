"""Discovery with every workspace distribution installed: each first-party plugin loads, none fails."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import modelplex
from modelplex._plugins import Registry

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> dict[str, str]:
    """Entry-point names of the workspace's plugin distributions, mapped to their distribution."""
    out: dict[str, str] = {}
    for pyproject in sorted([*ROOT.glob("plugins/*/pyproject.toml"), ROOT / "testing" / "pyproject.toml"]):
        project = tomllib.loads(pyproject.read_text())["project"]
        for name in project.get("entry-points", {}).get("modelplex.plugins", {}):
            out[name] = project["name"]
    return out


def test_every_first_party_plugin_loads_without_failure() -> None:
    declared = _declared()
    assert "fake" in declared
    registry = Registry(env={})
    assert registry.failures == {}
    loaded = {**registry.records, **registry.lifecycle_plugins}  # providers and lifecycle plugins (store)
    assert {name: loaded[name].distribution for name in declared} == declared


def test_every_first_party_plugin_speaks_the_current_contract() -> None:
    registry = Registry(env={})
    for record in registry.records.values():
        assert record.info.spec_version == modelplex.hookspecs.SPEC_VERSION, record.name
        assert "modelplex_chat" in record.hooks, record.name


def test_the_command_lists_every_plugin() -> None:
    exe = Path(sys.executable).with_name("modelplex")
    out = subprocess.run([str(exe), "plugins"], capture_output=True, text=True, timeout=60, check=True)
    for name, dist in _declared().items():
        assert name in out.stdout and dist in out.stdout


def test_discovering_every_plugin_imports_no_http_library() -> None:
    code = ("import sys, modelplex; from modelplex._plugins import Registry; Registry(env={}); "
            "print(sorted(m for m in ('httpx', 'httpx_sse', 'aiohttp', 'anyio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=True)
    assert out.stdout.strip() == "[]"
