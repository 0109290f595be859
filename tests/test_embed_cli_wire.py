"""``modelplex embed`` through the installed command against an OpenAI-format loopback server (issue 16,
item 4): what goes on the wire, and the vectors back in input order."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelplex_testing import cli_env, modelplex_command, serving
from modelplex_testing.compat_server import Reply, ScriptedServer

KEY = "sk-embed-wire-0123456789abcdef"
EMBEDDINGS = Reply.json({"object": "list", "model": "text-embedding-3-small",
                         "data": [{"index": 1, "embedding": [0.0, 1.0]},
                                  {"index": 0, "embedding": [1.0, 0.5]}],
                         "usage": {"prompt_tokens": 5, "total_tokens": 5}})


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    with serving(lambda *replies: ScriptedServer(replies)) as start:
        yield start


def embed(server: ScriptedServer, tmp_path: Path, *args: str, stdin: str | None = None
          ) -> subprocess.CompletedProcess[str]:
    env = cli_env(tmp_path / "config.toml", drop=("OPENAI_",), OPENAI_BASE_URL=server.url,
                  OPENAI_API_KEY=KEY)
    return subprocess.run([modelplex_command(), "embed", "-m", "openai/text-embedding-3-small", *args],
                          input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_texts_go_out_as_one_request_and_come_back_one_vector_per_line(serve: Any, tmp_path: Path) -> None:
    server = serve(EMBEDDINGS)
    done = embed(server, tmp_path, "--dimensions", "2", "first", "second")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[1.0, 0.5]", "[0.0, 1.0]"]  # by index, not by arrival
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/v1/embeddings")]
    assert server.requests[0].json == {"model": "text-embedding-3-small", "input": ["first", "second"],
                                       "dimensions": 2}
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in done.stdout + done.stderr


def test_standard_input_lines_and_json(serve: Any, tmp_path: Path) -> None:
    server = serve(EMBEDDINGS)
    done = embed(server, tmp_path, "--lines", "--json", stdin="first\nsecond\n")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["provider"] == "openai" and data["dimensions"] == 2
    assert data["vectors"] == [[1.0, 0.5], [0.0, 1.0]] and data["usage"] == {"input": 5}
    assert server.requests[0].json["input"] == ["first", "second"]


def test_a_server_error_is_one_line(serve: Any, tmp_path: Path) -> None:
    server = serve(Reply.json({"error": {"message": "model not found", "type": "invalid_request_error"}},
                              status=404))
    done = embed(server, tmp_path, "x")
    assert done.returncode == 1
    assert done.stderr.startswith("error: openai/text-embedding-3-small: model not found")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
