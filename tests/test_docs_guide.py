"""Issue 19, "Done when": the steps of the plugin authors' guide (docs/plugin-authors.md) are the steps this
test runs. Every fenced block marked ``<!-- test: plugin-guide FLOW -->`` is extracted from the page and run
in order, in a fresh virtual environment holding the core, the test kit and the compat library from this
checkout: shell lines one by one (``cd`` and ``export`` as a shell would; ``pip install`` through uv, into
that environment), and blocks marked ``write=PATH`` or ``append=PATH`` written to that file. Two flows: an
OpenAI-compatible provider (``compat``) and a native one (``native``): template, configuration, a recorded
exchange, the contract tests passing on it.

The one stand-in: the provider's servers are a loopback server of the test kit answering in OpenAI's format,
reached through ``ACME_BASE_URL`` and ``NIMBUS_BASE_URL``. About 15 s a flow here, most of it building wheels.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugin-authors.md"
BIN = Path(sys.executable).parent
UV = shutil.which("uv") or "uv"  # the skip below covers its absence
_MARK = re.compile(r"<!-- test: plugin-guide (\w+)(?: (write|append)=(\S+))? -->\n```[\w-]*\n(.*?)```",
                   re.DOTALL)

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")

# What the stand-in server answers, in the order the flows ask: the model list (`modelplex providers test`,
# in the compat flow), the streamed reply each `modelplex chat` prints, then the whole one the recorder keeps.
MODELS = {"object": "list", "data": [{"id": "acme-large", "object": "model", "owned_by": "acme"},
                                     {"id": "nimbus-large", "object": "model", "owned_by": "nimbus"}]}
ANSWER = {"id": "chatcmpl-guide", "object": "chat.completion", "created": 1_764_000_000,
          "model": "guide-large",
          "choices": [{"index": 0, "finish_reason": "stop",
                       "message": {"role": "assistant", "content": "The capital of France is Paris."}}],
          "usage": {"prompt_tokens": 14, "completion_tokens": 8, "total_tokens": 22}}
STREAM = Reply.stream([chunk("The capital of France "), chunk("is Paris."), chunk(finish="stop"),
                       chunk(usage={"prompt_tokens": 14, "completion_tokens": 8, "total_tokens": 22})])
SCRIPTS = {"compat": [Reply.json(MODELS), STREAM, Reply.json(ANSWER)], "native": [STREAM, Reply.json(ANSWER)]}
# What the flows must have done, beyond their commands' success: the config file they wrote.
CONFIGURED = {"compat": '[providers.acme]\ndefault_model = "acme-large"\n', "native": None}


def steps(flow: str, text: str | None = None) -> list[tuple[str | None, str | None, str]]:
    """The flow's marked blocks in page order: (``write``/``append``/None, path, content)."""
    found = [(m.group(2), m.group(3), m.group(4)) for m in _MARK.finditer(text or GUIDE.read_text())
             if m.group(1) == flow]
    assert found, f"docs/plugin-authors.md marks no block for the {flow!r} flow"
    return found


def clean_env(home: Path) -> dict[str, str]:
    """The environment without the workspace's venv, keys or Modelplex settings, with a home of its own."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not k.startswith("MODELPLEX_")
           and not k.endswith(("_API_KEY", "_BASE_URL"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != BIN)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local"),
               XDG_STATE_HOME=str(home / ".state"), MODELPLEX_KEYS_FILE=str(home / "keys.json"))
    return env


class Shell:
    """Runs the guide's command lines as a reader's shell would, in the fresh environment ``venv``."""

    def __init__(self, venv: Path, cwd: Path, env: dict[str, str]) -> None:
        self.venv, self.cwd, self.env = venv, cwd, env
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        self.transcript: list[str] = []

    def line(self, line: str) -> subprocess.CompletedProcess[str] | None:
        words = shlex.split(line, comments=True)
        if not words:
            return None
        self.transcript.append(f"$ {line}")
        if words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
            return None
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            self.env[name] = value
            return None
        if words[:2] == ["pip", "install"]:  # the reader's pip, as uv (the test's own installer)
            words = [UV, "pip", "install", "-q", "--python", str(self.venv / "bin" / "python"), *words[2:]]
        done = subprocess.run(words, cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=600, check=False)
        self.transcript.append(done.stdout[-3000:] + done.stderr[-3000:])
        assert done.returncode == 0, "\n".join(self.transcript)
        return done

    def file(self, how: str, path: str, content: str) -> None:
        target = self.cwd / path
        assert how == "write" or target.exists(), f"{path}: appending to a file no step before wrote"
        with target.open("w" if how == "write" else "a", encoding="utf-8") as out:
            out.write(content)
        self.transcript.append(f"({how} {path})")


@pytest.fixture
def stand_in(request: pytest.FixtureRequest) -> Iterator[str]:
    """The provider's servers for the flow the test runs: their base URL."""
    with ScriptedServer(SCRIPTS[request.node.callspec.params["flow"]]) as server:
        yield server.url


def fresh_venv(tmp_path: Path, env: dict[str, str]) -> Path:
    """A venv with what the guide says to install from the checkout before its first command."""
    venv = tmp_path / "venv"
    made = subprocess.run([UV, "venv", "-q", "--python", sys.executable, str(venv)], env=env,
                          capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    base = subprocess.run([UV, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                           str(ROOT / "core"), str(ROOT / "testing"), str(ROOT / "plugins" / "openai-compat"),
                           "pytest", "hypothesis"], env=env, capture_output=True, text=True, check=False)
    assert base.returncode == 0, base.stderr
    return venv


def run_flow(flow: str, tmp_path: Path, base_url: str) -> Shell:
    """Every marked step of ``flow``, in order; returns the shell, in the package's directory."""
    env = clean_env(tmp_path / "home")
    env.update(ACME_BASE_URL=base_url, NIMBUS_BASE_URL=base_url)
    work = tmp_path / "work"
    work.mkdir()
    shell = Shell(fresh_venv(tmp_path, env), work, env)
    for how, path, content in steps(flow):
        if how is None:
            for line in content.splitlines():
                shell.line(line)
        else:
            assert path is not None
            shell.file(how, path, content)
    return shell


def summary(result: subprocess.CompletedProcess[str] | None) -> str:
    assert result is not None
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(("flow", "provider"), [("compat", "acme"), ("native", "nimbus")])
def test_the_guide_adds_a_provider_as_written(flow: str, provider: str, tmp_path: Path,
                                              stand_in: str) -> None:
    shell = run_flow(flow, tmp_path, stand_in)
    config = tmp_path / "home" / ".config" / "modelplex" / "config.toml"
    assert (config.read_text() if config.exists() else None) == CONFIGURED[flow]
    # The last step of each flow runs the package's tests: they pass, with the recorded exchange in them.
    last = shell.line("python -m pytest -q -p no:randomly")
    assert "failed" not in summary(last) and "passed" in summary(last), "\n".join(shell.transcript)
    recording = shell.cwd / "tests" / "fixtures" / provider / "07_recorded_chat.json"
    recorded = json.loads(recording.read_text())
    answer = recorded["response"]["body"]["choices"][0]["message"]["content"]
    assert answer == "The capital of France is Paris."
    assert "your-key" not in recording.read_text()  # the recorder scrubbed the key the guide exported

    # The contract replays that recording, not the example: with another answer recorded, it fails.
    recording.write_text(recording.read_text().replace("Paris.", "Lyon."))
    broken = subprocess.run([str(shell.venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:randomly"],
                            cwd=shell.cwd, env=shell.env, capture_output=True, text=True, check=False)
    assert broken.returncode == 1
    assert "FAILED tests/test_contract.py::TestContract::test_chat_text" in broken.stdout


def test_the_steps_are_found_in_page_order() -> None:
    """The extraction the flows rely on: marked blocks only, in order, with their file targets."""
    page = ("<!-- test: plugin-guide demo -->\n```console\nmodelplex plugin new x\n```\n\n"
            "```console\nnot marked\n```\n"
            "<!-- test: plugin-guide other -->\n```console\nother flow\n```\n"
            "<!-- test: plugin-guide demo append=tests/t.py -->\n```python\nX = 1\n```\n")
    assert steps("demo", page) == [(None, None, "modelplex plugin new x\n"),
                                   ("append", "tests/t.py", "X = 1\n")]


def test_both_flows_start_from_the_template_and_end_on_the_contract() -> None:
    for flow, flag in (("compat", " --openai-compatible"), ("native", "")):
        found = steps(flow)
        first, last = found[0][2].splitlines()[0], found[-1][2].splitlines()[-1]
        assert first.startswith("modelplex plugin new ") and first.endswith(flag or first.split()[-1])
        assert last == "python -m pytest -q"
        assert any("modelplex-testing record" in content for how, _, content in found if how is None)
        assert any(path == "tests/test_contract.py" for _, path, _ in found)


def test_the_guide_uses_nothing_it_does_not_define() -> None:
    """The issue's findings: helpers used and never defined (``_body``, ``_raise_for_status``), a test kit
    "being completed", code that no test runs. Every Python block of the guide is now a step of a flow, run
    as an example, or an excerpt that says so."""
    import test_docs_examples

    text = GUIDE.read_text()
    for gone in (r"(?<!\w)_body\(", r"(?<!\w)_raise_for_status", "being completed"):
        assert not re.search(gone, text), gone
    unchecked = [code.splitlines()[0] for mark, language, code in test_docs_examples.blocks(GUIDE)
                 if language == "python" and mark not in ("plugin-guide", "runnable", "skip")]
    assert not unchecked, unchecked
    for page in ("recordings.md", "contract-kit.md", "compatibility.md", "reference/hooks.md"):
        assert f"]({page}" in text, f"the guide links to {page}"
