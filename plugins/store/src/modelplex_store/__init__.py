"""The usage log for Modelplex: every call recorded in SQLite or PostgreSQL.

The plugin module is :mod:`modelplex_store.plugin`; importing this package imports no database driver.
``modelplex_store.open(url)`` gives a :class:`~modelplex_store.api.Store` to query (see
:mod:`modelplex_store.api`); it and the store's classes are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelplex_store.api import Store, StoreUnavailable, open
    from modelplex_store.recorder import flush, stats

__version__ = "0.1.0"
__all__ = ["Store", "StoreUnavailable", "flush", "open", "stats"]


def __getattr__(name: str) -> Any:
    if name in ("flush", "stats"):  # the recorder's, in this process: see recorder.py
        from modelplex_store import recorder

        return getattr(recorder, name)
    if name in __all__:  # the query API, imported when first asked for
        from modelplex_store import api

        return getattr(api, name)
    raise AttributeError(f"module 'modelplex_store' has no attribute {name!r}")
