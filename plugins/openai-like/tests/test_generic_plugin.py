"""The plugin module: registered by its entry point, light to import, settings checked."""

from __future__ import annotations

import subprocess
import sys

import pytest

import modelplex
from modelplex.errors import ConfigurationError


def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_openai_like.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_openai_like import plugin

    info = plugin.PLUGIN.modelplex_provider_info()
    assert info.requires_api_key is False and info.api_key_env == () and info.default_base_url is None


@pytest.mark.parametrize(("settings", "message"), [
    ({"auth": "basic"}, "'auth' must be one of"),
    ({"local": "yes"}, "'local' true or false"),
    ({"query": ["api-version"]}, "'query' must be a table"),
])
def test_bad_settings_are_configuration_errors(settings: dict[str, object], message: str) -> None:
    with modelplex.Client(providers={"x": {"plugin": "openai-like",
                                           "base_url": "http://127.0.0.1:9/v1", **settings}},
                          config_file=False, env={}) as client, pytest.raises(
            ConfigurationError, match=message):
        client.chat("x/m", "hi")
