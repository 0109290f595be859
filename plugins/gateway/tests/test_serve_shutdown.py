"""``modelplex serve`` as a person runs it: a real process, stopped with SIGTERM while a stream is in
flight. The stream finishes (every event, then ``[DONE]``), the process exits cleanly, and the call's usage
row is in the store: the client is closed only after the last request in flight has ended."""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path

import httpx
import modelplex_store
from gateway_server import UPSTREAM_KEY, free_port, sse_data, wait_for

from modelplex_testing import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

USAGE = {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}
WORDS = [f"w{i} " for i in range(12)]


def test_sigterm_finishes_the_stream_in_flight_and_loses_no_usage_row(tmp_path: Path) -> None:
    slow = Reply.stream([*(chunk(content=w, model="gpt-4o") for w in WORDS),
                         chunk(finish="stop", model="gpt-4o"), chunk(usage=USAGE, model="gpt-4o")],
                        delay=0.15)
    store_url = f"sqlite:///{tmp_path / 'usage.db'}"
    with ScriptedServer([slow]) as up:
        config = tmp_path / "config.toml"
        config.write_text(f'[store]\nurl = "{store_url}"\n\n[providers.openai]\nbase_url = "{up.url}"\n'
                          f'api = "chat_completions"\n')
        port = free_port()
        env = cli_env(config, drop=("OPENAI_",), OPENAI_API_KEY=UPSTREAM_KEY,
                      MODELPLEX_DATA_DIR=str(tmp_path / "data"))
        server = subprocess.Popen([modelplex_command(), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert wait_for(lambda: _up(port), 20), "the gateway did not start"
            received: list[str] = []
            first = threading.Event()

            def read() -> None:
                with httpx.stream("POST", f"http://127.0.0.1:{port}/v1/chat/completions", timeout=30,
                                  json={"model": "openai/gpt-4o", "stream": True,
                                        "messages": [{"role": "user", "content": "count"}]}) as r:
                    for line in r.iter_lines():
                        received.append(line)
                        if '"content":"w0 "' in line:
                            first.set()

            reader = threading.Thread(target=read)
            reader.start()
            assert first.wait(10), "the stream did not start"
            server.send_signal(signal.SIGTERM)
            reader.join(30)
            code = server.wait(30)
        finally:
            if server.poll() is None:
                server.kill()
            _, err = server.communicate()
    data = sse_data("\n".join(received))
    assert data[-1] == "[DONE]"
    assert "".join(d["choices"][0]["delta"].get("content") or "" for d in data[:-1] if d["choices"]) == \
        "".join(WORDS)
    # uvicorn, once it has stopped gracefully, re-raises the signal it caught: the process ends by SIGTERM,
    # as a process manager that sent it expects.
    assert code in (0, -signal.SIGTERM), err.decode()
    assert b"Traceback" not in err, err.decode()
    assert UPSTREAM_KEY.encode() not in err
    with modelplex_store.open(store_url) as store:
        rows = store.logs(10)
    assert [(r.kind, r.status, r.provider, r.model) for r in rows] == [("stream", "ok", "openai", "gpt-4o")]
    assert rows[0].caller == "local"


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_workers_serve_from_several_processes_and_stop_together(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    port = free_port()
    env = cli_env(config, MODELPLEX_DATA_DIR=str(tmp_path / "data"))
    server = subprocess.Popen([modelplex_command(), "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pids: set[str] = set()
    try:
        assert wait_for(lambda: _up(port), 30), "the gateway did not start"

        def two_workers() -> bool:  # a connection per request: the kernel spreads them over the workers
            first = httpx.get(f"http://127.0.0.1:{port}/metrics").text.splitlines()[0]
            pids.add(first)
            return len(pids) == 2

        assert wait_for(two_workers, 20), f"one worker answered every request: {pids}"
        server.send_signal(signal.SIGTERM)
        code = server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
        _, err = server.communicate()
    assert code in (0, -signal.SIGTERM), err.decode()
    assert b"Traceback" not in err, err.decode()
