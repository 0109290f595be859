"""Editing the user's config file for ``providers add|rm``, ``aliases set|rm`` and ``models default``.

Through ``tomlkit``, which keeps the file's comments, order and layout: a hand-written config must come
back as its owner wrote it, with only the one value changed. It costs about 50 ms to import, paid only by
these commands. A small writer of our own would have had to find table boundaries in text it does not
parse (multi-line strings, inline and dotted tables), and either lose comments or risk breaking the file.

A write is checked before it lands: the new text must parse and load as a config (the same checks as
every client's), else nothing is written. It is written to a temporary file beside the real one and
renamed over it, so no reader sees half a file; the file keeps its mode (a new one is 0600: its
headers may carry credentials). A symbolic link (a dotfiles repository's) is followed, not replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from modelplex._config import config_source, load_config
from modelplex.errors import ConfigurationError

_NEW_FILE_MODE = 0o600


def config_path(env: Mapping[str, str]) -> Path:
    """The config file the commands edit: ``$MODELPLEX_CONFIG``, else the default location."""
    path, _ = config_source(None, env)
    assert path is not None  # only config_file=False names none
    return path


@contextlib.contextmanager
def editing(path: Path) -> Iterator[Any]:
    """``with editing(path) as doc:`` change ``doc`` (a ``tomlkit`` document, empty for a new file); it is
    written back when the block ends without an error, and only if it changed."""
    import tomlkit
    import tomlkit.exceptions

    target = path.resolve() if path.is_symlink() else path
    try:
        before = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        before = ""
    except OSError as exc:
        raise ConfigurationError(f"config file {path}: cannot read it: {exc.strerror or exc}") from None
    try:
        doc = tomlkit.parse(before)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigurationError(f"config file {path}: {exc}; fix it by hand first") from None
    yield doc
    after = tomlkit.dumps(doc)
    if after and not after.endswith("\n"):
        after += "\n"  # a new file's last table comes without one
    if after != before:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check(after, path)
        _replace(target, after)


def _check(text: str, path: Path) -> None:
    """Refuse to write ``text`` unless a client could read it."""
    candidate = path.with_name(f".{path.name}.{secrets.token_hex(6)}.check")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        try:
            load_config(candidate, named_by="the edit")
        except ConfigurationError as exc:
            problem = exc.message.replace(str(candidate), str(path))
            raise ConfigurationError(f"not saved, the edit would break the config: {problem}") from None
    finally:
        with contextlib.suppress(OSError):
            candidate.unlink()


def _replace(target: Path, text: str) -> None:
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if mode != _NEW_FILE_MODE:
            os.chmod(temporary, mode)  # the owner's choice for the file kept, not widened by us
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def remove(path: Path, section: str, name: str) -> None:
    """Remove ``name`` from ``[section]`` of the config file at ``path``, and the section once empty;
    :class:`KeyError` (the file untouched) when the section has no ``name``."""
    with editing(path) as doc:
        found = doc.get(section)
        if found is None or name not in found:
            raise KeyError(name)
        del found[name]
        if not found:
            del doc[section]


def table(doc: Any, *keys: str) -> Any:
    """The table at ``keys`` in ``doc``, made (as a ``[a.b]`` section, not inline) where it is absent."""
    import tomlkit

    here = doc
    for key in keys:
        if key not in here:
            if here is doc and tomlkit.dumps(doc).strip() and not tomlkit.dumps(doc).endswith("\n\n"):
                doc.add(tomlkit.nl())  # a blank line before a new section, as people write them
            here[key] = tomlkit.table(is_super_table=len(keys) > 1 and key != keys[-1])
        here = here[key]
        if not hasattr(here, "items"):
            raise ConfigurationError(f"config file: {'.'.join(keys)} is not a table")
    return here
