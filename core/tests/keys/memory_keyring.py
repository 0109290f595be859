"""A keyring backend for the tests: keyring's own API over a JSON file, so that a ``modelplex`` process
started by a test and the test itself see the same entries. Selected with
``PYTHON_KEYRING_BACKEND=memory_keyring.FileBackedKeyring`` (this directory on ``PYTHONPATH``) or
``keyring.set_keyring``. Recommended (priority 1), as the Secret Service or macOS Keychain would be."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

STORE_ENV = "TEST_KEYRING_FILE"


class FileBackedKeyring(KeyringBackend):
    """Entries in the JSON file named by ``$TEST_KEYRING_FILE``."""

    priority = 1  # a classproperty in the base; a number suffices

    @staticmethod
    def _path() -> Path:
        return Path(os.environ[STORE_ENV])

    def _read(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("no such password")
        self._path().write_text(json.dumps(data))
