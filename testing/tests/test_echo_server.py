"""echo_server.py: each scripted answer, as an HTTP client receives it on the loopback wire."""

from __future__ import annotations

import socket

import httpx
import pytest

from modelplex_testing.echo_server import EchoServer

KEY = "sk-echo-test-5555555555"
HEADERS = {"authorization": f"Bearer {KEY}"}


def test_401_quotes_every_header_and_later_requests_get_the_last_answer() -> None:
    with EchoServer(["malformed", "401"]) as server, httpx.Client(base_url=server.url) as http:
        first = http.post("/v1/chat/completions", json={"a": 1}, headers=HEADERS)
        assert first.status_code == 200 and first.headers["content-type"] == "application/json"
        assert f"authorization=Bearer {KEY}" in first.text
        with pytest.raises(ValueError, match="Expecting"):
            first.json()
        for _ in range(2):
            answer = http.post("/v1/chat/completions", json={"a": 1}, headers=HEADERS)
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "invalid_api_key"
            assert f"Bearer {KEY}" in answer.json()["error"]["message"]
    assert [h["authorization"] for h in server.received] == [f"Bearer {KEY}"] * 3
    assert server.received[0]["content-length"] == "7"  # {"a":1}


def test_reset_breaks_the_connection_half_way_through_the_body() -> None:
    with EchoServer(["reset"]) as server, httpx.Client() as http, pytest.raises(httpx.TransportError):
        http.post(f"{server.url}/v1/chat/completions", json={}, headers=HEADERS).read()
    assert len(server.received) == 1


def test_stream_malformed_sends_one_event_then_one_that_is_not_json() -> None:
    with EchoServer(["stream-malformed"]) as server, httpx.Client() as http, \
            http.stream("POST", f"{server.url}/v1/chat/completions", json={}, headers=HEADERS) as r:
        assert r.headers["content-type"] == "text/event-stream"
        lines = [line for line in r.iter_lines() if line]
    assert lines[0] == 'data: {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}'
    assert lines[1].startswith("data: {not json ") and KEY in lines[1]


def test_stream_cut_stops_after_one_event() -> None:
    with EchoServer(["stream-cut"]) as server, httpx.Client() as http, \
            http.stream("POST", f"{server.url}/v1/chat/completions", json={}, headers=HEADERS) as r:
        lines = r.iter_lines()
        first = next(lines)
        with pytest.raises(httpx.RemoteProtocolError):
            list(lines)
    assert first.startswith("data: ") and "Hel" in first


# The serving thread stops on the ValueError (a test's own typo, meant to be loud): pytest reports it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_unknown_answer_closes_the_connection_unanswered() -> None:
    with EchoServer(["bogus"]) as server, httpx.Client() as http, \
            pytest.raises(httpx.RemoteProtocolError):
        http.post(f"{server.url}/x", json={})
    assert len(server.received) == 1


def test_a_client_that_hangs_up_before_its_head_is_no_request() -> None:
    with EchoServer(["401"]) as server:
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\n")  # and closes before the blank line
        with httpx.Client() as http:
            assert http.get(server.url).status_code == 401
    assert len(server.received) == 1
