"""``POST /v1/embeddings`` and ``GET /v1/models`` with the official ``openai`` SDK."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from gateway_server import UPSTREAM_KEY, client_for, openai_client, recording, replayed, served

from modelplex_testing.compat_server import Reply, ScriptedServer

VECTORS = [[0.25, -0.5, 0.125], [1.0, 0.0, -1.0]]


def _embeddings() -> Reply:
    return Reply.json({"object": "list", "model": "text-embedding-3-small",
                       "data": [{"object": "embedding", "index": i, "embedding": v}
                                for i, v in enumerate(VECTORS)],
                       "usage": {"prompt_tokens": 6, "total_tokens": 6}})


@pytest.mark.parametrize("encoding", ["float", None])  # None: the SDK asks for base64 and decodes it
def test_embeddings_in_float_and_in_the_sdks_default_base64(encoding: str | None) -> None:
    with ScriptedServer([_embeddings()]) as up, served(openai_client(up)) as gw:
        kwargs = {"encoding_format": encoding} if encoding else {}
        result = openai.OpenAI(base_url=gw.v1, api_key="x", max_retries=0).embeddings.create(
            model="openai/text-embedding-3-small", input=["one", "two"], dimensions=3, **kwargs)
    assert [d.embedding for d in result.data] == VECTORS  # exact: the values are float32-representable
    assert [d.index for d in result.data] == [0, 1]
    assert result.usage.prompt_tokens == 6
    sent = up.requests[0].json
    assert sent["input"] == ["one", "two"]
    assert sent["model"] == "text-embedding-3-small"
    assert sent["dimensions"] == 3


def test_embeddings_from_gemini() -> None:
    rec = recording("gemini", "08_batch_embed_contents")
    expected = [e["values"] for e in json.loads(rec.body_bytes())["embeddings"]]
    inputs = [r["content"]["parts"][0]["text"] for r in rec.request_body["requests"]]
    with ScriptedServer([replayed(rec)]) as up, served(client_for(
            {"gemini": {"base_url": f"http://127.0.0.1:{up.port}", "api_key": UPSTREAM_KEY}})) as gw:
        result = openai.OpenAI(base_url=gw.v1, api_key="x", max_retries=0).embeddings.create(
            model="gemini/gemini-embedding-001", input=inputs, encoding_format="float")
    assert len(result.data) == len(expected)
    for got, want in zip(result.data, expected, strict=True):
        assert got.embedding == pytest.approx(want)
    assert up.requests[0].path.endswith(":batchEmbedContents")
    assert [r["content"]["parts"][0]["text"] for r in up.requests[0].json["requests"]] == inputs


def test_token_arrays_are_refused_as_a_bad_request() -> None:
    with ScriptedServer([_embeddings()]) as up, served(openai_client(up)) as gw:
        answer = httpx.post(f"{gw.v1}/embeddings", json={"model": "openai/text-embedding-3-small",
                                                         "input": [[1, 2, 3]]})
        assert up.requests == []
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "input"


def test_models_list_configured_providers_chains_with_catalog_facts() -> None:
    with ScriptedServer([_embeddings()]) as up, served(openai_client(up)) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key="x", max_retries=0)
        models = {m.id: m for m in client.models.list()}
        one = client.models.retrieve("openai/gpt-4o")
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("openai/no-such-model")
    assert "openai/gpt-4o" in models
    assert not any(i.startswith(("anthropic/", "gemini/")) for i in models), "an unconfigured provider listed"
    assert any(i.startswith("chain/") for i in models)
    facts = models["openai/gpt-4o"].model_extra or {}
    assert facts["context_window"] > 0
    assert set(facts["prices_per_million"]) >= {"input", "output"}
    assert all(isinstance(v, str) for v in facts["prices_per_million"].values())  # money: no floats
    assert one.id == "openai/gpt-4o" and one.owned_by == "openai"
    assert up.requests == []  # listing is the catalog's: nothing is asked of the upstream
