"""A throwaway PostgreSQL cluster for tests and benchmarks: :func:`postgres_server`.

Debian's ``postgresql`` package (``apt-get install postgresql``) puts ``initdb`` and ``pg_ctl`` under
``/usr/lib/postgresql/<version>/bin``, off the ``PATH``; elsewhere (Homebrew, a source build) they are on
it, or ``MODELPLEX_PG_BIN`` names their directory. The cluster lives in a fresh temporary directory,
listens on a free 127.0.0.1 port only, trusts local connections, and is stopped and deleted afterwards::

    with postgres_server() as pg:
        url = pg.database("test_1")   # postgresql://postgres@127.0.0.1:PORT/test_1

PostgreSQL refuses to run as root: run as root (a CI container), the cluster's processes run as the
``postgres`` OS user the Debian package creates (or ``nobody``), and its directory is made theirs.
Standard library only: nothing here needs psycopg.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import attrs

__all__ = ["PostgresServer", "find_postgres", "postgres_server"]

BIN_ENV = "MODELPLEX_PG_BIN"
SUPERUSER = "postgres"  # the cluster's superuser role (not the OS user)
_DEBIAN = Path("/usr/lib/postgresql")
StopMode = Literal["smart", "fast", "immediate"]


def find_postgres() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: ``$MODELPLEX_PG_BIN``, else Debian's newest
    ``/usr/lib/postgresql/<version>/bin``, else the ``PATH``; ``None`` when there is none."""
    named = os.environ.get(BIN_ENV)
    if named:
        return Path(named) if (Path(named) / "initdb").is_file() else None
    versions = []
    if _DEBIAN.is_dir():
        for child in _DEBIAN.iterdir():
            if child.name.isdigit() and (child / "bin" / "initdb").is_file():
                versions.append((int(child.name), child / "bin"))
    if versions:
        return max(versions)[1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _os_user() -> str | None:
    """Whom to run the cluster as: ``None`` (ourselves) unless we are root, whom PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and there is neither a 'postgres' nor a 'nobody' OS user to run "
                       "PostgreSQL as (it refuses to run as root)")


_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@attrs.frozen(slots=True, kw_only=True)
class PostgresServer:
    """A running throwaway cluster. ``url`` is its ``postgres`` database; :meth:`database` makes
    others. :meth:`stop` and :meth:`start` take it down and bring it back on the same port (the store's
    tests of a database that goes away mid-load)."""

    bin_dir: Path
    directory: Path
    port: int
    os_user: str | None
    fsync: bool

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

    @property
    def log(self) -> Path:
        """The server's log file (its tail is in the error when it fails to start)."""
        return self.directory / "server.log"

    @property
    def url(self) -> str:
        """A URL of the ``postgres`` database, as the superuser, over TCP on loopback."""
        return self.url_of(SUPERUSER)

    def url_of(self, database: str) -> str:
        """A URL of ``database`` on this cluster."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def database(self, name: str) -> str:
        """Create the empty database ``name`` (a plain identifier) and return its URL."""
        if not _IDENT.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        return self.url_of(name)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
                   f" -c fsync={'on' if self.fsync else 'off'} -c max_connections=200")
        try:
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
                      "start")
        except RuntimeError as exc:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{exc}\nserver log:\n{tail}") from None

    def stop(self, mode: StopMode = "fast") -> None:
        """Stop the server: ``fast`` ends sessions cleanly, ``immediate`` is a crash (recovery from the
        write-ahead log at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        """Whether the server accepts TCP connections now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([str(self.bin_dir / program), *args], user=self.os_user,
                              capture_output=True, text=True, timeout=120, check=False,
                              cwd=self.directory, env={**os.environ, "LC_ALL": "C", "PGTZ": "UTC"})
        if done.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-2000:]}")


@contextlib.contextmanager
def postgres_server(*, fsync: bool = False, bin_dir: Path | None = None) -> Iterator[PostgresServer]:
    """Create, start, yield, then stop and delete a PostgreSQL cluster on a free loopback port.

    ``fsync`` off by default: the tests kill clients and stop the server, never the machine, so the
    operating system's page cache keeps every commit, and a run takes less of a shared CI machine; a
    benchmark of commit cost passes ``fsync=True``.

    :raises FileNotFoundError: PostgreSQL is not installed (see :func:`find_postgres`).
    """
    found = bin_dir or find_postgres()
    if found is None:
        raise FileNotFoundError("PostgreSQL is not installed: no initdb under /usr/lib/postgresql/*/bin, "
                                f"${BIN_ENV} or the PATH (apt-get install postgresql)")
    user = _os_user()
    # Not under the test's tmp_path: root's home is closed to the user the cluster runs as.
    directory = Path(tempfile.mkdtemp(prefix="modelplex-pg-"))
    try:
        if user is not None:
            shutil.chown(directory, user=user)
        server = PostgresServer(bin_dir=found, directory=directory, port=_free_port(), os_user=user,
                                fsync=fsync)
        server._run("initdb", "-D", str(server.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                    "--locale=C", "--no-sync", "--no-instructions")
        server = _started(server)
        try:
            yield server
        finally:
            if server.running() or (server.data / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    server.stop("immediate")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _started(server: PostgresServer) -> PostgresServer:
    """Start ``server``, moving to another free port when another process took this one meanwhile."""
    for attempt in range(3):
        try:
            server.start()
            return server
        except RuntimeError as exc:
            if "already in use" not in str(exc) or attempt == 2:
                raise
            time.sleep(0.1)
            server = attrs.evolve(server, port=_free_port())
    raise AssertionError("unreachable")
