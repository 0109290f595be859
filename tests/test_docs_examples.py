"""Issue 19, item 4: the code examples of the documentation site run as written. Every fenced block marked
``<!-- test: runnable -->`` (Python) or ``<!-- test: runnable-shell -->`` (one command a line) in docs/ runs
here, each in a fresh interpreter, against the scripted ``fake`` provider of modelplex-testing, with an
empty config file, no key, and the usage store (where installed) in a directory of its own. A block that
cannot run here says so with ``<!-- test: skip (why) -->``; an unmarked Python block in a page of the user
guide fails the last test, so no example goes unchecked by oversight."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"(?:<!-- test: ([\w-]+)[^>]*-->\n[ \t]*)?```([\w-]*)\n(.*?)```", re.DOTALL)
#: The pages whose every Python block must be marked runnable or skipped with a reason. The plugin guide's
#: blocks are run by test_docs_guide.py; benchmarks, hot paths and the generated pages hold no examples.
USER_PAGES = ("index.md", "getting-started.md", "cost-and-budgets.md", "conversations.md", "routing.md",
              "policies.md", "usage-log.md", "gateway.md")


def blocks(page: Path) -> list[tuple[str | None, str, str]]:
    """(mark, language, code) of each fenced block of ``page``."""
    return [(m.group(1), m.group(2), m.group(3)) for m in _BLOCK.finditer(page.read_text(encoding="utf-8"))]


def marked(kind: str) -> list[pytest.ParameterSet]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for index, (mark, _, code) in enumerate(blocks(page)):
            if mark == kind:
                found.append(pytest.param(code, id=f"{page.name}-{index}"))
    return found


@pytest.fixture
def isolated(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MODELPLEX_") and not k.endswith("_API_KEY")}
    env.update(MODELPLEX_CONFIG=str(config), MODELPLEX_DATA_DIR=str(tmp_path / "data"),
               MODELPLEX_STATE_DIR=str(tmp_path / "state"), MODELPLEX_KEYS_FILE=str(tmp_path / "keys.json"))
    return env


@pytest.mark.parametrize("code", marked("runnable"))
def test_a_runnable_python_example_runs(code: str, isolated: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=isolated, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip(), "an example shows what it does: it printed nothing"


@pytest.mark.parametrize("code", marked("runnable-shell"))
def test_a_runnable_command_runs(code: str, isolated: dict[str, str], tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    for line in code.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        done = subprocess.run([str(bin_dir / words[0]), *words[1:]], cwd=tmp_path, env=isolated,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"$ {line}\n{done.stdout}{done.stderr}"


def test_the_examples_are_found() -> None:
    assert len(marked("runnable")) >= 8
    assert marked("runnable-shell")


def test_every_python_example_of_the_user_guide_is_run_or_says_why_not() -> None:
    unmarked = [f"{name}, block {i}" for name in USER_PAGES
                for i, (mark, language, _) in enumerate(blocks(DOCS / name))
                if language == "python" and mark not in ("runnable", "skip")]
    assert not unmarked, unmarked
