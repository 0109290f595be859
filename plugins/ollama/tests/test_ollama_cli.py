"""The ``modelplex ollama`` commands against a local Ollama-speaking server: in-process for the
tables and messages, and in real processes for the progress a person sees, on a terminal (tmux) and
through a pipe."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ollama_helpers import layer_steps
from ollama_server import OllamaServer, Reply, free_port

from modelplex._cli import cli
from modelplex_testing import cli_env, interruptible, modelplex_command

DIGEST_A = "sha256:" + "a1" * 32
DIGEST_B = "sha256:" + "b2" * 32
PULL = [{"status": "pulling manifest"}, *layer_steps(DIGEST_A, 40_000_000, 8),
        *layer_steps(DIGEST_B, 12_000, 1), {"status": "verifying sha256 digest"},
        {"status": "writing manifest"}, {"status": "success"}]
# A pull still under way whenever a test presses Ctrl-C: the first layer in 200 steps (a pull ends at its
# first "success", so PULL * 20 was no longer than PULL: some 2.6 s after the line the tests wait for).
SLOW_PULL = [{"status": "pulling manifest"}, *layer_steps(DIGEST_A, 40_000_000, 200), *PULL[10:]]
TAGS = {"models": [
    {"name": "llama3.2:latest", "model": "llama3.2:latest",
     "modified_at": "2025-05-04T17:37:44.706015396-07:00",
     "size": 2019393189, "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
     "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B",
                 "quantization_level": "Q4_K_M"}},
    {"name": "gemma3:1b", "model": "gemma3:1b", "modified_at": "2025-08-01T10:00:00Z", "size": 815319791,
     "digest": "8648f39daa8fbf5b18c7b4e6a8fb4990c692751d49917417b8842ca5758e7ffc",
     "details": {"family": "gemma3", "parameter_size": "999.89M", "quantization_level": "Q4_K_M"}}]}


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[OllamaServer] = []

    def start(routes: dict[str, Any]) -> OllamaServer:
        server = OllamaServer(routes).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def run(server: OllamaServer | str, *args: str) -> Any:
    host = server if isinstance(server, str) else server.host
    return CliRunner().invoke(cli, ["ollama", "--host", host, *args])


def test_list_shows_name_size_family_parameters_quantization_modified(serve: Any) -> None:
    server = serve({"GET /api/tags": Reply.json(TAGS)})
    result = run(server, "list")
    assert result.exit_code == 0, result.output
    header, llama, gemma = result.stdout.splitlines()
    assert header.split() == ["NAME", "ID", "SIZE", "FAMILY", "PARAMETERS", "QUANTIZATION", "MODIFIED"]
    assert llama.split()[:7] == ["llama3.2:latest", "a80c4f17acd5", "2.0", "GB", "llama", "3.2B", "Q4_K_M"]
    assert llama.endswith(" ago") and gemma.split()[2:4] == ["815", "MB"]
    as_json = json.loads(run(server, "list", "--json").stdout)
    assert [m["name"] for m in as_json] == ["llama3.2:latest", "gemma3:1b"]


def test_ps_shows_the_loaded_models_and_their_memory(serve: Any) -> None:
    server = serve({"GET /api/ps": [Reply.json({"models": [{
        "name": "mistral:latest", "size": 5137025024, "size_vram": 5137025024, "context_length": 4096,
        "digest": "2ae6f6dd7a3dd734790bbbf58b8909a606e0e7e97e94b7604e0aa7ae4490e6d8",
        "expires_at": "2999-06-04T14:38:31.83753-07:00"}]}), Reply.json({"models": []})]})
    lines = run(server, "ps").stdout.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "GPU", "MEMORY", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert lines[1].split()[:9] == ["mistral:latest", "2ae6f6dd7a3d", "5.1", "GB", "5.1", "GB", "100%", "GPU",
                                    "4096"]
    assert lines[1].endswith("from now")
    assert run(server, "ps").stdout == "No model is loaded.\n"


def test_show_prints_architecture_context_and_capabilities(serve: Any) -> None:
    recorded = json.loads((Path(__file__).parent / "fixtures/ollama/06_api_show_docs.json").read_text())
    server = serve({"POST /api/show": Reply.json(recorded["response"]["body"])})
    out = run(server, "show", "llava").stdout
    assert "architecture      llama" in out and "context length    8192" in out
    assert "embedding length  4096" in out and "capabilities      completion, vision" in out
    assert "parameters        8.0B" in out and "num_keep 24" in out


def test_rm_deletes_and_names_a_missing_model(serve: Any) -> None:
    server = serve({"DELETE /api/delete": lambda r: Reply() if r.json["model"] == "gemma3:1b"
                    else Reply.error(f"model '{r.json['model']}' not found", 404)})
    result = run(server, "rm", "gemma3:1b", "llama9")
    assert result.exit_code == 1
    assert result.stdout == "deleted 'gemma3:1b'\n"
    assert "error: ollama/llama9: model 'llama9' not found; pull it first" in result.stderr


def test_update_reports_which_models_changed(serve: Any) -> None:
    after = json.loads(json.dumps(TAGS))
    after["models"][0]["digest"] = "ffff" + "0" * 60
    server = serve({"GET /api/tags": [Reply.json(TAGS), Reply.json(after)],
                    "POST /api/pull": lambda r: Reply.ndjson(PULL) if r.json["model"] != "gemma3:1b" else
                    Reply.ndjson([{"status": "pulling manifest"}, {"error": "max retries exceeded"}])})
    result = run(server, "update")
    assert result.exit_code == 1, result.output
    rows = result.stdout.splitlines()[-3:]
    assert rows[0].split() == ["MODEL", "BEFORE", "AFTER", "RESULT"]
    assert rows[1].split() == ["llama3.2:latest", "a80c4f17acd5", "ffff00000000", "updated"]
    assert rows[2].split()[:3] == ["gemma3:1b", "8648f39daa8f", "-"] and "max retries exceeded" in rows[2]
    assert "updating llama3.2:latest" in result.stdout and "pulling a1a1a1a1a1a1  100%" in result.stdout
    same = serve({"GET /api/tags": Reply.json(TAGS), "POST /api/pull": Reply.ndjson(PULL)})
    result = run(same, "update", "gemma3:1b")
    assert result.exit_code == 0 and result.stdout.splitlines()[-1].split() == [
        "gemma3:1b", "8648f39daa8f", "8648f39daa8f", "up", "to", "date"]


def test_search_uses_the_shipped_catalog() -> None:
    result = run("127.0.0.1:1", "search", "embedding")  # no server: search is offline
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()[1:]
             if line and not line.startswith("Sizes")]
    assert {"nomic-embed-text", "mxbai-embed-large", "all-minilm"} <= set(names)
    llama = run("127.0.0.1:1", "search", "llama3.2").stdout.splitlines()[1]
    assert llama.startswith("llama3.2 ") and "1b 1.3 GB, 3b 2.0 GB" in llama and "tools" in llama
    assert "No model in the catalog matches 'zzzz'" in run("127.0.0.1:1", "search", "zzzz").stdout


def test_a_pull_warns_when_the_disk_is_too_small(serve: Any, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    from modelplex_ollama import disk

    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path))
    monkeypatch.setattr(disk, "free_bytes", lambda path: 1_500_000_000 if path == tmp_path else 0)
    server = serve({"POST /api/pull": Reply.ndjson(PULL)})
    result = run(server, "pull", "llama3.2:3b")
    assert result.exit_code == 0
    assert result.stderr == (f"warning: llama3.2:3b needs about 2.0 GB but only 1.5 GB is free in "
                             f"{tmp_path}; "
                             "the pull may fail when the disk fills up\n")
    assert run(server, "pull", "llama3.2:1b").stderr == ""  # 1.3 GB fits


def test_a_pull_against_a_server_that_is_down_is_one_error_line() -> None:
    port = free_port()
    result = run(f"127.0.0.1:{port}", "pull", "llama3.2")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: ollama/llama3.2: Ollama is not reachable at http://127.0.0.1:{port}")


# -- as a person sees it: real processes ---------------------------------------------------------
def _env(server: OllamaServer, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "absent.toml", drop=("OLLAMA_",), OLLAMA_HOST=server.host,
                   OLLAMA_MODELS=str(tmp_path))


LINE = re.compile(r"^pulling a1a1a1a1a1a1 +(\d+)%  ([\d.]+ [KMG]?B) / 40 MB(?:  ([\d.]+ [KMG]?B)/s)?"
                  r"(?:  (\w+) left)?$")


def test_without_a_terminal_progress_is_plain_lines(serve: Any, tmp_path: Path) -> None:
    server = serve({"POST /api/pull": Reply.ndjson(PULL, delay=0.05)})
    done = subprocess.run([modelplex_command(), "ollama", "pull", "llama3.2"], capture_output=True, text=True,
                          env=_env(server, tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout and "\x1b[" not in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == "pulling manifest"
    layer = [LINE.match(line) for line in lines if line.startswith("pulling a1a1")]
    assert all(layer), lines
    assert [m.group(1) for m in layer if m] == ["0", "12", "25", "37", "50", "62", "75", "87", "100"]
    assert all(m.group(3) for m in layer[1:] if m)  # a speed once bytes have come
    assert lines[-6] == "pulling b2b2b2b2b2b2    0%  0 B / 12 KB"
    assert re.fullmatch(r"pulling b2b2b2b2b2b2  100%  12 KB / 12 KB  [\d.]+ [KM]B/s", lines[-5]), lines[-5]
    assert lines[-4:-1] == ["verifying sha256 digest", "writing manifest", "success"]
    assert re.fullmatch(r"pulled llama3\.2 \(40 MB, \d+s\)", lines[-1])


def test_ctrl_c_without_a_terminal_stops_and_says_how_to_resume(serve: Any, tmp_path: Path) -> None:
    server = serve({"POST /api/pull": Reply.ndjson(SLOW_PULL, delay=0.1)})
    proc = subprocess.Popen([modelplex_command(), "ollama", "pull", "llama3.2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(server, tmp_path),
                            preexec_fn=interruptible)
    assert proc.stdout is not None
    try:
        while "pulling a1a1a1a1a1a1" not in proc.stdout.readline():
            pass
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, f"exit {proc.returncode}\nstdout:\n{out[-2000:]}\nstderr:\n{err[-2000:]}"
    assert "Interrupted: the pull stopped. Run 'modelplex ollama pull llama3.2' again to resume" in err
    assert "Traceback" not in err
    assert server.disconnected.wait(10), "the connection to Ollama stayed open"


class Tmux:
    """A pseudo-terminal of 110x30 run by tmux on a socket of its own."""

    def __init__(self, tmp_path: Path) -> None:
        exe = shutil.which("tmux")
        if exe is None:
            pytest.skip("tmux is not installed (Debian: apt-get install -y tmux); it is needed to look "
                        "at the progress bars on a terminal")
        self.base = [exe, "-S", str(tmp_path / "tmux.sock")]

    def start(self, command: str) -> None:
        subprocess.run([*self.base, "new-session", "-d", "-s", "t", "-x", "110", "-y", "30", command],
                       check=True, timeout=30)

    def screen(self) -> str:
        return subprocess.run([*self.base, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True,
                              check=True, timeout=30).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "t", *keys], check=True, timeout=30)

    def wait_for(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if re.search(pattern, screen, re.MULTILINE):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared on the screen:\n{screen}")
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], timeout=30, check=False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    term = Tmux(tmp_path)
    yield term
    term.close()


def _command(server: OllamaServer, tmp_path: Path, *args: str) -> str:
    env = " ".join(f"{k}={v}" for k, v in _env(server, tmp_path).items() if k in
                   ("OLLAMA_HOST", "MODELPLEX_CONFIG", "OLLAMA_MODELS", "PATH"))
    return f"env {env} {modelplex_command()} {' '.join(args)}; echo EXIT=$?; sleep 60"


def test_the_progress_bars_on_a_terminal(serve: Any, tmp_path: Path, tmux: Tmux) -> None:
    server = serve({"POST /api/pull": Reply.ndjson(PULL, delay=0.3)})
    tmux.start(_command(server, tmp_path, "ollama", "pull", "llama3.2"))
    # Mid-way: the layer's row, part done, with its bytes, speed and time left.
    middle = tmux.wait_for(r"pulling a1a1a1a1a1a1 .* (2[5-9]|[3-8]\d)% .*MB/s")
    row = next(line for line in middle.splitlines() if "pulling a1a1a1a1a1a1" in line)
    assert re.search(r"━.* (\d+)% +[\d.]+/40\.0 MB +[\d.]+ MB/s +\d+:\d\d:\d\d", row), row
    assert middle.splitlines()[0] == "pulling manifest"
    final = tmux.wait_for(r"^EXIT=\d+")
    lines = [line.rstrip() for line in final.splitlines() if line.strip()]
    assert "EXIT=0" in lines
    assert lines[0] == "pulling manifest"
    layer = [line for line in lines if "pulling a1a1a1a1a1a1" in line]
    assert len(layer) == 1, final  # redrawn in place, not printed again
    assert re.search(r"100% +40\.0/40\.0 MB +[\d.]+ MB/s", layer[0]), layer[0]
    small = [line for line in lines if "pulling b2b2b2b2b2b2" in line]
    assert len(small) == 1 and "100%" in small[0] and "12.0/12.0 kB" in small[0]
    assert lines.index(small[0]) > lines.index(layer[0])
    steps = [line for line in lines if line in ("verifying sha256 digest", "writing manifest", "success")]
    assert steps == ["verifying sha256 digest", "writing manifest", "success"]
    assert any(re.fullmatch(r"pulled llama3\.2 \(40 MB, \d+s\)", line) for line in lines), final


def test_ctrl_c_on_a_terminal_stops_cleanly_and_says_how_to_resume(serve: Any, tmp_path: Path,
                                                                   tmux: Tmux) -> None:
    server = serve({"POST /api/pull": Reply.ndjson(SLOW_PULL, delay=0.1)})
    tmux.start(_command(server, tmp_path, "ollama", "pull", "llama3.2"))
    tmux.wait_for(r"pulling a1a1a1a1a1a1 .* [1-9]\d?%")
    tmux.keys("C-c")
    screen = tmux.wait_for(r"^EXIT=\d+")
    text = " ".join(screen.split())
    assert "EXIT=130" in text and "Traceback" not in text
    assert "Interrupted: the pull stopped. Run 'modelplex ollama pull llama3.2' again to resume" in text
    assert "pulling a1a1a1a1a1a1" in screen  # what was shown stays on the screen
    assert server.disconnected.wait(10), "the connection to Ollama stayed open"
