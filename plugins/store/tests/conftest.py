"""Fixtures of the store's tests: a real PostgreSQL cluster, databases on it, and store URLs of both kinds.

- ``postgres``: one throwaway cluster for the whole run (:func:`modelplex_store.testing.postgres_server`,
  about a second to start); the test is skipped, with the reason, only where PostgreSQL is not installed.
- ``pg_url``: a fresh, empty database on it for one test.
- ``store_url``: a test taking it runs twice, on a fresh SQLite file and on a fresh PostgreSQL database.
- every test runs with ``MODELPLEX_DATA_DIR`` in its own temporary directory and no store settings
  from the environment, so that nothing reaches the user's own log.

The ``slow`` marker tags the long runs (the kill and restart series): ``-m "not slow"`` leaves them out
of a quick run; CI runs them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from modelplex_store.testing import PostgresServer, find_postgres, postgres_server

ABSENT = ("PostgreSQL is not installed (apt-get install postgresql; or set MODELPLEX_PG_BIN to the "
          "directory of its initdb and pg_ctl)")
_names = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a long run (kills, restarts, thousands of calls); "
                                       "-m 'not slow' leaves these out")


@pytest.fixture(autouse=True)
def _store_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The data directory in the test's temporary directory; no store or config from the environment."""
    data = tmp_path / "modelplex-data"
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(data))
    monkeypatch.setenv("MODELPLEX_CONFIG", str(tmp_path / "modelplex-config.toml"))
    for name in ("MODELPLEX_STORE_URL", "MODELPLEX_STORE", "MODELPLEX_STORE_WRITER", "MODELPLEX_PLUGINS",
                 "MODELPLEX_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the run, on a free loopback port."""
    if find_postgres() is None:
        pytest.skip(ABSENT)
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A fresh, empty database of the session's cluster."""
    return postgres.database(f"t{next(_names)}")


def sqlite_url(path: Path) -> str:
    """The store URL of a SQLite file."""
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each kind in turn: a SQLite file in the test's directory, a PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "store.db")
    return str(request.getfixturevalue("pg_url"))
