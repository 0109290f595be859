"""The model the last ``modelplex chat`` used, the fallback when neither ``-m`` nor a default names one.

Kept in ``last_model.json`` in ``$MODELPLEX_STATE_DIR``, else the user state directory
(``$XDG_STATE_HOME/modelplex`` on Linux): a preference the command learns, not configuration, so it never
touches the config file.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

_FILE = "last_model.json"
STATE_DIR_ENV = "MODELPLEX_STATE_DIR"


def state_path() -> Path:
    """Where the last used model is kept."""
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.environ[STATE_DIR_ENV]) / _FILE
    import platformdirs

    return Path(platformdirs.user_state_dir("modelplex")) / _FILE


def last_used() -> str | None:
    """The address of the model the last chat used (``None``: none recorded, or unreadable)."""
    try:
        data = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a preference: a lost or damaged one is no reason to fail a chat
    model = data.get("model") if isinstance(data, dict) else None
    return model if isinstance(model, str) and model else None


def remember_used(address: str) -> None:
    """Record ``address`` as the last used model (atomically; a failure to write is ignored)."""
    path = state_path()
    temporary = path.with_name(f".{_FILE}.{os.urandom(6).hex()}.tmp")  # not secrets: 3 ms of imports
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump({"model": address}, file)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
