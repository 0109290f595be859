"""The operating system's keyring, through the optional ``keyring`` package (``modelplex[keyring]``).

Imported only when a key is stored there or read from there (``keyring`` and its backend detection take
about 0.3 s). A backend counts as usable when keyring itself would recommend it (priority of 1 or more):
not its ``fail`` backend, the only one on a machine without a secret service, nor a plain-text one,
which would be no safer than the 0600 file.
"""

from __future__ import annotations

from typing import Any

from modelplex.errors import ConfigurationError

SERVICE = "modelplex"


def usable_backend() -> Any | None:
    """The keyring backend to keep keys in, or ``None``: keyring is not installed or has none usable."""
    try:
        import keyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    try:
        priority = float(backend.priority)
    except Exception:  # a third-party backend whose priority check fails cannot be trusted either
        return None
    return backend if priority >= 1 else None


def describe(backend: Any) -> str:
    """The backend's name for people: ``keyring (SecretService Keyring)``."""
    name = getattr(backend, "name", None) or type(backend).__name__
    return f"keyring ({name})"


def _backend(provider: str) -> Any:
    backend = usable_backend()
    if backend is None:
        raise ConfigurationError(f"{provider}: the key is kept in the keyring, but no usable keyring is "
                                 f"available now (install modelplex[keyring] and a backend, or store the key "
                                 f"again with 'modelplex keys set {provider} --store file')")
    return backend


def _failed(provider: str, doing: str, exc: Exception) -> ConfigurationError:
    # The backend's message names the service and user at most, never the password; the type says enough.
    return ConfigurationError(f"{provider}: the keyring could not {doing} the key ({type(exc).__name__})")


def get(provider: str) -> str | None:
    """The key kept in the keyring for ``provider`` (``None``: none)."""
    backend = _backend(provider)
    try:
        value = backend.get_password(SERVICE, provider)
    except Exception as exc:
        raise _failed(provider, "read", exc) from None
    return value if isinstance(value, str) else None


def put(provider: str, key: str, backend: Any) -> None:
    """Keep ``key`` for ``provider`` in ``backend``."""
    try:
        backend.set_password(SERVICE, provider, key)
    except Exception as exc:
        raise _failed(provider, "store", exc) from None


def delete(provider: str) -> None:
    """Remove ``provider``'s key from the keyring; one already gone is no error."""
    backend = _backend(provider)
    try:
        backend.delete_password(SERVICE, provider)
    except Exception as exc:
        import keyring.errors

        if not isinstance(exc, keyring.errors.PasswordDeleteError):
            raise _failed(provider, "remove", exc) from None
