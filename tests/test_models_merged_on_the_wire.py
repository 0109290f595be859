"""Real provider plugins asked on the wire (loopback servers): ``client.list_models()`` merges what they
list with the shipped catalog and the config's overrides, and ``chain/local`` never offers an embedding
model for chat, even when the server's listing does not say what a model does."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import modelplex
from modelplex._catalog.lookup import catalog
from modelplex_testing.compat_server import Reply, ScriptedServer

FIXTURES = Path(__file__).resolve().parents[1] / "plugins" / "ollama" / "tests" / "fixtures" / "ollama"


def _recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["response"]["body"]


def test_list_models_merges_the_openai_listing_with_the_catalog_and_overrides(tmp_path: Path) -> None:
    listing = {"object": "list", "data": [
        {"id": "gpt-4o", "object": "model", "owned_by": "system"},
        {"id": "gpt-4o-mini", "object": "model", "owned_by": "system"},
        {"id": "ft:gpt-4o-mini:acme::abc123", "object": "model", "owned_by": "acme"},
    ]}
    config = tmp_path / "config.toml"
    config.write_text('[models."openai/gpt-4o-mini"]\nprices = { input = "0.1" }\ntier = "standard"\n')
    with ScriptedServer([Reply.json({})], routes={"/v1/models": Reply.json(listing)}) as server, \
            modelplex.Client(providers={"openai": {"base_url": server.url, "api_key": "sk-test"}},
                             config_file=config, env={}) as client:
        models = {m.id: m for m in client.list_models("openai")}
        shipped = catalog(client.registry).get("openai", "gpt-4o")
        assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/models")]
    assert shipped is not None and shipped.prices.known
    gpt4o = models["gpt-4o"]
    assert gpt4o.prices == shipped.prices and gpt4o.context_window == shipped.context_window
    assert gpt4o.tier == shipped.tier and gpt4o.sources["prices.input"] == "catalog"
    mini = models["gpt-4o-mini"]
    assert mini.prices.input == Decimal("0.1") and mini.sources["prices.input"] == "override"
    assert mini.tier == "standard" and mini.sources["tier"] == "override"
    assert mini.sources["prices.output"] == "catalog" and mini.prices.output is not None
    # A fine-tune no catalog knows: listed, with every price and capability unknown.
    tuned = models["ft:gpt-4o-mini:acme::abc123"]
    assert tuned.prices == modelplex.Prices() and tuned.capabilities == modelplex.Capabilities()
    assert tuned.tier is None and tuned.context_window is None


def test_the_local_chain_never_offers_an_embedding_model_for_chat() -> None:
    tags = _recorded("05_api_tags_docs.json")  # deepseek-r1:latest, llama3.2:latest, recorded
    tags["models"].append({**tags["models"][1], "name": "nomic-embed-text:latest",
                           "model": "nomic-embed-text:latest", "digest": "0a109f422b47",
                           "details": {**tags["models"][1]["details"], "family": "nomic-bert"}})
    chat = _recorded("01_api_chat_nonstream_docs.json")
    # /api/show answers nothing here, so the listing alone cannot tell what a model does: the catalog
    # says nomic-embed-text makes embeddings and does not chat.
    routes = {"/api/tags": Reply.json(tags), "/api/show": Reply.json({"error": "not here"}, status=404)}
    with ScriptedServer([Reply.json(chat)], routes=routes) as server, \
            modelplex.Client(providers={"ollama": {"base_url": f"http://127.0.0.1:{server.port}"}},
                             config_file=False, env={}) as client:
        response = client.chat("chain/local", "why is the sky blue?")
        listed = {m.id: m for m in client.list_models("ollama")}
    assert response.trace is not None
    assert set(response.trace.candidates) == {"ollama/deepseek-r1:latest", "ollama/llama3.2:latest"}
    assert response.text == "Hello! How are you today?"
    embed = listed["nomic-embed-text:latest"]
    assert embed.capabilities.embeddings is True and embed.capabilities.chat is False
    assert embed.sources["capabilities.chat"] == "catalog" and embed.local is True


def test_an_embedding_model_named_in_a_chain_is_skipped_for_chat(tmp_path: Path) -> None:
    # No listing is read here: the catalog alone says the model does not chat.
    address = "ollama/nomic-embed-text:latest"
    config = tmp_path / "config.toml"
    config.write_text(f'[chains.mine]\nmodels = ["{address}", "ollama/llama3.2:latest"]\n')
    chat = _recorded("01_api_chat_nonstream_docs.json")
    with ScriptedServer([Reply.json(chat)]) as server, \
            modelplex.Client(providers={"ollama": {"base_url": f"http://127.0.0.1:{server.port}"}},
                             config_file=config, env={}) as client:
        response = client.chat("chain/mine", "hi")
    assert response.trace is not None
    assert [(s.model, s.reason) for s in response.trace.skipped] == [(address, "the model does not chat")]
    assert response.trace.answered_by == "ollama/llama3.2:latest"
