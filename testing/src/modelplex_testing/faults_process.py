"""The fault server of ``faults`` in a process of its own, as a provider is on a machine of its own.

:class:`~modelplex_testing.faults.FaultServer` serves from a thread of the test's process. Under load that
thread shares the interpreter lock with a client running a hundred calls, and it may read a request late:
after the client had already given up on it. A log stamped that late is a wrong picture of when requests
arrived, and a rate-limit check made on it fails for the server's lag, not the client's limiter.
:class:`FaultServerProcess` takes the same arguments and is read the same way; the log and the count of
open connections come over a control port that only the test talks to::

    with FaultServerProcess(["local-a"], seed=7, fault_rate=0.2) as server:
        ...
        assert server.max_in_window("local-a", 1.0) <= 60

Run as ``python -m modelplex_testing.faults_process CONFIG_JSON``: it prints the ports as one JSON line
and serves until its standard input closes. Standard library only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import attrs

from modelplex_testing.faults import FaultServer, Logged, LogReader

__all__ = ["FaultServerProcess"]


class FaultServerProcess(LogReader):
    """A :class:`~modelplex_testing.faults.FaultServer` in a child process; the same keyword arguments."""

    def __init__(self, names: list[str] | tuple[str, ...] = ("a",), **options: Any) -> None:
        FaultServer(names, **options)  # the arguments are checked here, not in the child
        self.names = list(names)
        self.options = options
        self.ports: dict[str, int] = {}
        self._control = 0
        self._child: subprocess.Popen[str] | None = None

    def __enter__(self) -> FaultServerProcess:
        config = json.dumps({"names": self.names, **self.options})
        child = self._child = subprocess.Popen(
            [sys.executable, "-m", "modelplex_testing.faults_process", config],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            child.wait(10)
            raise RuntimeError(f"the fault server process ended before serving (exit {child.returncode})")
        started = json.loads(line)
        self.ports, self._control = started["ports"], started["control"]
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _get(self, what: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self._control}/{what}", timeout=10) as reply:
            return json.load(reply)

    @property
    def log(self) -> list[Logged]:
        return [Logged(**entry) for entry in self._get("log")]

    @property
    def open_connections(self) -> int:
        count: int = self._get("open")
        return count


def _control_handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Control(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/log":
                data: Any = [attrs.asdict(e) for e in server.log]
            elif self.path == "/open":
                data = server.open_connections
            else:
                self.send_error(404)
                return
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the child's stderr is the test's."""

    return Control


def main(argv: list[str]) -> None:
    config = json.loads(argv[0])
    names = config.pop("names")
    with FaultServer(names, **config) as server:
        control = ThreadingHTTPServer(("127.0.0.1", 0), _control_handler(server))
        threading.Thread(target=control.serve_forever, daemon=True).start()
        print(json.dumps({"ports": server.ports, "control": control.server_address[1]}), flush=True)
        sys.stdin.read()  # until the parent closes our standard input (or dies)
        control.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
