"""The usage log for Modelplex: every call recorded in SQLite or PostgreSQL.

The plugin module is :mod:`modelplex_store.plugin`; importing this package imports no database driver.
"""

__version__ = "0.1.0"
