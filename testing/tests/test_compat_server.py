"""The scripted test server: replies in order, fixed routes, cut streams, hang-ups noticed."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from modelplex_testing.compat_server import Reply, ScriptedServer, chunk


def test_replies_in_order_then_the_last_repeats_and_routes_are_fixed() -> None:
    routes = {"/v1/responses": Reply.text("nope", 404)}
    server = ScriptedServer([Reply.json({"n": 1}), Reply.json({"n": 2})], routes)
    with server, httpx.Client(base_url=server.url) as http:
        got = [http.post("/chat/completions", json={"i": i}).json()["n"] for i in range(3)]
        assert http.post("/responses", json={}).status_code == 404
        assert http.get("/models").json() == {"n": 2}
    assert got == [1, 2, 2]
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 3 + [
        "/v1/responses", "/v1/models"]
    assert server.requests[1].json == {"i": 1} and server.url.startswith("http://127.0.0.1:")


def test_chunk_shapes() -> None:
    assert chunk("Hi")["choices"] == [{"index": 0, "delta": {"content": "Hi"},
                                       "finish_reason": None}]
    assert chunk(usage={"prompt_tokens": 1})["choices"] == []


@pytest.mark.parametrize("chunked", [True, False])
def test_a_cut_stream_ends_early(chunked: bool) -> None:
    reply = Reply.stream([chunk("a"), chunk("b"), chunk(finish="stop")], cut_after=1,
                         chunked=chunked)
    with ScriptedServer([reply]) as server, httpx.Client() as http:
        received = b""
        try:
            with http.stream("POST", f"{server.url}/chat/completions", json={}) as response:
                for part in response.iter_bytes():
                    received += part
        except httpx.RemoteProtocolError:
            assert chunked  # a chunked body cut short is a protocol error; a closed socket is EOF
    assert received.count(b"data: ") == 1 and json.loads(received[6:])["choices"][0]["delta"] == {
        "content": "a"}


def test_a_client_that_hangs_up_is_noticed() -> None:
    reply = Reply.stream([chunk(f"{i}") for i in range(500)], delay=0.002)
    with ScriptedServer([reply]) as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        sock.recv(100)
        sock.close()
        assert server.wait_disconnect(timeout=10)
