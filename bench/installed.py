"""A virtual environment holding Modelplex as a user installs it, for the start-up rows of ``bench/run.py``.

The bench itself runs in the workspace's development environment, where every member is an editable
install: each adds its own ``src`` folder to ``sys.path`` (some 22 entries after the standard library's,
so every top-level import looks in each), and coverage.py's ``.pth`` file runs at every interpreter's
start. None of that is what ``pip install modelplex modelplex-openai ...`` gives a user: one
``site-packages``, byte code compiled at install. Here every workspace member is installed from its
wheel (built by uv, not editable, byte code compiled) beside the very versions of its dependencies that
the development environment holds, into a fresh environment under a temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def members() -> list[Path]:
    """The workspace's member folders, as the root ``pyproject.toml`` lists them."""
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    found: list[Path] = []
    for pattern in workspace["members"]:
        found += sorted(p for p in ROOT.glob(pattern) if (p / "pyproject.toml").is_file())
    return found


def user_install() -> tuple[str | None, str]:
    """A Python interpreter of a fresh environment holding every workspace member installed from its wheel,
    and how it was made; ``(None, why)`` where it cannot be (no uv on ``PATH``, an install that failed)."""
    uv = shutil.which("uv")
    if uv is None:
        return None, "uv is not on PATH"
    folder = Path(tempfile.mkdtemp(prefix="modelplex-bench-venv-"))
    python = folder / "venv" / "bin" / "python"
    # The development environment's own versions of every third-party package: only the install differs.
    frozen = subprocess.run([uv, "pip", "freeze", "--python", sys.executable, "--exclude-editable"],
                            capture_output=True, text=True, check=False)
    pins = folder / "constraints.txt"
    pins.write_text(frozen.stdout if frozen.returncode == 0 else "")
    steps = [[uv, "venv", "--quiet", "--python", sys.executable, str(folder / "venv")],
             [uv, "pip", "install", "--quiet", "--python", str(python), "--no-editable", "--compile-bytecode",
              "--constraint", str(pins), *map(str, members())]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            return None, f"{' '.join(step[:3])} failed: {done.stderr.strip()[-400:]}"
    return str(python), "every workspace member from its wheel (uv, byte code compiled), one site-packages"


def remove(python: str) -> None:
    """Delete the environment of ``python``, made by :func:`user_install`."""
    folder = Path(python).parent.parent.parent
    if folder.name.startswith("modelplex-bench-venv-"):
        shutil.rmtree(folder, ignore_errors=True)
