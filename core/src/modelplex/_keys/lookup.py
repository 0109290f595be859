"""The key store as one more source of a provider's key, read by :class:`~modelplex._config.Settings`.

Light on purpose: a client reads it only for a provider whose key no argument, environment variable or
config file gave, and then reads the file once; the keyring is imported only for a key kept there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelplex._secret import Secret


class KeyLookup:
    """``lookup(provider)``: the key stored for ``provider`` (``None``: none), the file read on first use."""

    __slots__ = ("_entries", "_env")

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._entries: dict[str, dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return "KeyLookup()"

    def __call__(self, provider: str) -> Secret | None:
        from modelplex._keys.file import keys_path, read_entries

        if self._entries is None:
            from modelplex._logging import log

            path = keys_path(self._env)
            self._entries = read_entries(path)
            log("debug", "key_store_read", path=str(path), providers=sorted(self._entries))
        entry = self._entries.get(provider)
        if entry is None:
            return None
        from modelplex._keys.store import key_of  # only for a provider that has a stored key

        return key_of(provider, entry)
