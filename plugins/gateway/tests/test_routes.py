"""The brief's routes: ``/health`` (free: no upstream is asked), ``/ready``, ``/providers``,
``/providers/{provider}/models``, ``POST /chat`` (whole, streamed, in a stored conversation), and
``/metrics`` (Prometheus text with requests, latency, time to first token, tokens and cost by provider and
model, and the gateway's overhead)."""

from __future__ import annotations

from pathlib import Path

import httpx
from gateway_server import UPSTREAM_KEY, openai_client, openai_whole, served, sse_data

import modelplex
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

USAGE = {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}
LISTING = Reply.json({"object": "list", "data": [{"id": "gpt-4o", "object": "model", "created": 1,
                                                  "owned_by": "openai"}]})


def test_health_and_ready_ask_no_upstream() -> None:
    with ScriptedServer([openai_whole()]) as up, served(openai_client(up)) as gw:
        health = httpx.get(f"{gw.url}/health")
        ready = httpx.get(f"{gw.url}/ready")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert up.requests == []  # nothing billed, nothing listed


def test_providers_say_which_are_configured_and_list_a_providers_live_models() -> None:
    with ScriptedServer([openai_whole()], routes={"/v1/models": LISTING}) as up, \
            served(openai_client(up)) as gw:
        providers = {p["name"]: p for p in httpx.get(f"{gw.url}/providers").json()["providers"]}
        listed = httpx.get(f"{gw.url}/providers/openai/models").json()
        unknown = httpx.get(f"{gw.url}/providers/nosuch/models")
    assert providers["openai"]["configured"] is True and providers["openai"]["enabled"] is True
    assert "gpt-4o" in providers["openai"]["models"]
    assert providers["anthropic"]["configured"] is False  # installed, no key
    assert [m["address"] for m in listed["models"]] == ["openai/gpt-4o"]
    assert listed["models"][0]["context_window"] > 0  # the catalog's facts merged in
    assert [r.path for r in up.requests] == ["/v1/models"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "provider_not_found"


def test_chat_names_provider_and_model_and_sends_the_options() -> None:
    with ScriptedServer([openai_whole("Paris.", usage=USAGE)]) as up, served(openai_client(up)) as gw:
        reply = httpx.post(f"{gw.url}/chat", json={"message": "Capital of France?", "provider": "openai",
                                                   "model": "gpt-4o", "temperature": 0.1, "max_tokens": 20})
    body = reply.json()
    assert reply.status_code == 200
    assert (body["text"], body["provider"], body["model"]) == ("Paris.", "openai", "gpt-4o")
    assert body["usage"] == {"input_tokens": 1000, "output_tokens": 500, "total_tokens": 1500}
    assert body["cost"] is not None and float(body["cost"]) > 0  # the catalog prices gpt-4o
    sent = up.requests[0].json
    assert sent["messages"] == [{"role": "user", "content": "Capital of France?"}]
    assert sent["temperature"] == 0.1
    assert sent.get("max_tokens", sent.get("max_completion_tokens")) == 20


def test_chat_streams_deltas_then_the_whole_reply() -> None:
    stream = Reply.stream([chunk(content="Par"), chunk(content="is."), chunk(finish="stop"),
                           chunk(usage=USAGE)])
    with ScriptedServer([stream]) as up, served(openai_client(up)) as gw:
        text = httpx.post(f"{gw.url}/chat", json={"message": "Capital?", "model": "openai/gpt-4o",
                                                  "stream": True}).text
    data = sse_data(text)
    assert [d["text"] for d in data[:-1]] == ["Par", "is."]
    assert data[-1]["text"] == "Paris." and data[-1]["usage"]["output_tokens"] == 500
    assert "event: done" in text


def test_chat_in_a_stored_conversation_sends_the_history_when_continued(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n')
    with ScriptedServer([openai_whole("Paris."), openai_whole("About 2 million.")]) as up, served(
            lambda: modelplex.AsyncClient(config_file=config, env={}, providers={"openai": {
                "base_url": up.url, "api_key": UPSTREAM_KEY, "api": "chat_completions"}})) as gw:
        first = httpx.post(f"{gw.url}/chat", json={"message": "Capital of France?", "model": "openai/gpt-4o",
                                                   "conversation": True}).json()
        second = httpx.post(f"{gw.url}/chat", json={"message": "Its population?", "model": "openai/gpt-4o",
                                                    "conversation_id": first["conversation_id"]}).json()
    assert first["conversation_id"] and second["conversation_id"] == first["conversation_id"]
    assert second["text"] == "About 2 million."
    assert up.requests[1].json["messages"] == [
        {"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "Its population?"}]


def test_metrics_count_requests_tokens_cost_ttft_and_overhead() -> None:
    # By the model that answered, as the upstream names it.
    stream = Reply.stream([chunk(content="Hi", model="gpt-4o"), chunk(finish="stop", model="gpt-4o"),
                           chunk(usage=USAGE, model="gpt-4o")])
    with ScriptedServer([openai_whole(usage=USAGE), stream]) as up, served(openai_client(up)) as gw:
        httpx.post(f"{gw.v1}/chat/completions", json={"model": "openai/gpt-4o",
                                                      "messages": [{"role": "user", "content": "a"}]})
        httpx.post(f"{gw.v1}/chat/completions", json={"model": "openai/gpt-4o", "stream": True,
                                                      "messages": [{"role": "user", "content": "b"}]})
        httpx.post(f"{gw.v1}/chat/completions", json={"model": "nosuch/x",
                                                      "messages": [{"role": "user", "content": "c"}]})
        text = httpx.get(f"{gw.url}/metrics").text
    lines = {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in text.splitlines()
             if line and not line.startswith("#")}
    route = 'route="/v1/chat/completions"'
    assert int(lines[f'modelplex_gateway_requests_total{{{route},method="POST",status="200"}}']) >= 2
    assert int(lines[f'modelplex_gateway_requests_total{{{route},method="POST",status="404"}}']) >= 1
    assert int(lines[f'modelplex_gateway_errors_total{{{route},code="model_not_found"}}']) >= 1
    model = 'provider="openai",model="gpt-4o"'
    assert int(lines[f'modelplex_gateway_tokens_total{{{model},kind="input"}}']) >= 2000
    assert int(lines[f'modelplex_gateway_tokens_total{{{model},kind="output"}}']) >= 1000
    assert float(lines[f"modelplex_gateway_cost_usd_total{{{model}}}"]) > 0
    assert int(lines[f"modelplex_gateway_time_to_first_token_seconds_count{{{model}}}"]) >= 1
    assert int(lines[f"modelplex_gateway_overhead_seconds_count{{{route}}}"]) >= 3
    assert f'modelplex_gateway_overhead_seconds_bucket{{{route},le="+Inf"}}' in lines
    assert UPSTREAM_KEY not in text
