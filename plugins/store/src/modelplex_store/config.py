"""Where the store is and whether it records: ``[store]`` in the config file, then the environment.

::

    [store]
    url = "postgresql://user@db/modelplex"   # default: <data dir>/logs.db, a SQLite file
    enabled = true                           # false: record nothing
    content = false                          # true: keep prompts and replies, in call_contents
    spool_max_rows = 100000                  # rows kept locally while the database is down
    writer = "process"                       # or "thread" (default: see default_writer)
    durability = "journal"                   # or "commit": when a call may return (see DURABILITIES)

``MODELPLEX_STORE_URL`` wins over ``url``; ``MODELPLEX_STORE=off`` (or ``0``, ``false``, ``no``) over
``enabled``; ``MODELPLEX_STORE_WRITER`` over ``writer``; ``MODELPLEX_STORE_DURABILITY`` over
``durability``. The data directory (the default SQLite file,
the spool) is ``MODELPLEX_DATA_DIR``, else the user data directory (``$XDG_DATA_HOME/modelplex``,
``~/.local/share/modelplex`` on Linux).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from modelplex._secret import scrub_url
from modelplex.errors import ConfigurationError

URL_ENV = "MODELPLEX_STORE_URL"
SWITCH_ENV = "MODELPLEX_STORE"
DATA_DIR_ENV = "MODELPLEX_DATA_DIR"
WRITER_ENV = "MODELPLEX_STORE_WRITER"
#: Where rows are written from: a writer process per recording process (the database's work on another
#: core than the calls'), or a thread of the recording process itself.
WRITERS = ("process", "thread")
DURABILITY_ENV = "MODELPLEX_STORE_DURABILITY"
#: When a recorded call may return: once its row is in the process's journal (it survives the process
#: and its writer process being killed; the database commits it a moment later), or once the database
#: committed it (it also survives the machine's crash, with PostgreSQL; every call waits for a commit).
#: A writer thread always waits for the commit.
DURABILITIES = ("journal", "commit")
OFF = frozenset({"off", "0", "false", "no"})
#: Rows the spool keeps while the database is down before it starts counting losses.
DEFAULT_SPOOL_MAX_ROWS = 100_000


def data_dir(env: Mapping[str, str]) -> Path:
    """The directory of the default SQLite file and of the spool."""
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV])
    import platformdirs

    return Path(platformdirs.user_data_dir("modelplex", appauthor=False))


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)  # not attrs: discovery builds one
class StoreConfig:
    """The store's settings, resolved. ``url`` is a ``postgresql://`` URL, a ``sqlite:///`` URL or a
    path; its repr hides a password."""

    url: str
    data_dir: Path
    enabled: bool = True
    content: bool = False
    spool_max_rows: int = DEFAULT_SPOOL_MAX_ROWS
    writer: str = "process"  # resolve() gives default_writer()'s where nothing names one
    durability: str = "journal"

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["url"] = scrub_url(self.url)  # a PostgreSQL URL may hold a password
        return f"StoreConfig({', '.join(f'{name}={value!r}' for name, value in shown.items())})"

    @property
    def spool_path(self) -> Path:
        """The spool of this store's URL: one file per database, shared by the processes of this
        machine, so that a process started after a crash delivers what an earlier one spooled."""
        import hashlib  # here: its import (~3 ms) is no part of every client's discovery

        digest = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        return self.data_dir / "spool" / f"{digest}.db"


#: The ``modelplex`` commands that keep serving calls: every other command makes a few and ends.
LONG_RUNNING_COMMANDS = frozenset({"serve"})


def default_writer() -> str:
    """The writer when neither ``[store] writer`` nor ``MODELPLEX_STORE_WRITER`` names one: ``"thread"``
    in a ``modelplex`` command that makes a few calls and ends (``modelplex chat``: starting a writer
    process would add 100-150 ms to a command that records one call), ``"process"`` everywhere else (an
    application; the gateway's ``modelplex serve``): the database's work off the event loop's core."""
    import sys

    cli = sys.modules.get("modelplex._cli")  # imported only by the command itself
    command = cli.running_command() if cli is not None else None
    return "thread" if command is not None and command not in LONG_RUNNING_COMMANDS else "process"


def _flag(table: Mapping[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(f"[store] {key!r} must be true or false, got {value!r}")
    return value


def _table(config: Mapping[str, Any]) -> Mapping[str, Any]:
    table = config.get("store", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError("[store] must be a table")
    return table


def recording(config: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    """Whether the store records (``resolve(config, env).enabled``) without working out where: every
    client's discovery asks, and the data directory's default costs ``platformdirs``' import (5-7 ms)."""
    return _flag(_table(config), "enabled", True) and env.get(SWITCH_ENV, "").strip().lower() not in OFF


def resolve(config: Mapping[str, Any], env: Mapping[str, str]) -> StoreConfig:
    """The store's settings from the config file's contents and the environment."""
    table = _table(config)
    unknown = set(table) - {"url", "enabled", "content", "spool_max_rows", "writer", "durability"}
    if unknown:
        raise ConfigurationError(f"[store]: unknown setting(s) {sorted(unknown)}; known: url, enabled, "
                                 "content, spool_max_rows, writer, durability")
    directory = data_dir(env)
    url = env.get(URL_ENV) or table.get("url") or str(directory / "logs.db")
    if not isinstance(url, str):
        raise ConfigurationError("[store] 'url' must be a string")
    limit = table.get("spool_max_rows", DEFAULT_SPOOL_MAX_ROWS)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigurationError(f"[store] 'spool_max_rows' must be a whole number >= 0, got {limit!r}")
    enabled = recording(config, env)
    writer = env.get(WRITER_ENV) or table.get("writer") or default_writer()
    if writer not in WRITERS:
        where = WRITER_ENV if env.get(WRITER_ENV) else "[store] 'writer'"
        raise ConfigurationError(f"{where} must be one of {', '.join(map(repr, WRITERS))}, got {writer!r}")
    durability = env.get(DURABILITY_ENV) or table.get("durability") or "journal"
    if durability not in DURABILITIES:
        where = DURABILITY_ENV if env.get(DURABILITY_ENV) else "[store] 'durability'"
        raise ConfigurationError(f"{where} must be one of {', '.join(map(repr, DURABILITIES))}, "
                                 f"got {durability!r}")
    return StoreConfig(url=url, data_dir=directory, enabled=enabled, content=_flag(table, "content", False),
                       spool_max_rows=limit, writer=writer, durability=durability)


def from_environment(env: Mapping[str, str] | None = None) -> StoreConfig:
    """The store's settings as a process sees them: the default config file (``MODELPLEX_CONFIG``)
    and ``env`` (by default ``os.environ``)."""
    from modelplex._config import config_source, load_config

    env = os.environ if env is None else env
    return resolve(load_config(*config_source(None, env)), env)
