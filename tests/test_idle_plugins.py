"""Installed but unconfigured plugins hook no call (F4, issues 14/15/17/19): with every plugin of the
workspace installed, the store turned off, no budgets, no gateway serving and no OpenTelemetry SDK, a
client's calls pass through no plugin but ``otel`` (whose hooks then return at once, see
plugins/otel/tests/test_idle.py). Before, ``store-budgets``, ``store`` and ``gateway`` were hooked too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = """
    import json
    import modelplex

    def hooked(client):
        life = client.registry.lifecycle
        return sorted({{name for name, _ in (*life.before, *life.attempt, *life.after)}})

    client = modelplex.AsyncClient()
    result = {{"hooked": hooked(client), "extensions": sorted(client.registry.lifecycle_plugins)}}
    if {with_app!r}:
        from modelplex_gateway.app import create_app

        served = modelplex.AsyncClient()
        create_app(served)
        create_app(served)  # two applications on one client count each call once
        result["served"] = hooked(served)
        result["other"] = hooked(modelplex.AsyncClient())
    print(json.dumps(result))
"""


def _hooked(tmp_path: Path, *, store: str | None, with_app: bool = False) -> dict[str, list[str]]:
    config = tmp_path / "config.toml"
    config.write_text("")  # no [[budgets]], no [store]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPLEX_", "OTEL_"))}
    env.update(MODELPLEX_CONFIG=str(config), MODELPLEX_DATA_DIR=str(tmp_path / "data"))
    if store is not None:
        env["MODELPLEX_STORE"] = store
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT.format(with_app=with_app))],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_with_the_store_off_only_otel_hooks_calls(tmp_path: Path) -> None:
    result = _hooked(tmp_path, store="off")
    # Installed and loaded (as extensions with commands or nothing), just not on the calls' path.
    assert {"store", "store-budgets", "gateway", "otel"} <= set(result["extensions"])
    assert result["hooked"] == ["otel"]


def test_with_the_store_on_it_hooks_calls(tmp_path: Path) -> None:
    result = _hooked(tmp_path, store=None)
    assert "store" in result["hooked"]
    assert "store-budgets" not in result["hooked"] and "gateway" not in result["hooked"]


def test_the_gateway_counts_the_calls_of_its_own_client_only(tmp_path: Path) -> None:
    result = _hooked(tmp_path, store="off", with_app=True)
    assert "gateway-metrics" in result["served"]  # (with the keys' admitter the app also registers)
    assert result["other"] == ["otel"]
