"""API keys stored once, by ``modelplex keys set``: in the operating system's keyring when one is usable,
else in a 0600 file; never in the config file, a log line or the usage database.

The key file (``keys.json`` in the user config directory, or ``$MODELPLEX_KEYS_FILE``) is also the
index of what is stored: a keyring cannot list its entries, so a key kept there leaves a line in the
file saying so, and the key itself stays in the keyring. The file lives in the user's config directory
and not beside a config file named by ``$MODELPLEX_CONFIG``: such a file is often a project's, in a
repository, where a key must never land.

Where a provider's key comes from, first found wins: the client's ``providers=`` argument, the
environment variables the plugin names (``OPENAI_API_KEY``) or ``api_key_env``, an ``api_key`` in the
config file, then this store. A client built with ``config_file=False`` reads no store either.
"""

from __future__ import annotations

from modelplex._lazy import lazy_exports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from modelplex._keys.file import KEYS_FILE_ENV, keys_path
    from modelplex._keys.lookup import KeyLookup
    from modelplex._keys.store import KeyStore, StoredKey

# Loaded on first use: a client reads the package for its first provider without a key, and should pay
# for the file's reader alone, not for the store's writer.
__getattr__, __dir__ = lazy_exports(__name__, {
    "KEYS_FILE_ENV": "file", "keys_path": "file", "KeyLookup": "lookup", "KeyStore": "store",
    "StoredKey": "store"})

__all__ = ["KEYS_FILE_ENV", "KeyLookup", "KeyStore", "StoredKey", "keys_path"]
