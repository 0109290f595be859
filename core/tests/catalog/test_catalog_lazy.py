"""The catalog costs nothing until it is used: not at ``import modelplex``, not when a client is made
or discovers its plugins."""

from __future__ import annotations

import os
import subprocess
import sys

CATALOG_MODULES = ("modelplex._catalog.data", "modelplex._catalog.lookup")


def _loaded(code: str) -> list[str]:
    script = (f"import sys; {code}; "
              f"print(' '.join(m for m in {CATALOG_MODULES!r} if m in sys.modules))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    env["MODELPLEX_CONFIG"] = os.devnull
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env=env, check=True)
    return done.stdout.split()


def test_import_and_a_client_with_its_plugins_discovered_read_no_catalog() -> None:
    assert _loaded("import modelplex") == []
    # Discovery builds every plugin's ProviderInfo, which names its catalog file without reading it.
    assert _loaded("import modelplex; c = modelplex.Client(); c._async.registry; "
                   "modelplex.AsyncClient().registry") == []


def test_the_first_look_up_reads_the_catalog() -> None:
    # The assertion above could not fail if these modules loaded elsewhere: here they do load.
    code = ("import modelplex; from modelplex._plugins import Registry; "
            "from modelplex._catalog.lookup import catalog; "
            "catalog(Registry(env={})).get('openai', 'gpt-4o')")
    assert _loaded(code) == list(CATALOG_MODULES)
