"""replicate_wire.py: Replicate's prediction flow as an HTTP client meets it on the loopback wire, and the
helpers that move a recorded prediction onto a loopback server."""

from __future__ import annotations

import json

import httpx

from modelplex_testing.replicate_wire import (
    PredictionServer,
    addressed,
    output_events,
    prediction,
    rehomed,
)

METRICS = {"input_token_count": 20, "output_token_count": 3, "predict_time": 0.2}


def answer(body: object) -> list[str]:
    assert isinstance(body, dict)
    return ["Hello", ",\nworld", "!"] if body["input"]["prompt"] == "Hi" else ["other"]


def test_a_streamed_prediction_is_created_streamed_and_read_over_by_the_urls_it_gives() -> None:
    with PredictionServer(answer, metrics=METRICS) as server, httpx.Client() as http:
        created = http.post(f"{server.base}/models/meta/meta-llama-3-8b-instruct/predictions",
                            json={"input": {"prompt": "Hi"}, "stream": True}, headers={"prefer": "wait"})
        assert created.status_code == 201
        first = created.json()
        # Prefer: wait is answered still processing, so the client must read the prediction for its end.
        assert first["status"] == "processing" and "metrics" not in first
        assert first["urls"]["stream"] == f"{server.url}/stream/{first['id']}"
        stream = http.get(first["urls"]["stream"])
        assert stream.headers["content-type"] == "text/event-stream"
        assert stream.content == b"".join(output_events(["Hello", ",\nworld", "!"]))
        assert "data: ,\ndata: world\n" in stream.text  # a piece's lines, one data line each
        over = http.get(first["urls"]["get"]).json()
    assert over["status"] == "succeeded" and over["output"] == ["Hello", ",\nworld", "!"]
    assert over["metrics"] == METRICS and over["input"] == {"prompt": "Hi"}
    assert [c.path for c in server.created] == ["/v1/models/meta/meta-llama-3-8b-instruct/predictions"]
    assert server.created[0].headers["prefer"] == "wait"
    assert server.reads == [f"/stream/{first['id']}", f"/v1/predictions/{first['id']}"]


def test_a_prediction_without_stream_starts_and_a_cancelled_one_reads_canceled() -> None:
    with PredictionServer(answer) as server, httpx.Client() as http:
        first = http.post(f"{server.base}/predictions",
                          json={"input": {"prompt": "x"}, "version": "v"}).json()
        assert first["status"] == "starting" and "stream" not in first["urls"] and first["output"] is None
        cancelled = http.post(first["urls"]["cancel"])
        assert cancelled.json()["status"] == "canceled"
        assert http.get(first["urls"]["get"]).json()["status"] == "canceled"
        second = http.post(f"{server.base}/predictions", json={"input": {"prompt": "x"}}).json()
        assert second["id"] != first["id"]
        done = http.get(second["urls"]["get"]).json()
        missing = http.get(f"{server.base}/predictions/nothing")
        unknown_cancel = http.post(f"{server.base}/predictions/nothing/cancel")
    # By default one output token a piece.
    assert done["metrics"]["output_token_count"] == 1 and done["status"] == "succeeded"
    assert missing.status_code == 404 and unknown_cancel.status_code == 404
    assert server.cancels == [f"/v1/predictions/{first['id']}/cancel", "/v1/predictions/nothing/cancel"]


def test_a_recorded_prediction_is_moved_onto_a_loopback_server_and_its_model_read_from_the_route() -> None:
    recorded = prediction("abc", base="https://api.replicate.com", status="starting", stream=True)
    recorded["urls"]["stream"] = "https://streaming-api.svc.us.c.replicate.net/v1/predictions/abc"
    moved = rehomed(recorded, "http://127.0.0.1:9")
    assert moved["urls"] == {"get": "http://127.0.0.1:9/v1/predictions/abc",
                             "cancel": "http://127.0.0.1:9/v1/predictions/abc/cancel",
                             "stream": "http://127.0.0.1:9/stream/v1/predictions/abc"}
    assert recorded["urls"]["get"].startswith("https://api.replicate.com")  # the recording is left as it was
    api = "https://api.replicate.com/v1"
    assert addressed(f"{api}/models/meta/meta-llama-3-8b-instruct/predictions", {}) == (
        "meta/meta-llama-3-8b-instruct")
    assert addressed(f"{api}/deployments/acme/chat/predictions", {}) == "deployments/acme/chat"
    assert addressed(f"{api}/predictions", {"version": "0" * 64}) == "0" * 64
    assert json.loads(output_events([], end='event: done\ndata: {"reason": "canceled"}\n\n')[-1]
                      .decode().split("data: ", 1)[1]) == {"reason": "canceled"}
