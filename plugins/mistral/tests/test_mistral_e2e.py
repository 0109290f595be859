"""End to end: the installed ``mistral`` plugin against a real HTTP server on 127.0.0.1: the body
Mistral's strict API takes (``random_seed``, no ``stream_options``), over the recorded replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import modelplex
from modelplex_testing import Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

FIXTURES = Path(__file__).parent / "fixtures" / "mistral"


def recorded(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def client(server: ScriptedServer) -> modelplex.Client:
    return modelplex.Client(providers={"mistral": {"base_url": server.url, "api_key": "mistral-key"}},
                            config_file=False, env={})


def test_a_seed_is_sent_as_random_seed() -> None:
    with ScriptedServer([Reply.json(recorded("01_text").response["body"])]) as server, \
            client(server) as c:
        c.chat("mistral/mistral-small-latest", "What's 2 + 2?", seed=7, temperature=0.2)
    body: dict[str, Any] = server.requests[0].json
    assert body["random_seed"] == 7 and "seed" not in body
    assert body["temperature"] == 0.2


def test_a_stream_asks_for_no_stream_options_and_still_gets_its_usage() -> None:
    text = str(recorded("04_stream_text").response["body_text"])
    chunks = [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: {")]
    with ScriptedServer([Reply.stream(chunks)]) as server, client(server) as c, \
            c.stream("mistral/mistral-small-latest", "Count from 1 to 3") as stream:
        response = stream.get_response()
    assert "stream_options" not in server.requests[0].json
    assert response.usage == modelplex.Usage(input=22, output=8)
    assert not response.usage.estimated
