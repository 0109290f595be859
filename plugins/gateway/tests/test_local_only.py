"""With no virtual keys configured the gateway serves its own machine only: a request from the loopback
interface passes as the ``local`` principal (whose calls the usage log records with ``caller=local``), one
arriving on another interface is refused before any call, in the API's error shape."""

from __future__ import annotations

import socket

import httpx
import pytest
from gateway_server import openai_client, openai_whole, served

from modelplex_testing.compat_server import ScriptedServer


def _other_address() -> str | None:
    """An address of this machine that is not loopback, found by routing a UDP socket (nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = s.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_without_keys_only_loopback_requests_pass() -> None:
    other = _other_address()
    if other is None:
        pytest.skip("this machine has no address but loopback")
    body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    with ScriptedServer([openai_whole("local only")]) as up, served(openai_client(up), host="0.0.0.0") as gw:
        port = gw.url.rsplit(":", 1)[1]
        remote = httpx.post(f"http://{other}:{port}/v1/chat/completions", json=body)
        anthropic_shaped = httpx.post(f"http://{other}:{port}/v1/messages", json={})
        health = httpx.get(f"http://{other}:{port}/health")
        assert up.requests == []
        local = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=body)
    assert remote.status_code == 401
    assert remote.json()["error"]["code"] == "no_keys_configured"
    assert "modelplex gateway keys create" in remote.json()["error"]["message"]
    assert anthropic_shaped.status_code == 401
    assert anthropic_shaped.json()["type"] == "error"
    assert anthropic_shaped.json()["error"]["type"] == "authentication_error"
    assert health.status_code == 200  # liveness is for any prober: it calls nothing, shows nothing
    assert local.status_code == 200 and local.json()["choices"][0]["message"]["content"] == "local only"
