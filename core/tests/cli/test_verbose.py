"""``modelplex -v`` shows the config file read, each request's method, URL, status and time, the retries
and the fallbacks, and never a secret (issue 16: it logged one line)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import modelplex
from modelplex import ChatResponse, ProviderInfo, TextPart
from modelplex._cli import cli
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex.toolkit import error_for_status
from modelplex_testing import serving
from modelplex_testing.compat_server import Reply, ScriptedServer

SECRET = "sk-verbose-0123456789abcdefghij"
HEADER_SECRET = "hdr-verbose-9876543210zyxwvu"
OK = Reply.json({"text": "hello from two"})
DOWN = Reply.json({"error": "overloaded"}, status=503)


class Wired:
    """Chat over HTTP: POST {base_url}/chat/completions with the key, the answer's ``text`` back."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION)

    @hookimpl
    def modelplex_chat(self, ctx: modelplex.ProviderContext, request: modelplex.ChatRequest) -> Any:
        async def run() -> ChatResponse:
            response = await ctx.post_json(f"{ctx.settings.base_url}/chat/completions",
                                           {"model": request.model},
                                           {"authorization": f"Bearer {ctx.api_key()}"})
            if response.status_code >= 400:
                raise error_for_status(response.status_code, response.text, provider=ctx.name,
                                       model=request.model)
            return ChatResponse(provider=ctx.name, model=request.model,
                                parts=[TextPart(text=response.json()["text"])])
        return run()


@pytest.fixture
def servers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    with serving(lambda replies: ScriptedServer(replies)) as start:
        yield start([DOWN]), start([OK])


def test_verbose_shows_config_requests_retries_and_the_fallback_without_a_secret(
        servers: tuple[ScriptedServer, ScriptedServer], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    down, up = servers
    config = tmp_path / "config.toml"
    config.write_text(
        f'[providers.one]\nplugin = "wired"\nbase_url = "{down.url}"\napi_key = "{SECRET}"\n'
        f'headers = {{ "X-Auth-Token" = "{HEADER_SECRET}" }}\n'
        f'[providers.two]\nplugin = "wired"\nbase_url = "{up.url}"\napi_key = "{SECRET}"\n'
        '[routing]\nbackoff = 0\n[chains.pair]\nmodels = ["one/m", "two/m"]\nretries = 1\n', encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)
    client = modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=config, env={})
    try:
        result = CliRunner().invoke(cli, ["-v", "chat", "--no-stream", "-m", "chain/pair", "hi"], obj=client,
                                    catch_exceptions=False)
    finally:
        client.close()
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hello from two\n"
    log = result.stderr
    assert SECRET not in log and HEADER_SECRET not in log
    named = r"named_by='?Client\(config_file=\.\.\.\)'?"
    assert re.search(rf"config_read .*{named} path={re.escape(str(config))}", log), log
    requests = [line for line in log.splitlines() if "] http " in line]
    assert len(requests) == 3, log  # one, one again, then two
    for line, server, status in zip(requests, (down, down, up), (503, 503, 200), strict=True):
        assert "method=POST" in line and f"url={server.url}/chat/completions" in line
        assert f"status={status}" in line and re.search(r"ms=\d+\.\d", line)
    attempts = [line for line in log.splitlines() if "route_attempt" in line]
    assert [re.search(r"kind=(\w+)", a)[1] for a in attempts] == ["first", "retry", "fallback"]  # type: ignore[index]
    assert "model=two/m" in attempts[-1] and "outcome=answered" in attempts[-1]
    assert "failed:" in attempts[0] and "(HTTP 503)" in attempts[0]


def test_a_request_that_cannot_connect_is_logged_with_its_url(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)
    client = modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=False, env={},
                              providers={"wired": {"base_url": url, "api_key": SECRET}})
    try:
        result = CliRunner().invoke(cli, ["-v", "chat", "--no-stream", "-m", "wired/m", "hi"], obj=client,
                                    catch_exceptions=False)
    finally:
        client.close()
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if "http_failed" in line]
    assert len(failed) == 1 and f"url={url}/chat/completions" in failed[0] and "method=POST" in failed[0]
    assert SECRET not in result.stderr


def test_without_verbose_nothing_is_logged(servers: tuple[ScriptedServer, ScriptedServer],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _, up = servers
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)
    client = modelplex.Client(plugins={"wired": Wired()}, autoload=False, config_file=False, env={},
                              providers={"wired": {"base_url": up.url, "api_key": SECRET}})
    try:
        result = CliRunner().invoke(cli, ["chat", "--no-stream", "-m", "wired/m", "hi"], obj=client,
                                    catch_exceptions=False)
    finally:
        client.close()
    assert result.exit_code == 0 and result.stderr == ""
