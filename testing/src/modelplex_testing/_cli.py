"""Running the ``modelplex`` command as a person would, in a test: :func:`modelplex_command`,
:func:`cli_env`, :func:`interruptible`."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path


def modelplex_command() -> str:
    """The ``modelplex`` installed beside this Python (the environment under test), else on PATH."""
    found = Path(sys.executable).with_name("modelplex")
    return str(found) if found.exists() else (shutil.which("modelplex") or "modelplex")


def interruptible() -> None:
    """``preexec_fn`` for a command a test stops as Ctrl-C in a terminal would: SIGINT back to its
    default in the child, which Python then turns into ``KeyboardInterrupt``. Tests started in the
    background by a shell without job control (``cmd &`` in a script, as a CI runner may start them)
    inherit SIGINT ignored, as does every process they start, and Python leaves an ignored SIGINT
    ignored: the command would never hear the test's Ctrl-C (seen: a pull run to its end, exit 0)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli_env(config: Path | str, *, drop: tuple[str, ...] = (), **values: str) -> dict[str, str]:
    """This process's environment without any ``MODELPLEX_*`` variable or one starting with a prefix
    in ``drop`` (the provider's own, so that a developer's keys never reach a test), the config file
    ``config`` (made, empty, where it does not exist: a named config file that is absent is an error),
    a cache directory beside it (what one command learns about a server, the next reads: a test's
    own, not the developer's), a key file, a data directory (the usage log and conversations) and a
    state directory beside it (never the developer's keys, log or last used model), then ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPLEX_", *drop))}
    path = Path(config)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    env["MODELPLEX_CONFIG"] = str(config)
    env["MODELPLEX_CACHE_DIR"] = str(path.parent / "modelplex-cache")
    env["MODELPLEX_KEYS_FILE"] = str(path.parent / "modelplex-keys.json")  # absent until a test stores one
    env["MODELPLEX_DATA_DIR"] = str(path.parent / "modelplex-data")
    env["MODELPLEX_STATE_DIR"] = str(path.parent / "modelplex-state")
    env.update(values)
    return env
