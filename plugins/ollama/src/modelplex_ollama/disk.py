"""Room for a model: the free space where Ollama keeps its models, against the catalog's size."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from modelplex.toolkit import is_loopback
from modelplex_ollama.catalog import known_size
from modelplex_ollama.display import human_bytes


def models_dir(env: Mapping[str, str] | None = None) -> Path:
    """``OLLAMA_MODELS``, else ``~/.ollama/models``: where a local Ollama keeps models."""
    env = os.environ if env is None else env
    configured = env.get("OLLAMA_MODELS", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".ollama" / "models"


def checked_dir(env: Mapping[str, str] | None = None) -> Path:
    """The models directory if it exists, else its nearest existing parent up to the home
    directory, else the home directory."""
    path = models_dir(env)
    home = Path.home()
    while not path.exists() and path != path.parent and path != home:
        path = path.parent
    return path if path.exists() else home


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def space_warning(model: str, base_url: str, env: Mapping[str, str] | None = None) -> str | None:
    """A warning when ``model``'s known size is more than the free space, else ``None``.

    Checked only for an Ollama on this machine (a loopback address): a remote server's disk cannot
    be seen from here. A model the catalog does not know is not checked.
    """
    size = known_size(model)
    if size is None or not is_loopback(base_url):
        return None
    where = checked_dir(env)
    free = free_bytes(where)
    if free >= size:
        return None
    return (f"{model} needs about {human_bytes(size)} but only {human_bytes(free)} is free in {where}; "
            "the pull may fail when the disk fills up")
