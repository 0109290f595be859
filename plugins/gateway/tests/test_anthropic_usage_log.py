"""``/v1/messages`` calls in the usage log, from a real ``modelplex serve`` process with its store: a
streamed reply that ended is a row with the upstream's usage, the caller and the request's
``metadata.user_id`` in the user column; one whose client hung up
half-way is a ``cancelled`` row with the usage seen so far (marked partial), not a lost one or a $0 one.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import modelplex_store
from gateway_server import UPSTREAM_KEY, free_port, wait_for
from modelplex_store.queries import CallRecord

from modelplex_testing import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

USAGE = {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_whole_stream_and_a_hung_up_one_are_both_in_the_usage_log(tmp_path: Path) -> None:
    whole = Reply.stream([chunk(content="All ", model="gpt-4o"), chunk(content="of it.", model="gpt-4o"),
                          chunk(finish="stop", model="gpt-4o"), chunk(usage=USAGE, model="gpt-4o")])
    words = [chunk(content=f"w{i} ", model="gpt-4o") for i in range(60)]
    slow = Reply.stream([*words, chunk(finish="stop", model="gpt-4o"), chunk(usage=USAGE, model="gpt-4o")],
                        delay=0.1)
    store_url = f"sqlite:///{tmp_path / 'usage.db'}"
    with ScriptedServer([whole, slow]) as upstream:
        config = tmp_path / "config.toml"
        config.write_text(f'[store]\nurl = "{store_url}"\n\n[providers.openai]\nbase_url = "{upstream.url}"\n'
                          'api = "chat_completions"\n')
        port = free_port()
        env = cli_env(config, drop=("OPENAI_",), OPENAI_API_KEY=UPSTREAM_KEY,
                      MODELPLEX_DATA_DIR=str(tmp_path / "data"))
        server = subprocess.Popen([modelplex_command(), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert wait_for(lambda: _up(port), 20), "the gateway did not start"
            url = f"http://127.0.0.1:{port}/v1/messages"
            body = {"model": "openai/gpt-4o", "max_tokens": 100, "stream": True,
                    "messages": [{"role": "user", "content": "Talk."}]}
            tagged = {**body, "metadata": {"user_id": "user-42"}}
            assert "of it." in httpx.post(url, json=tagged, timeout=30).text
            with httpx.stream("POST", url, json=body, timeout=30) as reply:
                for line in reply.iter_lines():
                    if "w3 " in line:
                        break  # hang up half-way
            assert upstream.wait_disconnect(10), "the upstream's stream was not closed"

            def rows() -> list[CallRecord]:
                with modelplex_store.open(store_url) as store:
                    return list(store.logs(10))

            assert wait_for(lambda: len(rows()) == 2, 10)
            time.sleep(0.2)
        finally:
            server.terminate()
            _, err = server.communicate(timeout=30)
    done, cut = sorted(rows(), key=lambda r: r.status != "ok")
    assert (done.kind, done.status, done.provider, done.model, done.caller, done.user_id) == (
        "stream", "ok", "openai", "gpt-4o", "local", "user-42")
    assert (done.input, done.output) == (40, 12)
    assert cut.status == "cancelled" and cut.partial
    assert cut.input > 0 and cut.output > 0  # what was seen, estimated: never $0 for nothing
    assert UPSTREAM_KEY.encode() not in err
