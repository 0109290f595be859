"""``modelplex providers test`` with the native plugins' free checks (issue 16, item 2): Anthropic's
``GET /v1/models`` with its own key header, and Ollama's ``/api/tags``, needing no key. The answers are
the plugins' recorded fixtures (plugins/*/tests/fixtures), served on the loopback interface."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail

from modelplex._cli import cli
from modelplex_testing import Reply, ScriptedServer, serving

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"
KEY = "sk-ant-api03-NativeTest0123456789abcd"
HAIKU = "claude-haiku-4-5-20251001"
ANTHROPIC_MODELS = Reply.json({"data": [{"type": "model", "id": HAIKU, "display_name": "Claude Haiku 4.5",
                                         "created_at": "2025-10-01T00:00:00Z"}],
                               "has_more": False, "first_id": HAIKU, "last_id": HAIKU})


def recorded(path: str) -> Reply:
    """The response of a plugin's recorded exchange."""
    response: dict[str, Any] = json.loads((PLUGINS / path).read_text())["response"]
    return Reply.json(response["body"], status=response["status"])


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(("MODELPLEX_", "OLLAMA_")) or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield tmp_path / "config" / "modelplex"
    keyring.set_keyring(previous)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies, **kw: ScriptedServer(replies, **kw)) as start:
        yield start


def run(args: Sequence[str], input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_anthropic_is_tested_by_its_model_listing_with_its_key_header(
        serve: Callable[..., ScriptedServer]) -> None:
    server = serve(ANTHROPIC_MODELS)
    run(["providers", "add", "anthropic", "--base-url", f"http://127.0.0.1:{server.port}"])
    run(["keys", "set", "anthropic"], input=KEY)
    result = run(["providers", "test", "anthropic"])
    assert result.exit_code == 0, result.output
    assert re.match(r"anthropic: ok in \d+\.\d\ds, 1 models listed \(key from the key store", result.stdout)
    [request] = server.requests
    assert (request.method, request.path.split("?")[0]) == ("GET", "/v1/models")
    assert request.headers["x-api-key"] == KEY


def test_anthropic_refusing_the_key_is_named(serve: Callable[..., ScriptedServer]) -> None:
    server = serve(recorded("anthropic/tests/fixtures/09_error_401_authentication.json"))
    run(["providers", "add", "anthropic", "--base-url", f"http://127.0.0.1:{server.port}"])
    run(["keys", "set", "anthropic"], input=KEY)
    result = run(["providers", "test", "anthropic"])
    assert result.exit_code == 1
    assert "authentication failed: anthropic refused the key from the key store" in result.stderr
    assert "invalid x-api-key" in result.stderr
    assert KEY not in result.output


def test_ollama_is_tested_by_its_tags_without_a_key(serve: Callable[..., ScriptedServer]) -> None:
    server = serve(recorded("ollama/tests/fixtures/ollama/05_api_tags_docs.json"),
                   routes={"/api/show": recorded("ollama/tests/fixtures/ollama/06_api_show_docs.json")})
    run(["providers", "add", "ollama", "--base-url", f"http://127.0.0.1:{server.port}"])
    result = run(["providers", "test", "ollama"])
    assert result.exit_code == 0, result.output
    assert re.match(r"ollama: ok in \d+\.\d\ds, \d+ models listed \(key from nowhere: none needed",
                    result.stdout)
    assert server.requests[0].path == "/api/tags"
    assert not any(r.path.startswith("/api/chat") or r.path.startswith("/api/generate")
                   for r in server.requests)  # nothing that runs the model
