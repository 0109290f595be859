"""The plugin module: light to import, configured from OLLAMA_HOST / OLLAMA_BASE_URL, commands added."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import click
import httpx
import pytest
from modelplex_ollama import plugin
from modelplex_ollama.config import base_url_from_env, normalize_host

import modelplex
from modelplex.errors import ConfigurationError


def test_importing_the_plugin_loads_no_http_library_and_no_rich() -> None:
    code = ("import sys, modelplex_ollama.plugin, modelplex_ollama; "
            "print(sorted(m for m in ('httpx', 'anyio', 'rich', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_provider_info() -> None:
    info = plugin.modelplex_provider_info()
    assert info.base_url_env == ("OLLAMA_HOST", "OLLAMA_BASE_URL") and info.api_key_env == ("OLLAMA_API_KEY",)
    assert info.default_base_url == "http://localhost:11434" and not info.requires_api_key and info.local


@pytest.mark.parametrize(("given", "url"), [
    ("0.0.0.0:11434", "http://127.0.0.1:11434"), ("127.0.0.1", "http://127.0.0.1:11434"),
    ("localhost:8080", "http://localhost:8080"), ("gpu-box", "http://gpu-box:11434"),
    ("http://gpu-box", "http://gpu-box"), ("https://ollama.example", "https://ollama.example"),
    ("ollama.com", "https://ollama.com"), ("[::]:11434", "http://[::1]:11434"), ("::1", "http://[::1]:11434"),
    ("http://proxy:9000/ollama/", "http://proxy:9000/ollama"), (" 127.0.0.1:1234 ", "http://127.0.0.1:1234"),
])
def test_ollama_host_is_read_as_ollama_reads_it(given: str, url: str) -> None:
    assert normalize_host(given) == url


def test_a_bad_address_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="cannot read the address"):
        normalize_host("host:99999")
    with pytest.raises(ConfigurationError, match="scheme 'ftp'"):
        normalize_host("ftp://host")


def test_the_environment_order() -> None:
    assert base_url_from_env({}) == "http://localhost:11434"
    assert base_url_from_env({"OLLAMA_BASE_URL": "http://b:1"}) == "http://b:1"
    assert base_url_from_env({"OLLAMA_HOST": "a", "OLLAMA_BASE_URL": "http://b:1"}) == "http://a:11434"


def _sent(env: dict[str, str], **settings: Any) -> httpx.Request:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"model": "m", "message": {"role": "assistant", "content": "ok"},
                                         "done": True})

    async def go() -> None:
        async with modelplex.AsyncClient(config_file=False, env=env, transport=httpx.MockTransport(handle),
                                         providers={"ollama": settings} if settings else None) as c:
            await c.chat("ollama/m", "hi")

    asyncio.run(go())
    return sent[0]


def test_where_requests_go_and_the_key_only_when_given() -> None:
    assert str(_sent({}).url) == "http://localhost:11434/api/chat"
    request = _sent({"OLLAMA_HOST": "0.0.0.0:7000"})
    assert str(request.url) == "http://127.0.0.1:7000/api/chat" and "authorization" not in request.headers
    cloud = _sent({"OLLAMA_HOST": "ollama.com", "OLLAMA_API_KEY": "key-0123456789"})
    assert str(cloud.url) == "https://ollama.com/api/chat"
    assert cloud.headers["authorization"] == "Bearer key-0123456789"


def test_bad_settings_are_configuration_errors() -> None:
    for settings, message in (({"num_ctx": "big"}, "'num_ctx' must be"),
                              ({"options": [1]}, "'options' must be"),
                              ({"keep_alive": True}, "'keep_alive' must be")):
        with pytest.raises(ConfigurationError, match=message):
            _sent({}, **settings)


def test_the_commands_are_registered_on_the_group() -> None:
    group = click.Group("modelplex")
    plugin.modelplex_register_commands(group)
    assert sorted(group.commands["ollama"].commands) == [  # type: ignore[attr-defined]
        "list", "ps", "pull", "rm", "search", "show", "update"]
