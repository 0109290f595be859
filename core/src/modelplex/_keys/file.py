"""The key file: read, and written atomically with mode 0600 from the moment it exists.

A new version is written to a temporary file created by ``os.open(..., 0o600)`` beside the old one,
synced, then renamed over it: there is no moment when the file holds half a write, or when its mode is
wider than 0600 (``chmod`` after creating would leave one). The directory, when this creates it, is 0700.
Writers take an exclusive lock on ``keys.json.lock`` so that two ``keys set`` at once lose nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from modelplex.errors import ConfigurationError

KEYS_FILE_ENV = "MODELPLEX_KEYS_FILE"
FILE_NAME = "keys.json"
_VERSION = 1
_PRIVATE = 0o600


def keys_path(env: Mapping[str, str]) -> Path:
    """``$MODELPLEX_KEYS_FILE``, else ``keys.json`` in the user config directory."""
    if env.get(KEYS_FILE_ENV):
        return Path(env[KEYS_FILE_ENV])
    import platformdirs

    return Path(platformdirs.user_config_dir("modelplex")) / FILE_NAME


def read_entries(path: Path) -> dict[str, dict[str, Any]]:
    """The file's entries by provider (empty when there is no file). An entry is ``{"key": ...}`` for a
    key kept in the file, or ``{"keyring": true}`` for one kept in the keyring."""
    try:
        with path.open("rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            raw = file.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigurationError(f"key file {path}: cannot read it: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except ValueError:  # the message would quote the file: say where, not what
        raise ConfigurationError(f"key file {path} is not valid JSON; fix or remove it and set the "
                                 f"keys again with 'modelplex keys set'") from None
    entries = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise ConfigurationError(f"key file {path}: expected {{\"providers\": {{NAME: {{...}}}}}}")
    if mode & (stat.S_IRWXG | stat.S_IRWXO) and os.name == "posix":
        warnings.warn(f"key file {path} can be read by others; run: chmod 600 {path}", stacklevel=2)
    return entries


def write_entries(path: Path, entries: Mapping[str, Mapping[str, Any]]) -> None:
    """Replace the file's entries, atomically, the new file 0600 from its creation."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = json.dumps({"version": _VERSION, "providers": entries}, indent=2, sort_keys=True) + "\n"
    # os.urandom, not secrets: that one imports hashlib and OpenSSL (3 ms), for a name nobody guesses at.
    temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, _PRIVATE)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(body.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a directory cannot be opened for this on Windows."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the key file's writer lock (POSIX; elsewhere a no-op) for a read-modify-write."""
    try:
        import fcntl
    except ImportError:  # Windows: one user, one writer at a time in practice
        yield
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, _PRIVATE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
