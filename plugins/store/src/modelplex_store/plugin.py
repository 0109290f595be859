"""The ``store`` plugin (entry point ``store = "modelplex_store.plugin:PLUGIN"``): a plugin of the call
lifecycle alone, owning no provider name. Importing it imports no database driver; the recorder is built,
from the configuration, on the first call heard.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from modelplex.hookspecs import hookimpl

if TYPE_CHECKING:
    from modelplex import CallInfo, CallOutcome
    from modelplex_store.recorder import Recorder


class StoreCommands:
    """The store's commands (``modelplex logs``, ``usage``, ``store``) alone: the entry point's object
    when the store is turned off, so that calls do not pass through it."""

    @hookimpl
    def modelplex_register_commands(self, cli: Any) -> None:
        """Add the store's commands to ``cli``, when the command module is there."""
        import importlib

        try:
            commands = importlib.import_module("modelplex_store.cli")
        except ModuleNotFoundError as exc:
            if exc.name != "modelplex_store.cli":  # a broken import inside it must show
                raise
            return  # not written yet
        commands.register(cli)


class StorePlugin(StoreCommands):
    """Records every call through a :class:`~modelplex_store.recorder.Recorder` made from the
    configuration (``[store]`` in the config file, ``MODELPLEX_STORE_URL``, ``MODELPLEX_STORE``) on the
    first call, or through the one given; keeps conversations; adds the store's commands."""

    def __init__(self, recorder: Recorder | None = None) -> None:
        self._recorder = recorder
        # Built from the configuration, one per store the process's environment names: a process that
        # points MODELPLEX_STORE_URL, MODELPLEX_DATA_DIR or MODELPLEX_CONFIG elsewhere between clients
        # (a test suite, an application serving several tenants) records to the store it names now,
        # not to the first one a call happened to build.
        self._recorders: dict[tuple[str | None, ...], Recorder] = {}
        self._lock = threading.Lock()

    @property
    def recorder(self) -> Recorder:
        """The recorder given, or the one of the store the environment names now, built from the
        configuration on first use."""
        if self._recorder is not None:
            return self._recorder
        key = _store_environment()
        recorder = self._recorders.get(key)
        if recorder is None:
            with self._lock:
                recorder = self._recorders.get(key)
                if recorder is None:
                    from modelplex_store.recorder import Recorder

                    recorder = self._recorders[key] = Recorder.from_config()
        return recorder

    @hookimpl
    def modelplex_conversation_store(self, config: Any, env: Any) -> Any:
        """Keep conversations in this store's database (:mod:`modelplex_store.conversations`); none
        when the store is turned off."""
        from modelplex_store.conversations import for_config

        return for_config(config, env)

    @hookimpl
    def modelplex_after_call(self, call: CallInfo, outcome: CallOutcome) -> Awaitable[None] | None:
        """Queue the call's row; the awaitable completes once it is committed (or spooled)."""
        return self.recorder.record(call, outcome)


#: The variables that name the store, as ``os.environ`` keeps them (its ``encodekey``).
_NAMES = ("MODELPLEX_STORE_URL", "MODELPLEX_DATA_DIR", "MODELPLEX_CONFIG", "XDG_DATA_HOME")
_encode = getattr(os.environ, "encodekey", None)
_ENCODED = tuple(map(_encode, _NAMES)) if _encode is not None else ()


def _store_environment() -> tuple[Any, ...]:
    """What the variables that name the store hold now (a key for the recorder of that store). Read
    from the mapping ``os.environ`` wraps, whose values it keeps encoded: every recorded call asks,
    and ``os.environ.get`` encodes the name and decodes the value in four Python calls each time
    (``test_recorder_choice.py`` checks both ways agree). Anything else standing in for ``os.environ``
    is asked as a mapping."""
    environ = os.environ
    data = getattr(environ, "_data", None)
    if type(data) is dict and type(environ) is os._Environ and _ENCODED:
        return tuple(map(data.get, _ENCODED))
    return tuple(environ.get(name) for name in _NAMES)


_RECORDING = StorePlugin()
_OFF = StoreCommands()


def _discovered() -> StoreCommands:
    """The recording plugin, or the commands alone when the store is turned off (``enabled = false``,
    ``MODELPLEX_STORE=off``): then no conversation is kept either (see the README). Worked out at each
    discovery, as the switch is an environment variable a process may change between clients."""
    import os

    from modelplex._config import config_source, load_config
    from modelplex_store.config import recording

    try:
        enabled = recording(load_config(*config_source(None, os.environ)), os.environ)
    except Exception:  # a broken config file is reported by the client, and by the recorder on use
        return _RECORDING
    return _RECORDING if enabled else _OFF


def __getattr__(name: str) -> Any:
    if name == "PLUGIN":  # the entry point's object (one recorder per process, shared by its clients)
        return _discovered()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
