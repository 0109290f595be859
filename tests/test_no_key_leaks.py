"""A stored key never shows anywhere but the key store (issue 16, "Done when"): a distinctive key is set
through ``modelplex keys set``, used on the wire, echoed back by a provider's error, and then every
command of the CLI (built-in and plugin ones, each subcommand, as ``modelplex --help`` lists them) runs
with ``-v``. The key, and its base64, appear in no output, and in no file of the config, state and data
directories (the usage database and its spool included) other than the key file itself (or, with a
keyring, the keyring's own store).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from modelplex_testing import Reply, ScriptedServer, interruptible, modelplex_command, serving
from modelplex_testing.compat_server import chunk

KEYRING_TESTS = Path(__file__).resolve().parents[1] / "core" / "tests" / "keys"
MODEL = "llama-3.1-8b-instant"
# What is run beyond each command's bare form and --help: the calls that send the key or show where it is.
CALLS: tuple[tuple[str, ...], ...] = (
    ("keys", "list"), ("keys", "list", "--json"),
    ("providers", "list"), ("providers", "list", "--json"),
    ("providers", "test", "groq"), ("providers", "test", "groq", "--json"), ("providers", "test", "leaky"),
    ("chat", "-m", f"groq/{MODEL}", "hi"), ("chat", "-m", f"groq/{MODEL}", "--json", "--trace", "hi"),
    ("chat", "-m", f"groq/{MODEL}", "--no-stream", "hi"), ("chat", "-m", f"leaky/{MODEL}", "hi"),
    ("chat", "-m", f"leaky/{MODEL}", "--json", "hi"), ("chat", "hi"),
    ("models", "--live"), ("models", "--live", "--json"), ("models", "show", f"groq/{MODEL}", "--live"),
    ("models", "default"), ("models", "default", "--json"),
    ("health", "--probe"), ("health", "--probe", "--json"), ("embed", "-m", "groq/nomic", "hi"),
    ("logs",), ("logs", "--json"), ("usage",), ("usage", "--json"), ("plugins",), ("plugins", "--json"),
)

# The commands that serve until stopped; run bare they would never return.
SERVERS = {("serve",), ("ui",)}


def forms(key: str) -> dict[str, bytes]:
    """The key as it could leak: itself, its base64 (plain and URL-safe, alone and as Basic credentials)."""
    raw = key.encode()
    found = {"the key": raw, "its middle": raw[4:-4]}
    for name, encode in (("base64", base64.b64encode), ("urlsafe base64", base64.urlsafe_b64encode)):
        found[name] = encode(raw).rstrip(b"=")
        found[f"{name} of user:key"] = encode(b"user:" + raw)[4:-4]
    return found


class Home:
    """A user's directories under one temporary folder, and the ``modelplex`` command run there."""

    def __init__(self, root: Path, extra_env: dict[str, str]) -> None:
        self.root = root
        self.config = root / "config" / "modelplex"
        self.keys_file = self.config / "keys.json"
        self.outputs: list[tuple[str, str]] = []
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MODELPLEX_", "XDG_")) and not k.endswith(("_API_KEY", "_BASE_URL"))}
        env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "config"),
                   XDG_STATE_HOME=str(root / "state"), XDG_DATA_HOME=str(root / "data"),
                   XDG_CACHE_HOME=str(root / "cache"), MODELPLEX_DATA_DIR=str(root / "data" / "modelplex"),
                   COLUMNS="200", **extra_env)
        self.env = env

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([modelplex_command(), *args], input=input or "", capture_output=True,
                              text=True, env=self.env, timeout=120)
        self.outputs.append((" ".join(args), done.stdout + done.stderr))
        return done

    def run_a_while(self, *args: str, seconds: float = 4.0) -> None:
        """A command that serves until stopped: started, left to start up, stopped as Ctrl-C would."""
        with subprocess.Popen([modelplex_command(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=self.env,
                              preexec_fn=interruptible) as running:
            try:
                output, _ = running.communicate(timeout=seconds)
            except subprocess.TimeoutExpired:
                running.send_signal(signal.SIGINT)
                output, _ = running.communicate(timeout=60)
        self.outputs.append((" ".join(args), output))

    def files(self, exempt: Sequence[Path]) -> Iterator[Path]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path not in exempt and not path.name.startswith("keys.json"):
                yield path


def leaves(home: Home, group: Sequence[str] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and subcommand the help lists, depth first."""
    help_text = home.run("-v", *group, "--help").stdout
    listed = help_text.partition("\nCommands:\n")[2]
    names = re.findall(r"^  ([a-z][\w-]*)", listed, re.M)
    if not names:
        yield tuple(group)
    for name in names:
        yield from leaves(home, (*group, name))


@pytest.mark.parametrize("store", ["file", "keyring"])
def test_the_key_shows_nowhere_but_the_key_store(tmp_path: Path, store: str) -> None:
    key = f"gsk_LeakCanary{secrets.token_hex(12)}"
    keyring_file = tmp_path / "outside" / "keyring.json"
    keyring_file.parent.mkdir()
    path = os.pathsep.join(filter(None, [str(KEYRING_TESTS), os.environ.get("PYTHONPATH")]))
    extra = ({"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"} if store == "file" else
             {"PYTHON_KEYRING_BACKEND": "memory_keyring.FileBackedKeyring", "PYTHONPATH": path,
              "TEST_KEYRING_FILE": str(keyring_file)})
    home = Home(tmp_path / "user", extra)
    models = Reply.json({"object": "list", "data": [{"id": MODEL, "object": "model"}]})
    echoed = Reply.json({"error": {"message": f"Incorrect API key provided: {key}. Authorization: "
                                              f"Bearer {key}", "type": "invalid_request_error",
                                   "code": "invalid_api_key"}}, status=401)
    stream = Reply.stream([chunk(content="pong"), chunk(finish="stop"),
                           chunk(usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4})])
    with serving(lambda *replies, **kw: ScriptedServer(replies, **kw)) as start:
        good = start(stream, routes={"/v1/models": models})
        leaky = start(echoed)
        home.config.mkdir(parents=True)
        (home.config / "config.toml").write_text("[store]\ncontent = true  # bodies too: scanned below\n")
        assert home.run("-v", "providers", "add", "groq", "--base-url", good.url).returncode == 0
        assert home.run("-v", "providers", "add", "leaky", "--plugin", "groq", "--base-url",
                        leaky.url).returncode == 0
        for provider in ("groq", "leaky"):
            stored = home.run("-v", "keys", "set", provider, input=key + "\n")
            assert stored.returncode == 0, stored.stderr
            assert ("FileBackedKeyring)" if store == "keyring" else "(mode 0600)") in stored.stdout
        home.run("-v", "keys", "set", "groq", key)  # on the command line: refused, and not echoed
        # Every command once, with the key in the file; with a keyring, the calls that use the key.
        commands = list(leaves(home)) if store == "file" else []
        assert store != "file" or {("keys", "set"), ("providers", "test"), ("chat",), ("models", "default"),
                                   ("logs",)} <= set(commands)
        for command in commands:
            if command in SERVERS:
                home.run_a_while("-v", *command, "--port", "0")
            else:
                home.run("-v", *command)
            home.run("-v", *command, "--help")
        for call in CALLS:
            home.run("-v", *call)
        sent = [r.headers.get("authorization") for r in good.requests + leaky.requests]
    assert f"Bearer {key}" in sent  # the key did go on the wire, where it belongs
    assert any(r.path.startswith("/v1/chat/completions") for r in good.requests)
    assert any(r.path.startswith("/v1/chat/completions") for r in leaky.requests)
    leaks = []
    for name, pattern in forms(key).items():
        leaks += [f"{name} in the output of 'modelplex {args}'" for args, text in home.outputs
                  if pattern.decode() in text]
        leaks += [f"{name} in {path.relative_to(home.root)}" for path in home.files([])
                  if pattern in path.read_bytes()]
    assert leaks == []
    scanned = [p.relative_to(home.root).parts[0] for p in home.files([])]
    assert {"config", "data"} <= set(scanned)  # the config file and the usage database were there to scan
    assert any(p.suffix in (".db", ".sqlite", ".sqlite3") for p in home.files([])), list(home.files([]))
    assert key.encode() in (home.keys_file.read_bytes() if store == "file" else keyring_file.read_bytes())
    if store == "keyring":
        assert key.encode() not in home.keys_file.read_bytes()
