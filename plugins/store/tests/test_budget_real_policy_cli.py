"""A ``pii``-tagged request whose only allowed (local) model is down is denied, never sent to a cloud
model (issue 15, "to prove"), through the gateway-less command line: ``modelplex chat --agent private``,
the agent's profile carrying the ``pii`` tag, in a process of its own with the config file the user has.
(The core's ``tests/policy/test_policy_calls.py`` proves the same through the Python client.)

What the peers fail: a fallback list that retries on any error sends the request to the next model, the
cloud one, when the local model is down; a data-residency rule applied only to the first choice does not
hold. Here the rule decides every candidate of the chain: the cloud's loopback server receives nothing,
not even a connection, and the command fails naming the rule.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from modelplex_testing.faults import FaultServer

PRICED = 'prices = { input = "2", output = "8" }\nmax_output = 1000\n'


def refused_port() -> int:
    """A loopback port nothing listens on: a local model server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, cloud_url: str) -> Path:
    """Two providers on OpenAI's wire (the groq plugin): ``local`` (down) and ``cloud``; a chain of both;
    the agent ``private`` on that chain with the tag ``pii``, and the rule keeping ``pii`` local."""
    local_url = f"http://127.0.0.1:{refused_port()}/v1"
    path.write_text(
        f'[providers.local]\nplugin = "groq"\napi_key = "gsk-loopback-0000"\nbase_url = "{local_url}"\n'
        f'[providers.cloud]\nplugin = "groq"\napi_key = "gsk-loopback-0000"\nbase_url = "{cloud_url}"\n'
        f'[models."local/m1"]\n{PRICED}local = true\n[models."cloud/m1"]\n{PRICED}'
        '[chains.any]\nmodels = ["local/m1", "cloud/m1"]\n[routing]\nretries = 0\n'
        '[agents.private]\nmodel = "chain/any"\ntags = { pii = "yes" }\n'
        '[agents.open]\nmodel = "chain/any"\n'
        '[policy]\n[[policy.rules]]\nname = "pii stays here"\nmatch = { tags = ["pii"] }\n'
        'privacy = "local"\n',
        encoding="utf-8")
    path.chmod(0o600)  # it holds (loopback) keys
    return path


def chat(config: Path, agent: str, data: Path) -> subprocess.CompletedProcess[str]:
    """``modelplex chat --agent AGENT "hello"`` in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPLEX_")}
    env.update(MODELPLEX_CONFIG=str(config), MODELPLEX_DATA_DIR=str(data), MODELPLEX_STORE="off")
    command = Path(sys.executable).parent / "modelplex"
    return subprocess.run([str(command), "chat", "--agent", agent, "hello"], capture_output=True, text=True,
                          timeout=120, env=env, stdin=subprocess.DEVNULL)


def test_a_pii_request_whose_local_model_is_down_is_denied_on_the_command_line(tmp_path: Path) -> None:
    with FaultServer(["cloud"]) as server:
        config = write_config(tmp_path / "config.toml", server.url("cloud"))
        denied = chat(config, "private", tmp_path / "data")
        sent_while_denied = list(server.log)
        allowed = chat(config, "open", tmp_path / "data")  # no pii: the same chain falls back to the cloud
        sent = len(server.requests("cloud"))
    assert denied.returncode != 0, denied.stdout
    assert sent_while_denied == []  # not a request, not a connection
    assert "cloud/m1 skipped: policy rule 'pii stays here'" in denied.stderr, denied.stderr
    assert "local/m1 failed" in denied.stderr and "connection refused" in denied.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert sent == 1
