"""The plugin module: light to import, configured from OPENAI_* variables, account headers."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import httpx
import pytest

import modelplex
from modelplex.errors import MissingCredentialsError


def test_importing_the_plugin_loads_no_http_library() -> None:
    code = "import sys, modelplex_openai.plugin; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provider_info() -> None:
    from modelplex_openai import plugin

    info = plugin.PLUGIN.modelplex_provider_info()
    assert info.api_key_env == ("OPENAI_API_KEY",) and info.base_url_env == ("OPENAI_BASE_URL",)
    assert info.default_base_url == "https://api.openai.com/v1" and info.requires_api_key


def _run(env: dict[str, str], **settings: Any) -> httpx.Request:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"id": "r", "model": "m", "status": "completed", "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "ok"}]}]})

    async def go() -> None:
        async with modelplex.AsyncClient(config_file=False, env=env, transport=httpx.MockTransport(
                handle), providers={"openai": settings} if settings else None) as client:
            await client.chat("openai/gpt-4o-mini", "hi")

    asyncio.run(go())
    return sent[0]


def test_key_and_base_url_from_the_environment() -> None:
    sent = _run({"OPENAI_API_KEY": "sk-env-key-0123456789", "OPENAI_BASE_URL": "http://proxy:8/v1/"})
    assert str(sent.url) == "http://proxy:8/v1/responses"
    assert sent.headers["authorization"] == "Bearer sk-env-key-0123456789"


def test_organization_and_project_headers() -> None:
    sent = _run({"OPENAI_API_KEY": "sk-env-key-0123456789"}, organization="org-abc",
                project="proj_xyz")
    assert sent.headers["openai-organization"] == "org-abc"
    assert sent.headers["openai-project"] == "proj_xyz"
    assert str(sent.url) == "https://api.openai.com/v1/responses"


def test_no_key_says_where_to_put_one() -> None:
    with pytest.raises(MissingCredentialsError, match="OPENAI_API_KEY"):
        _run({})


def test_a_bad_api_setting_is_a_configuration_error() -> None:
    from modelplex.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="'api' must be"):
        _run({"OPENAI_API_KEY": "sk-env-key-0123456789"}, api="completions")
