"""The key store behind ``modelplex keys``: set, list and remove a provider's key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import attrs

from modelplex._keys import system
from modelplex._keys.file import keys_path, locked, read_entries, write_entries
from modelplex._secret import Secret, remember
from modelplex.errors import ConfigurationError

Where = Literal["keyring", "file"]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Shorter values could not be masked in logs and errors (modelplex._secret scrubs from 6 characters),
# and no provider issues keys that short.
MIN_KEY_LENGTH = 8
SHOWN = 4


@attrs.frozen(kw_only=True)
class StoredKey:
    """One stored key, as ``keys list`` shows it: never more of the key than its last characters.

    ``where`` is ``"keyring"`` or ``"file"``; ``location`` the keyring backend or the file's path;
    ``ending`` the key's last four characters (``None`` when the keyring cannot be read now).
    """

    provider: str
    where: Where
    location: str
    ending: str | None


def ending(key: str) -> str:
    """What may be shown of a key: its last four characters."""
    return key[-SHOWN:]


def check_provider(name: str) -> str:
    """A provider name fit for a key entry, or a :class:`ConfigurationError`."""
    if not _NAME.fullmatch(name):
        raise ConfigurationError(f"{name!r} is not a provider name (letters, digits, '.', '_', '-')")
    return name


def check_key(provider: str, key: str) -> str:
    """``key`` without surrounding white space, or an error that does not show it."""
    key = key.strip()
    if not key:
        raise ConfigurationError(f"{provider}: the key is empty")
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigurationError(f"{provider}: the key is {len(key)} characters long, too short to be "
                                 f"an API key (at least {MIN_KEY_LENGTH})")
    if any(c.isspace() or not c.isprintable() for c in key):
        raise ConfigurationError(f"{provider}: the key holds white space or control characters; paste "
                                 f"the key alone")
    return key


class KeyStore:
    """Keys by provider name, in the keyring or the key file (:mod:`modelplex._keys`)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.path = keys_path(env)

    def __repr__(self) -> str:
        return f"KeyStore(path={str(self.path)!r})"

    def set(self, provider: str, key: str, store: Literal["auto", "keyring", "file"] = "auto") -> StoredKey:
        """Keep ``key`` for ``provider``: in the keyring when one is usable (``store="auto"``) or asked
        for, else in the file. A key kept before in the other place is removed from it."""
        check_provider(provider)
        key = check_key(provider, key)
        remember(key)  # from here on, no log line or error of this process shows it
        backend = None if store == "file" else system.usable_backend()
        if store == "keyring" and backend is None:
            raise ConfigurationError("no usable keyring: install modelplex[keyring] and a keyring backend "
                                     "(Secret Service, KWallet, macOS Keychain, Windows Credential Locker), "
                                     "or leave out --store keyring to use the 0600 key file")
        with locked(self.path):
            entries = read_entries(self.path)
            was_in_keyring = bool(entries.get(provider, {}).get("keyring"))
            if backend is not None:
                system.put(provider, key, backend)
                entries[provider] = {"keyring": True}
            else:
                entries[provider] = {"key": key}
            write_entries(self.path, entries)
        if backend is None and was_in_keyring:
            system.delete(provider)
        if backend is not None:
            return StoredKey(provider=provider, where="keyring", location=system.describe(backend),
                             ending=ending(key))
        return StoredKey(provider=provider, where="file", location=str(self.path), ending=ending(key))

    def get(self, provider: str) -> Secret | None:
        """``provider``'s stored key (``None``: none stored)."""
        entry = read_entries(self.path).get(provider)
        return None if entry is None else key_of(provider, entry)

    def remove(self, provider: str) -> StoredKey | None:
        """Forget ``provider``'s key, from wherever it is kept; what was removed (``None``: nothing)."""
        with locked(self.path):
            entries = read_entries(self.path)
            entry = entries.pop(provider, None)
            if entry is None:
                return None
            if entry.get("keyring"):
                system.delete(provider)
            write_entries(self.path, entries)
        return self._describe(provider, entry, read=False)

    def list(self) -> list[StoredKey]:
        """Every stored key, by provider name."""
        return [self._describe(name, entry, read=True)
                for name, entry in sorted(read_entries(self.path).items())]

    def _describe(self, provider: str, entry: Mapping[str, object], *, read: bool) -> StoredKey:
        if entry.get("keyring"):
            backend = system.usable_backend()
            location = system.describe(backend) if backend is not None else "keyring (not available now)"
            shown = None
            if read and backend is not None:
                try:
                    value = system.get(provider)
                except ConfigurationError:
                    value = None
                shown = ending(value) if value else None
            return StoredKey(provider=provider, where="keyring", location=location, ending=shown)
        key = entry.get("key")
        return StoredKey(provider=provider, where="file", location=str(self.path),
                         ending=ending(key) if isinstance(key, str) and read else None)


def key_of(provider: str, entry: Mapping[str, object]) -> Secret | None:
    """The key an entry of the key file stands for: its own, or the keyring's."""
    if entry.get("keyring"):
        value = system.get(provider)
        return Secret(value) if value else None
    key = entry.get("key")
    if not isinstance(key, str) or not key:
        raise ConfigurationError(f"{provider}: its entry in the key file holds no key; set it again "
                                 f"with 'modelplex keys set {provider}'")
    return Secret(key)
