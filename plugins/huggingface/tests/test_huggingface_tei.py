"""Embeddings through the installed ``huggingface`` plugin from a loopback server speaking Text
Embeddings Inference's documented ``/embed`` format (tests/tei_server.py)."""

from __future__ import annotations

import socket

import httpx
import pytest
from tei_server import MAX_BATCH, TEIServer, vector

import modelplex
from modelplex import Usage
from modelplex.errors import (
    BadRequestError,
    ConfigurationError,
    ContextLengthExceededError,
    ServerError,
    TransportError,
)

TOKEN = "hf_tei-e2e-token-0123456789abcdef"
MODEL = "huggingface/BAAI/bge-small-en-v1.5"


def client(server: TEIServer | None, **settings: object) -> modelplex.Client:
    tei = {"tei_url": server.url} if server is not None else {}
    return modelplex.Client(providers={"huggingface": {**tei, **settings}}, config_file=False,
                            env={"HF_TOKEN": TOKEN})


def test_inputs_go_to_embed_and_come_back_in_order_with_tei_s_token_count() -> None:
    texts = ["a cat", "the quick brown fox", "zebra"]
    with TEIServer() as server, client(server) as c:
        response = c.embed(MODEL, texts)
    assert [list(v) for v in response.vectors] == [vector(t) for t in texts]
    assert response.usage == Usage(input=4 + 6 + 3) and not response.usage.estimated
    body, headers = server.requests[0]
    assert body == {"inputs": texts}  # the model is the server's own: not sent
    assert "authorization" not in headers  # a server Hugging Face does not host gets no token
    assert response.provider == "huggingface" and response.model == "BAAI/bge-small-en-v1.5"


def test_more_inputs_than_a_batch_go_in_batches_tei_accepts() -> None:
    texts = [f"text number {i}" for i in range(MAX_BATCH * 2 + 5)]
    with TEIServer() as server, client(server) as c:
        response = c.embed(MODEL, texts)
    assert [len(body["inputs"]) for body, _ in server.requests] == [MAX_BATCH, MAX_BATCH, 5]
    assert [list(v) for v in response.vectors] == [vector(t) for t in texts]
    assert response.usage.input == 5 * len(texts)


def test_a_smaller_server_limit_is_configurable() -> None:
    with TEIServer(max_batch=2) as server, client(server, tei_batch_size=2) as c:
        c.embed(MODEL, ["a", "b", "c"])
    assert [len(body["inputs"]) for body, _ in server.requests] == [2, 1]


def test_a_batch_over_the_server_s_limit_is_its_413_named() -> None:
    with TEIServer(max_batch=2) as server, client(server) as c, pytest.raises(BadRequestError) as info:
        c.embed(MODEL, ["a", "b", "c"])
    assert info.value.status_code == 413 and "maximum allowed batch size 2" in str(info.value)
    assert info.value.code == "validation" and "huggingface" in str(info.value)
    assert TOKEN not in repr(info.value) + str(vars(info.value))


def test_an_input_over_the_model_s_length_is_context_length_exceeded() -> None:
    long = "word " * 600
    with TEIServer() as server, client(server) as c, pytest.raises(ContextLengthExceededError) as info:
        c.embed(MODEL, ["short", long])
    assert info.value.status_code == 422 and "must have less than 512 tokens" in str(info.value)


def test_tei_s_own_settings_pass_through_and_others_warn() -> None:
    with TEIServer() as server, client(server) as c:
        response = c.embed(MODEL, ["word " * 600], dimensions=2, task_type="search_query",
                           truncate=True, normalize=False, prompt_name="query", colour="blue")
    body, _ = server.requests[0]
    assert body == {"inputs": ["word " * 600], "truncate": True, "normalize": False, "prompt_name": "query"}
    fields = {w.field for w in response.warnings}
    assert {"dimensions", "task_type", "colour"} <= fields
    assert len(response.vectors[0]) == 4  # the model's own dimensions: TEI's /embed takes none


def test_no_token_count_is_an_estimate_not_a_zero() -> None:
    with TEIServer(count_tokens=False) as server, client(server) as c:
        response = c.embed(MODEL, ["hello world"])
    assert response.usage.estimated


def test_no_tei_server_configured_says_how_to_configure_one() -> None:
    with client(None) as c, pytest.raises(ConfigurationError, match="tei_url"):
        c.embed(MODEL, ["hello"])


def test_the_tei_url_from_the_environment() -> None:
    with TEIServer() as server, modelplex.Client(config_file=False, env={
            "HF_TOKEN": TOKEN, "HF_TEI_URL": server.url}) as c:
        c.embed(MODEL, ["hello"])
    assert server.requests[0][0] == {"inputs": ["hello"]}


def test_a_server_that_is_down_is_a_server_error_naming_the_provider() -> None:
    with socket.socket() as probe:  # a port the system gave out and nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with client(None, tei_url=url, connect_timeout=2) as c, pytest.raises(
            (ServerError, TransportError)) as info:
        c.embed(MODEL, ["hello"])
    assert "huggingface" in str(info.value)


def test_a_server_hugging_face_hosts_gets_the_token() -> None:
    """An Inference Endpoint wants the token; the wire is captured by httpx's mock transport (no DNS)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[vector("hello")], headers={"x-compute-tokens": "3"})

    endpoint = "https://abc123.us-east-1.aws.endpoints.huggingface.cloud"
    with client(None, tei_url=endpoint, transport=httpx.MockTransport(answer)) as c:
        response = c.embed(MODEL, ["hello"])
    assert str(seen[0].url) == f"{endpoint}/embed"
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}" and response.usage.input == 3
