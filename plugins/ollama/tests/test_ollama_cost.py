"""A local model costs nothing, and says so (issue 13): recorded Ollama exchanges, whole and streamed,
priced through the shipped catalog at its stated zero prices: exactly 0, never unknown; a model the
catalog does not know stays unknown, never 0."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ollama_server import OllamaServer, Reply

import modelplex
from modelplex_testing import Recording, serving

pytestmark = pytest.mark.feature("cost", provider="ollama")

FIXTURES = Path(__file__).parent / "fixtures" / "ollama"


@pytest.fixture
def serve() -> Iterator[Callable[..., OllamaServer]]:
    with serving(OllamaServer) as start:
        yield start


def recorded(name: str) -> Reply:
    response = Recording.load(FIXTURES / f"{name}.json").response
    if "body_text" in response:
        return Reply.ndjson([json.loads(line) for line in response["body_text"].splitlines() if line.strip()])
    return Reply.json(response["body"])


def client(server: OllamaServer) -> modelplex.Client:
    return modelplex.Client(providers={"ollama": {"base_url": server.host}}, config_file=False, env={})


def test_a_local_models_reply_costs_exactly_nothing_whole_and_streamed(serve: Any) -> None:
    """01 (26 prompt and 298 output tokens) and 02 (26 and 282) of llama3.2, the catalog's local model."""
    server = serve({"POST /api/chat": [recorded("01_api_chat_nonstream_docs"),
                                       recorded("02_api_chat_stream_docs")]})
    with client(server) as c:
        whole = c.chat("ollama/llama3.2", "Why is the sky blue?")
        with c.stream("ollama/llama3.2", "Why is the sky blue?") as stream:
            streamed = stream.get_response()
    for response, output in ((whole, 298), (streamed, 282)):
        assert response.usage.input == 26 and response.usage.output == output
        cost = response.cost
        assert cost is not None and cost.status == "exact" and cost.total == Decimal(0)
        assert cost.price_version is not None and cost.price_version.startswith("catalog:")


def test_a_model_the_catalog_does_not_know_is_unknown_not_free(serve: Any) -> None:
    body = Recording.load(FIXTURES / "01_api_chat_nonstream_docs.json").response["body"]
    server = serve({"POST /api/chat": Reply.json({**body, "model": "someones-finetune:7b"})})
    with client(server) as c:
        cost = c.chat("ollama/someones-finetune:7b", "hi").cost
    assert cost is not None and cost.status == "unknown" and cost.total is None
