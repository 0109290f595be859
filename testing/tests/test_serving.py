"""The kit's helpers for loopback servers in tests."""

from __future__ import annotations

import pytest

from modelplex_testing import serving


def test_serving_stops_every_server_started_last_first_even_on_failure() -> None:
    log: list[str] = []

    class Server:
        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> Server:
            log.append(f"start {self.name}")
            return self

        def __exit__(self, *exc: object) -> None:
            log.append(f"stop {self.name}")

    def run() -> None:
        with serving(Server) as start:
            assert start("a").name == "a"
            start("b")
            raise RuntimeError("test failed")

    with pytest.raises(RuntimeError, match="test failed"):
        run()
    assert log == ["start a", "start b", "stop b", "stop a"]
