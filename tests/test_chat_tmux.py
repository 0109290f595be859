"""The interactive chat in a real terminal (tmux): type a message, watch the reply stream in, switch the
model with ``/model``, set ``/system`` and ``/tools``, the next message goes to the new server with the
whole history, ``/save`` titles it, ``/exit``; then ``modelplex chat -c`` continues the conversation with
its last model and system prompt, from the store.

The terminal is a tmux server of the test's own (``tmux -L <name>``), killed at the end; the two
providers are loopback servers speaking Chat Completions, streaming their replies slowly enough to see
a reply half-way.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelplex_testing import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (apt-get install tmux; .ci/run installs it)")

A = "groq/llama-3.3-70b-versatile"
B = "xai/grok-4.3"


def streamed(first: str, rest: str, model: str) -> Reply:
    """``first``, then a second later ``rest``: a reply seen half-way in the terminal."""
    return Reply.stream([chunk(content=first, model=model), chunk(content=rest, model=model),
                         chunk(finish="stop", model=model),
                         chunk(usage={"prompt_tokens": 12, "completion_tokens": 4}, model=model)], delay=0.8)


class Terminal:
    """One tmux pane running a shell with the test's environment."""

    def __init__(self, socket: str, env: dict[str, str], home: Path) -> None:
        self.socket = socket
        script = home / "shell.sh"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        script.write_text(f"{exports}export PS1='$ '\nexec sh\n", encoding="utf-8")
        self.tmux("new-session", "-d", "-s", "chat", "-x", "160", "-y", "60",
                  f"sh {shlex.quote(str(script))}")

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True,
                              timeout=30).stdout

    def type(self, line: str) -> None:
        self.tmux("send-keys", "-t", "chat", "-l", line)
        self.tmux("send-keys", "-t", "chat", "Enter")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", "chat", "-p", "-S", "-200")

    def wait(self, check: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"the terminal never showed {what}:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], ScriptedServer, ScriptedServer]]:
    with ScriptedServer([streamed("Streaming from A, ", "reply A done.", "llama-3.3-70b-versatile")]) as a, \
            ScriptedServer([streamed("Streaming from B, ", "reply B done.", "grok-4.3")]) as b:
        config = tmp_path / "config.toml"
        config.write_text(f'[providers.groq]\nbase_url = "{a.url}"\napi_key = "sk-test-groq-0123456789"\n'
                          f'[providers.xai]\nbase_url = "{b.url}"\napi_key = "xai-test-0123456789"\n',
                          encoding="utf-8")
        config.chmod(0o600)
        env = cli_env(config, MODELPLEX_DATA_DIR=str(tmp_path / "data"),
                      MODELPLEX_STATE_DIR=str(tmp_path / "state"), TERM="xterm",
                      PATH=f"{Path(modelplex_command()).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        yield env, a, b


def test_interactive_chat_streams_switches_model_and_continues(
        terminal_env: tuple[dict[str, str], ScriptedServer, ScriptedServer], tmp_path: Path) -> None:
    env, a, b = terminal_env
    term = Terminal(f"modelplex-test-{uuid.uuid4().hex[:8]}", env, tmp_path)
    try:
        term.wait(lambda s: s.rstrip().endswith("$"), "the shell's prompt")
        term.type(f"modelplex chat -m {A}")
        term.wait(lambda s: "/exit to leave" in s, "the chat's banner")
        term.type("hello there")
        half = term.wait(lambda s: "Streaming from A," in s, "the first half of the reply")
        assert "reply A done." not in half  # seen while it streams, not all at once at the end
        term.wait(lambda s: f"[{A} ($" in s, "the reply's label with its model and cost")
        assert "Streaming from A, reply A done." in term.screen()

        term.type(f"/model {B}")
        term.wait(lambda s: f"next messages go to {B}" in s, "the switch")
        term.type("/system Be terse.")
        term.wait(lambda s: "system prompt: Be terse." in s, "the system prompt set")
        tools = tmp_path / "tools.json"
        tools.write_text('[{"name": "weather", "description": "Weather in a city", "parameters": '
                         '{"type": "object", "properties": {"city": {"type": "string"}}}}]', encoding="utf-8")
        term.type(f"/tools {tools}")
        term.wait(lambda s: "tools offered: weather" in s, "the tools loaded")
        term.type("and now you")
        term.wait(lambda s: f"[{B} (" in s, "the second reply's label")
        assert "Streaming from B, reply B done." in term.screen()
        assert len(a.requests) == 1
        sent = b.requests[-1].json
        assert [m["content"] for m in sent["messages"]] == [
            "Be terse.", "hello there", "Streaming from A, reply A done.", "and now you"]
        assert [t["function"]["name"] for t in sent["tools"]] == ["weather"]
        term.type("/save Weather talk")
        term.wait(lambda s: "(Weather talk); continue it with 'modelplex chat -c'" in s, "the save")

        term.type("/exit")
        term.wait(lambda s: s.rstrip().endswith("$"), "the shell's prompt after /exit")
        term.type("modelplex chat -c")
        term.wait(lambda s: f"chatting with {B} (conversation" in s and "4 messages" in s,
                  "the continued conversation's banner, with its last model")
        term.type("once more")
        term.wait(lambda s: s.count(f"[{B} (") == 2, "the continued conversation's reply")
        assert [m["content"] for m in b.requests[-1].json["messages"]] == [
            "Be terse.", "hello there", "Streaming from A, reply A done.", "and now you",
            "Streaming from B, reply B done.", "once more"]  # the system prompt is the conversation's
        term.type("/exit")
        term.wait(lambda s: s.rstrip().endswith("$"), "the shell's prompt")
    finally:
        term.close()
    listed = subprocess.run([modelplex_command(), "conversations", "list"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert f"{B}  6 messages" in listed.stdout and listed.stdout.rstrip().endswith("Weather talk")
