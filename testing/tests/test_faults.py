"""The fault-injecting server: reproducible faults, the wire it speaks, its log and its connection count."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from modelplex_testing.faults import KINDS, FaultServer
from modelplex_testing.faults_process import FaultServerProcess


def ask(url: str, prompt: str, *, stream: bool = False) -> tuple[int, bytes]:
    body = {"model": "m1", "stream": stream, "messages": [{"role": "user", "content": prompt}]}
    try:
        with httpx.Client(timeout=2.0) as http:
            response = http.post(f"{url}/chat/completions", json=body)
            return response.status_code, response.content
    except httpx.HTTPError as exc:
        return -1, type(exc).__name__.encode()


def faults_met(order: list[int], workers: int) -> dict[str, str | None]:
    with FaultServer(["a"], seed=11, fault_rate=0.5, slow=0.01) as server:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda i: ask(server.url("a"), f"prompt {i}"), order))
        return {e.prompt: e.fault for e in server.requests()}


def test_the_same_seed_gives_each_request_the_same_fault_whatever_the_order() -> None:
    order = list(range(40))
    first = faults_met(order, 1)
    shuffled = order[:]
    random.Random(3).shuffle(shuffled)
    assert faults_met(shuffled, 8) == first
    assert 5 < sum(f is not None for f in first.values()) < 35
    assert len({f for f in first.values() if f}) > 3  # several kinds drawn


def test_each_fault_on_the_wire() -> None:
    with FaultServer(["a"], script={"a": [*KINDS, "ok"]}, retry_after=7, slow=0.2) as server:
        url = server.url("a")
        seen = {kind: ask(url, kind) for kind in (*KINDS, "ok")}
    assert seen["429"][0] == 429 and b"rate_limit_exceeded" in seen["429"][1]
    assert (seen["500"][0], seen["503"][0], seen["529"][0]) == (500, 503, 529)
    assert seen["reset"][0] == -1 and seen["cut"][0] == -1
    assert seen["slow"][0] == 200  # late, but whole
    assert seen["malformed"][0] == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(seen["malformed"][1])
    answer = json.loads(seen["ok"][1])
    assert answer["choices"][0]["message"]["content"] == "a: word0 word1 word2 word3"


def test_streams_and_their_cuts() -> None:
    with FaultServer(["a"], script={"a": ["ok", "cut"]}, cut_events=(3,)) as server:
        status, whole = ask(server.url("a"), "s", stream=True)
        got: list[bytes] = []
        with httpx.Client() as http, pytest.raises(httpx.HTTPError), http.stream(
                "POST", f"{server.url('a')}/chat/completions",
                json={"stream": True, "messages": [{"role": "user", "content": "t"}]}) as response:
            got.extend(response.iter_lines())
    assert status == 200 and whole.rstrip().endswith(b"data: [DONE]")
    assert whole.count(b"data: ") == 9  # role, five pieces, finish, usage, [DONE]
    data = [line for line in got if line.startswith("data: ")]
    assert len(data) == 3 and '"role": "assistant"' in data[0] and '"content": "a:"' in data[1]


def test_the_log_the_window_count_and_open_connections(tmp_path: Path) -> None:
    with FaultServer(["a", "b"], models_fault={"b": "503"}) as server:
        with httpx.Client() as http:
            for i in range(5):
                http.post(f"{server.url('a')}/chat/completions", json={"messages": [
                    {"role": "user", "content": f"{i}"}]})
            assert server.open_connections == 1  # kept alive by the client's pool
            assert http.get(f"{server.url('a')}/models").json()["data"][0]["id"] == "m1"
            assert http.get(f"{server.url('b')}/models").status_code == 503
        assert server.wait_idle() == 0
        assert server.max_in_window("a", 60.0) == 5
        assert server.max_in_window("a", 1e-9) == 1
        with pytest.raises(ValueError, match="window"):
            server.max_in_window("a", 0.0)
        assert server.max_in_window("b", 60.0) == 0
        server.write_log(tmp_path / "log.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [(e["server"], e["path"], e["fault"]) for e in lines][-2:] == [("a", "/v1/models", None),
                                                                          ("b", "/v1/models", "503")]
    assert all(isinstance(e["time"], float) for e in lines)


def test_an_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultServer(["a"], script={"a": ["boom"]})


def test_the_server_in_a_process_of_its_own_answers_and_logs_the_same() -> None:
    """The same faults for the same seed as the thread server, read back over the control port."""
    options = {"seed": 11, "fault_rate": 0.5, "slow": 0.01}
    prompts = [f"prompt {i}" for i in range(20)]
    with FaultServer(["a"], **options) as local:
        for prompt in prompts:
            ask(local.url("a"), prompt)
        expected = {e.prompt: e.fault for e in local.requests()}
    with FaultServerProcess(["a"], **options) as server:
        assert server.open_connections == 0
        for prompt in prompts:
            ask(server.url("a"), prompt)
        assert {e.prompt: e.fault for e in server.requests()} == expected
        assert server.max_in_window("a", 60.0) == len(prompts)
        assert server.wait_idle(2.0) == 0
        child = server._child
        assert child is not None
    assert child.returncode == 0  # it ended when the test let go of it


def test_the_server_process_refuses_what_the_server_refuses() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultServerProcess(["a"], faults={"teapot": 1.0})
