"""A server without the Responses API is tried once, not once per process (issue 16: every CLI call first
sent a request that failed with 404, then warned that Chat Completions "will be used for this base URL from
now on", which lasted one process)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from modelplex_openai import route_cache

import modelplex
from modelplex_testing import cli_env, modelplex_command, serving
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "sk-route-cache-0123456789abcdef"
NO_RESPONSES = {"/v1/responses": Reply.json({"error": {
    "message": "Invalid URL (POST /v1/responses)", "type": "invalid_request_error"}}, status=404)}
ANSWER = Reply.json({"id": "c", "model": "m", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"content": "from chat completions"}}]})


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serving(lambda: ScriptedServer([ANSWER], NO_RESPONSES)) as start:
        yield start()


def chat(server: ScriptedServer, config: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = cli_env(config, drop=("OPENAI_",), OPENAI_BASE_URL=server.url, OPENAI_API_KEY=KEY,
                  MODELPLEX_CACHE_DIR=str(cache))
    return subprocess.run([modelplex_command(), "chat", "-m", "openai/gpt-4o-mini", "hi"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def paths(server: ScriptedServer) -> list[str]:
    return [r.path for r in server.requests]


def test_the_second_process_sends_nothing_to_responses(server: ScriptedServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = chat(server, tmp_path / "config.toml", cache)
    assert first.returncode == 0, first.stderr
    assert paths(server) == ["/v1/responses", "/v1/chat/completions"]
    assert "warning: this server has no Responses API" in first.stderr
    second = chat(server, tmp_path / "config.toml", cache)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "from chat completions\n"
    assert paths(server) == ["/v1/responses", "/v1/chat/completions", "/v1/chat/completions"]
    assert second.stderr == "", "warned about once, by the process that found out"
    written = (cache / route_cache.FILE_NAME).read_text(encoding="utf-8")
    assert KEY not in written
    assert json.loads(written)["routes"][server.url]["api"] == "chat_completions"


def test_a_stale_entry_is_checked_again(server: ScriptedServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = int(time.time()) - route_cache.TTL - 1
    (cache / route_cache.FILE_NAME).write_text(json.dumps(
        {"version": 1, "routes": {server.url: {"api": "chat_completions", "at": stale}}}), encoding="utf-8")
    done = chat(server, tmp_path / "config.toml", cache)
    assert done.returncode == 0, done.stderr
    assert paths(server) == ["/v1/responses", "/v1/chat/completions"]


@pytest.mark.parametrize("content", ["{not json", '{"version": 99, "routes": {}}', '["a list"]',
                                     '{"version": 1, "routes": {"x": "y"}}'])
def test_a_cache_file_it_cannot_use_is_no_cache(server: ScriptedServer, tmp_path: Path, content: str) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / route_cache.FILE_NAME).write_text(content, encoding="utf-8")
    done = chat(server, tmp_path / "config.toml", cache)
    assert done.returncode == 0, done.stderr
    assert paths(server) == ["/v1/responses", "/v1/chat/completions"]


def test_a_cache_directory_it_cannot_write_still_answers(server: ScriptedServer, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    done = chat(server, tmp_path / "config.toml", blocker / "cache")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "from chat completions\n"


def test_the_key_is_the_url_without_its_user_part_or_query() -> None:
    assert route_cache.cache_key("http://user:pw@127.0.0.1:8080/v1/?api-key=sk-x#f") == \
        "http://127.0.0.1:8080/v1"
    assert route_cache.cache_key("https://[::1]/v1") == "https://[::1]/v1"
    assert route_cache.cache_key("not a url") is None


def client(base_url: str, transport: Any = None) -> modelplex.Client:
    return modelplex.Client(providers={"openai": {"base_url": base_url, "api_key": KEY, "api": "auto"}},
                            config_file=False, env={}, transport=transport)


def test_through_a_mock_transport_nothing_is_written(own_cache_dir: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/responses"):
            return httpx.Response(404, json={"error": {"message": "Invalid URL (POST /v1/responses)"}})
        return httpx.Response(200, json={"id": "c", "model": "m", "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"content": "ok"}}]})

    with client("http://127.0.0.1:9/v1", httpx.MockTransport(handler)) as c:
        reply = c.chat("openai/gpt-4o-mini", "hi")
    assert [w.code for w in reply.warnings] == ["api-fallback"]
    assert reply.warnings[0].message.endswith(
        "will be for this base URL by this client. Set api = \"chat_completions\" under "
        "[providers.NAME] to skip the check.")
    assert not (own_cache_dir / route_cache.FILE_NAME).exists()


def test_openai_itself_is_never_remembered_without_responses(own_cache_dir: Path,
                                                             server: ScriptedServer) -> None:
    with client(server.url) as c:
        ctx = c._async.context("openai")
    assert route_cache.remembers(ctx, server.url)
    assert not route_cache.remembers(ctx, "https://api.openai.com/v1")


def test_a_client_reads_the_file_on_its_first_chat_only(own_cache_dir: Path, server: ScriptedServer) -> None:
    own_cache_dir.mkdir()
    learned = {"version": 1, "routes": {server.url: {"api": "chat_completions", "at": int(time.time())}}}
    (own_cache_dir / route_cache.FILE_NAME).write_text(json.dumps(learned), encoding="utf-8")
    with client(server.url) as c:
        first = c.chat("openai/gpt-4o-mini", "hi")
        (own_cache_dir / route_cache.FILE_NAME).unlink()  # read already: the client goes on as it learned
        c.chat("openai/gpt-4o-mini", "hi")
    assert first.warnings == ()
    assert paths(server) == ["/v1/chat/completions", "/v1/chat/completions"]
