"""Discovery with every workspace distribution installed: each first-party plugin loads, none fails."""

from __future__ import annotations

import os
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


def test_a_client_and_discovery_of_every_plugin_load_no_attrs() -> None:
    """The classes every plugin's discovery builds (the core's records, the compat library's config,
    profile and plugin object, Azure's and the store's settings) are dataclasses: attrs' import was a
    fifth of the start-up (docs/hot-paths.md). A plugin that needs attrs at import brings it back."""
    code = ("import sys, modelplex; c = modelplex.AsyncClient(); r = c.registry; "
            "assert len(r.records) >= 9 and 'store' in r.lifecycle_plugins, r.failures; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('attr', 'attrs', 'cattrs')))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=True, env={**env, "MODELPLEX_CONFIG": os.devnull})
    assert out.stdout.strip() == "[]", out.stderr


def test_a_client_started_with_an_empty_config_file_loads_no_parser_and_no_platformdirs(
        tmp_path: Path) -> None:
    """Start-up is measured with ``MODELPLEX_CONFIG=/dev/null`` (issue 11: under 100 ms with every plugin):
    an empty file needs no TOML parser, and the store's discovery asks only whether it records, not
    where (whose default needs ``platformdirs``): 3-5 and 5-7 ms of imports that start-up does without."""
    empty = tmp_path / "config.toml"
    empty.write_text("\n  \n")
    code = ("import sys, modelplex; c = modelplex.AsyncClient(); "
            "assert 'store' in c.registry.lifecycle_plugins; "
            "print(sorted(m for m in ('tomllib', 'platformdirs') if m in sys.modules))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=True, env={**env, "MODELPLEX_CONFIG": str(empty)})
    assert out.stdout.strip() == "[]", out.stderr
