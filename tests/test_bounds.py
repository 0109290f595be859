"""Bounded on hostile input: a gzip bomb, or a plain body of 50 MiB, costs a call its error, not the
process's memory.

A loopback server answers every request with a 1 MiB gzip body that inflates to 1 GiB (or a plain one
of 50 MiB), to the OpenAI-compatible, Anthropic, Gemini and Ollama plugins, read whole and streamed.
Each call runs in a process of its own (``bounds_run.py``), which reports its peak resident memory
(``VmHWM``, else ``ru_maxrss``): before the bounds, every bomb peaked at 2.1 to 4.1 GiB; now each call
fails with a ``ResponseParseError`` naming the provider, the limit and the setting that raises it,
within 400 MiB (measured: 65 MiB streamed, 180 MiB whole, the 128 MiB whole-reply limit included).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from modelplex_testing.loopback import LoopbackServer

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024
PEAK_LIMIT_MIB = 400
BOMB = 1024 * MIB  # what the bomb inflates to

# The start of a reply in each framing; the rest is one endless string of "a".
JSON_HEAD = b'{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"content":"'
SSE_HEAD = b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"'
NDJSON_HEAD = b'{"model":"m","message":{"role":"assistant","content":"'


@cache
def bomb(head: bytes) -> bytes:
    """``head`` and then ``a`` up to 1 GiB, gzipped (about 1 MiB)."""
    z = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"a" * MIB
    parts = [z.compress(head)] + [z.compress(block) for _ in range(BOMB // MIB)] + [z.flush()]
    return b"".join(parts)


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that stopped reading
            super().handle_error(request, client_address)


class Hostile(LoopbackServer):
    """Answers every request with ``body``, as ``content_type``, gzip-encoded if ``gzip``; with its
    length declared if ``length``, else until the connection closes."""

    def __init__(self, body: bytes, content_type: str, *, gzip: bool, length: bool = True) -> None:
        self.body, self.content_type, self.gzip, self.length = body, content_type, gzip, length

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(200)
                self.send_header("content-type", outer.content_type)
                if outer.gzip:
                    self.send_header("content-encoding", "gzip")
                if outer.length:
                    self.send_header("content-length", str(len(outer.body)))
                else:
                    self.send_header("connection", "close")
                    self.close_connection = True
                self.end_headers()
                with contextlib.suppress(OSError):  # the client stopped reading: what bounds are for
                    self.wfile.write(outer.body)

        outer = self
        super().__init__(Handler, server_class=_Quiet)


# plugin, its model, and the path the server's URL needs (the server answers on any path)
PLUGINS = {
    "openai-like": ("m", "/v1"),
    "anthropic": ("claude-sonnet-4-5", ""),
    "gemini": ("gemini-2.5-flash", ""),
    "ollama": ("llama3.2", ""),
}


def run(tmp_path: Path, plugin: str, url: str, mode: str, backend: str = "asyncio",
        **settings: int) -> dict[str, Any]:
    model, path = PLUGINS[plugin]
    lines = ["[providers.hostile]", f'plugin = "{plugin}"', f'base_url = "{url}{path}"', 'api_key = "k"',
             "call_timeout = 60", *(f"{k} = {v}" for k, v in settings.items())]
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    command = [sys.executable, str(HERE / "bounds_run.py"), str(config), f"hostile/{model}", mode, backend]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{plugin} {mode} on {backend}: {result['outcome']}, peak {result['peak_mib']:.0f} MiB "
          f"(before the call {result['peak_before_mib']:.0f} MiB), {result['cpu_seconds']:.2f} CPU s")
    return result


def refused(result: dict[str, Any], setting: str, limit: int) -> None:
    assert result["outcome"] == "ResponseParseError", result
    assert setting in result["message"] and f"{limit:,} bytes" in result["message"], result
    assert "hostile" in result["message"], result  # the provider, by its configured name
    assert result["peak_mib"] < PEAK_LIMIT_MIB, result


@pytest.fixture(params=sorted(PLUGINS))
def plugin(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def whole_bomb() -> Iterator[Hostile]:
    with Hostile(bomb(JSON_HEAD), "application/json", gzip=True) as server:
        yield server


def test_a_gzip_bomb_read_whole_is_refused_within_bounded_memory(plugin: str, whole_bomb: Hostile,
                                                                 tmp_path: Path) -> None:
    refused(run(tmp_path, plugin, whole_bomb.url, "chat"), "max_response_bytes", 128 * MIB)


def test_a_gzip_bomb_streamed_is_refused_within_bounded_memory(plugin: str, tmp_path: Path) -> None:
    body, kind = ((bomb(NDJSON_HEAD), "application/x-ndjson") if plugin == "ollama"
                  else (bomb(SSE_HEAD), "text/event-stream"))
    with Hostile(body, kind, gzip=True, length=False) as server:
        refused(run(tmp_path, plugin, server.url, "stream"), "max_event_bytes", 16 * MIB)


@pytest.fixture(scope="module")
def plain_50_mib() -> bytes:
    return JSON_HEAD + b"a" * (50 * MIB) + b'"}}]}'


@pytest.mark.parametrize("length", [True, False], ids=["declared", "until-close"])
def test_a_plain_50_mib_reply_past_a_configured_limit_is_refused(plain_50_mib: bytes, length: bool,
                                                                 tmp_path: Path) -> None:
    """The limit is the provider's setting: 16 MiB here, so 50 MiB of plain JSON is refused, whether
    its length is declared (refused before reading) or not (refused once 16 MiB have arrived)."""
    with Hostile(plain_50_mib, "application/json", gzip=False, length=length) as server:
        result = run(tmp_path, "openai-like", server.url, "chat", max_response_bytes=16 * MIB)
    refused(result, "max_response_bytes", 16 * MIB)


def test_a_plain_50_mib_stream_event_is_refused(plain_50_mib: bytes, tmp_path: Path) -> None:
    with Hostile(SSE_HEAD + plain_50_mib[len(JSON_HEAD):], "text/event-stream", gzip=False,
                 length=False) as server:
        refused(run(tmp_path, "openai-like", server.url, "stream"), "max_event_bytes", 16 * MIB)


@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_the_httpx_path_is_bounded_too(mode: str, whole_bomb: Hostile, tmp_path: Path) -> None:
    """Under trio the client sends through httpx's own transport, not aiohttp: the same bounds hold."""
    if mode == "chat":
        refused(run(tmp_path, "openai-like", whole_bomb.url, mode, "trio"), "max_response_bytes", 128 * MIB)
        return
    with Hostile(bomb(SSE_HEAD), "text/event-stream", gzip=True, length=False) as server:
        refused(run(tmp_path, "openai-like", server.url, mode, "trio"), "max_event_bytes", 16 * MIB)
