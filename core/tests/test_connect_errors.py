"""A refused connection is one line: the address, one plain cause, and the setting that chose the base URL
(issue 16: it read ``connection failed: ConnectError: ClientConnectorError: Cannot connect to host
127.0.0.1:9 ssl:default [...]``, two exception names and ``ssl:default`` for an ``http://`` URL)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import modelplex
from modelplex import ChatResponse, ProviderInfo
from modelplex._cli import cli
from modelplex.errors import TransportError
from modelplex.hookspecs import SPEC_VERSION, hookimpl

SECRET = "sk-connect-test-0123456789abcdef"


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed


class Wired:
    """A plugin that sends its chat over ``ctx.http`` to its base URL."""

    def __init__(self, default: str = "http://127.0.0.1:9") -> None:
        self.default = default

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=("WIRED_API_KEY",),
                            base_url_env=("WIRED_BASE_URL",), default_base_url=self.default)

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            await ctx.http.post(f"{ctx.settings.base_url}/chat", json={"model": request.model},
                                headers={"authorization": f"Bearer {ctx.api_key()}"})
            raise AssertionError("nothing listens there")
        return run()


def refused(client: modelplex.Client) -> str:
    with client, pytest.raises(TransportError) as caught:
        client.chat("wired/m", "hi")
    message = caught.value.message
    assert SECRET not in message and SECRET not in str(caught.value)
    return message


def test_from_an_environment_variable() -> None:
    url = refused_url()
    message = refused(modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=False,
                                       env={"WIRED_BASE_URL": url, "WIRED_API_KEY": SECRET}))
    host = url.removeprefix("http://")
    assert message == (f"wired/m: cannot connect to {host}: connection refused (POST {url}/chat, "
                       "base_url from WIRED_BASE_URL)")


def test_from_the_config_file(tmp_path: Path) -> None:
    url = refused_url()
    config = tmp_path / "config.toml"
    config.write_text(f'[providers.wired]\nbase_url = "{url}"\n', encoding="utf-8")
    message = refused(modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=config,
                                       env={"WIRED_API_KEY": SECRET}))
    assert message.endswith(f"(POST {url}/chat, base_url from [providers.wired] in config file {config})")


def test_from_the_client_argument_and_from_the_plugin_default() -> None:
    url = refused_url()
    given = refused(modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=False,
                                     env={"WIRED_API_KEY": SECRET}, providers={"wired": {"base_url": url}}))
    assert given.endswith("base_url from the client's providers= argument)")
    default = refused(modelplex.Client(plugins={"wired": Wired(url)}, autoload=False, config_file=False,
                                       env={"WIRED_API_KEY": SECRET}))
    assert default.endswith("base_url from the wired plugin's default)")


def test_an_unknown_host_says_so_in_plain_words() -> None:
    message = refused(modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=False,
                                       env={"WIRED_BASE_URL": "http://nonexistent.invalid:8080",
                                            "WIRED_API_KEY": SECRET}))
    assert message.startswith("wired/m: cannot connect to nonexistent.invalid:8080: "
                              "the host name could not be resolved")


def test_the_command_line_shows_one_line_with_no_exception_names(monkeypatch: pytest.MonkeyPatch) -> None:
    url = refused_url()
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)
    client = modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=False,
                              env={"WIRED_BASE_URL": url, "WIRED_API_KEY": SECRET})
    result = CliRunner().invoke(cli, ["chat", "--no-stream", "-m", "wired/m", "hi"], obj=client,
                                catch_exceptions=False)
    client.close()
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: wired/m: cannot connect to {url.removeprefix('http://')}: connection refused "
                     f"(POST {url}/chat, base_url from WIRED_BASE_URL)"]
    for noise in ("ssl:default", "ConnectError", "ClientConnectorError", "Errno", SECRET):
        assert noise not in result.stderr
