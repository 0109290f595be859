"""End to end: the installed ``replicate`` plugin against a loopback server speaking Replicate's
predictions API (tests/replicate_server.py), through the public client: the three addressing forms,
streams read to their end, polling, usage and cost from the metrics, errors, and cancellation."""

from __future__ import annotations

import asyncio
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from replicate_server import PIECES, ReplicateServer

import modelplex
from modelplex import FinishReason, Message, Usage
from modelplex.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
)
from modelplex_testing import cli_env, modelplex_command

TOKEN = "r8_replicate-e2e-token-0123456789abcdef"
LLAMA3 = "meta/meta-llama-3-8b-instruct"
VERSION = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
TEXT = "".join(PIECES)


def settings(server: ReplicateServer, **more: Any) -> dict[str, Any]:
    return {"base_url": server.base, "api_key": TOKEN, "poll_interval": 0.02, **more}


def client(server: ReplicateServer, **more: Any) -> modelplex.Client:
    return modelplex.Client(providers={"replicate": settings(server, **more)}, config_file=False, env={})


def creation(server: ReplicateServer) -> tuple[str, dict[str, str], Any]:
    method, path, headers, body = server.requests[0]
    assert method == "POST"
    return path, headers, body


@pytest.mark.parametrize(("model", "path", "version"), [
    (LLAMA3, f"/v1/models/{LLAMA3}/predictions", None),
    (f"meta/llama-2-70b-chat:{VERSION}", "/v1/predictions", VERSION),
    (VERSION, "/v1/predictions", VERSION),
    ("deployments/acme/my-llama", "/v1/deployments/acme/my-llama/predictions", None),
])
def test_each_addressing_form_creates_on_its_route(model: str, path: str, version: str | None) -> None:
    with ReplicateServer() as server, client(server) as c:
        response = c.chat(f"replicate/{model}", "Write a haiku about llamas")
    sent_path, headers, body = creation(server)
    assert sent_path == path and body.get("version") == version
    assert body["input"] == {"prompt": "Write a haiku about llamas"}
    assert headers["authorization"] == f"Bearer {TOKEN}" and headers["prefer"] == "wait"
    assert response.text == TEXT and response.model == model


def test_a_model_id_that_is_none_of_the_forms_is_refused_before_sending() -> None:
    with ReplicateServer() as server, client(server) as c, pytest.raises(InvalidRequestError) as info:
        c.chat("replicate/llama", "hi")
    assert "owner/name" in str(info.value) and "deployments/owner/name" in str(info.value)
    assert server.requests == []


def test_a_stream_is_read_to_done_then_the_prediction_for_usage() -> None:
    with ReplicateServer() as server, client(server) as c, c.stream(f"replicate/{LLAMA3}", "haiku") as s:
        events = list(s)
    response = s.response
    assert response is not None and response.text == TEXT
    assert [e.text for e in events if e.type == "text_delta"] == list(PIECES)
    assert response.usage == Usage(input=9, output=5) and not response.usage.estimated
    assert response.finish_reason == FinishReason.STOP and response.id == "p1"
    assert [(m, p) for m, p, _, _ in server.requests] == [
        ("POST", f"/v1/models/{LLAMA3}/predictions"), ("GET", "/stream/p1"), ("GET", "/v1/predictions/p1")]
    assert creation(server)[2]["stream"] is True and server.cancels == []


def test_a_whole_reply_polls_until_the_prediction_is_over() -> None:
    with ReplicateServer(polls=2) as server, client(server) as c:
        response = c.chat(f"replicate/{LLAMA3}", "haiku")
    assert response.text == TEXT and response.usage == Usage(input=9, output=5)
    assert [p for _, p, _, _ in server.requests[1:]] == ["/v1/predictions/p1"] * 3 and server.cancels == []


def test_output_that_reached_max_tokens_is_a_length_finish() -> None:
    with ReplicateServer() as server, client(server) as c:
        response = c.chat(f"replicate/{LLAMA3}", "haiku", max_tokens=5)
    assert response.finish_reason == FinishReason.LENGTH and creation(server)[2]["input"]["max_tokens"] == 5


@pytest.mark.feature("cost", provider="replicate")
def test_the_official_model_is_priced_and_a_version_is_not() -> None:
    """9 input tokens x 0.05 + 5 output x 0.25 = 0.45 + 1.25 = 1.70 per 10^6."""
    with ReplicateServer() as server, client(server) as c:
        official = c.chat(f"replicate/{LLAMA3}", "haiku")
        versioned = c.chat(f"replicate/meta/llama-2-70b-chat:{VERSION}", "haiku")
    assert official.cost is not None and official.cost.status == "exact"
    assert official.cost.total == Decimal("0.0000017")
    assert versioned.cost is not None and versioned.cost.total is None and versioned.cost.status == "unknown"


def test_a_model_that_counts_no_tokens_reports_no_zeros() -> None:
    with ReplicateServer(metrics={"predict_time": 1.2}) as server, client(server) as c:
        response = c.chat(f"replicate/{LLAMA3}", "haiku")
    assert response.usage.estimated


# -- the input ------------------------------------------------------------------------------------


def test_the_request_as_a_language_model_s_input() -> None:
    with ReplicateServer() as server, client(server) as c:
        response = c.chat(f"replicate/{LLAMA3}", [Message.system("Be brief."), Message.user("A haiku")],
                          max_tokens=64, temperature=0.2, top_p=0.9, seed=7, stop=["\n\n", "END"],
                          extra={"top_k": 40, "min_tokens": 1})
    assert creation(server)[2]["input"] == {
        "prompt": "A haiku", "system_prompt": "Be brief.", "max_tokens": 64, "temperature": 0.2,
        "top_p": 0.9, "seed": 7, "stop_sequences": "\n\n,END", "top_k": 40, "min_tokens": 1}
    assert response.warnings == ()


def test_llama_2_takes_max_new_tokens() -> None:
    with ReplicateServer() as server, client(server) as c:
        c.chat("replicate/meta/llama-2-70b-chat", "A haiku", max_tokens=64)
    assert creation(server)[2]["input"] == {"prompt": "A haiku", "max_new_tokens": 64}


def test_tools_are_not_sent_and_say_so() -> None:
    with ReplicateServer() as server, client(server) as c:
        response = c.chat(f"replicate/{LLAMA3}", "Weather in Oslo?",
                          tools=[{"name": "weather", "parameters": {"type": "object"}}],
                          response_format={"type": "json_object"})
    body = creation(server)[2]
    assert "tools" not in body and "tools" not in body["input"] and "response_format" not in body["input"]
    assert {w.field for w in response.warnings} >= {"tools", "response_format"}


def test_a_conversation_goes_as_a_transcript_in_the_prompt_with_a_warning() -> None:
    with ReplicateServer() as server, client(server) as c:
        response = c.chat(f"replicate/{LLAMA3}", [Message.user("Hi"), Message.assistant("Hello!"),
                                                  Message.user("A haiku?")])
    assert creation(server)[2]["input"]["prompt"] == (
        "User: Hi\n\nAssistant: Hello!\n\nUser: A haiku?\n\nAssistant:")
    assert [w.field for w in response.warnings] == ["messages"]


def test_tool_calls_and_results_in_a_conversation_are_written_out_with_a_warning() -> None:
    call = modelplex.ToolCallPart(id="c1", name="weather", arguments={"city": "Oslo"})
    with ReplicateServer() as server, client(server) as c:
        response = c.chat(f"replicate/{LLAMA3}", [Message.user("Weather in Oslo?"), Message.assistant([call]),
                                                  Message.tool("c1", "-3 °C, snow", name="weather")])
    assert creation(server)[2]["input"]["prompt"] == (
        'User: Weather in Oslo?\n\nAssistant: [called weather({"city": "Oslo"})]\n\n'
        "Tool: [weather returned: -3 °C, snow]\n\nAssistant:")
    fields = [w.field for w in response.warnings]
    assert fields == ["messages[1]", "messages[2]", "messages"]


# -- errors ---------------------------------------------------------------------------------------


def problem(status: int, title: str, detail: str, **headers: str) -> ReplicateServer:
    return ReplicateServer(error=(status, {"title": title, "detail": detail, "status": status}, headers))


@pytest.mark.parametrize(("status", "title", "detail", "kind", "code"), [
    (401, "Unauthenticated", "You did not pass a valid authentication token", AuthenticationError,
     "unauthenticated"),
    (402, "Insufficient credit", "You have insufficient credit to run this model.", BadRequestError,
     "insufficient_credit"),
    (404, "Not found", "The requested resource could not be found.", ModelNotFoundError, "not_found"),
    (422, "Input validation failed", "- input.temperature: Must be less than or equal to 5",
     BadRequestError, "invalid_input"),
    (422, "Input validation failed", "- input.prompt: the prompt is too long for the model's context window",
     ContextLengthExceededError, "invalid_input"),
])
def test_errors_are_typed_and_name_the_provider(status: int, title: str, detail: str,
                                                kind: type[Exception], code: str) -> None:
    with problem(status, title, detail) as server, client(server) as c, pytest.raises(kind) as info:
        c.chat(f"replicate/{LLAMA3}", "hi")
    err = info.value
    assert type(err) is kind  # not merely a subclass: a plain 422 is no context-length error
    assert isinstance(err, modelplex.errors.APIStatusError) and err.status_code == status
    assert err.code == code and detail in str(err) and str(err).startswith(f"replicate/{LLAMA3}: ")
    assert not err.is_retryable
    assert TOKEN not in repr(err) + str(vars(err))


def test_a_throttled_request_waits_what_replicate_says() -> None:
    with problem(429, "Request was throttled.", "Request was throttled. Expected available in 3 seconds.",
                 **{"retry-after": "3"}) as server, client(server) as c, \
            pytest.raises(RateLimitError) as info:
        c.chat(f"replicate/{LLAMA3}", "hi")
    assert info.value.retry_after == 3.0 and info.value.is_retryable
    assert "Expected available in 3 seconds" in str(info.value)


def test_a_failed_prediction_says_why() -> None:
    with ReplicateServer(final_status="failed") as server, client(server) as c, \
            pytest.raises(ProviderError, match="prediction p1 failed: CUDA out of memory"):
        c.chat(f"replicate/{LLAMA3}", "hi")


def test_an_error_event_ends_the_stream_after_what_arrived() -> None:
    seen: list[Any] = []
    with ReplicateServer(end_event='event: error\ndata: {"detail": "CUDA out of memory"}\n\n') as server, \
            client(server) as c, pytest.raises(ProviderError, match="CUDA out of memory"), \
            c.stream(f"replicate/{LLAMA3}", "hi") as s:
        seen.extend(s)
    assert "".join(e.text for e in seen if e.type == "text_delta") == TEXT
    assert server.cancels == []  # the prediction is over: nothing to cancel


def test_a_prediction_cancelled_elsewhere_is_an_error_not_a_short_reply() -> None:
    with ReplicateServer(end_event='event: done\ndata: {"reason": "canceled"}\n\n') as server, \
            client(server) as c, pytest.raises(ProviderError, match="canceled"), \
            c.stream(f"replicate/{LLAMA3}", "hi") as s:
        list(s)


def test_a_stream_cut_off_is_interrupted_and_the_prediction_cancelled() -> None:
    with ReplicateServer(end_event="") as server, client(server) as c, \
            pytest.raises(StreamInterruptedError, match="before its done event"), \
            c.stream(f"replicate/{LLAMA3}", "hi") as s:
        list(s)
    assert server.cancels == ["/v1/predictions/p1/cancel"]


def test_a_model_that_does_not_stream_is_an_error_and_its_prediction_cancelled() -> None:
    with ReplicateServer(streams=False) as server, client(server) as c, \
            pytest.raises(ProviderError, match="does not stream its output"), \
            c.stream(f"replicate/{LLAMA3}", "hi") as s:
        list(s)
    assert server.cancels == ["/v1/predictions/p1/cancel"]  # it runs anyway: nobody would read it


def test_a_stream_url_that_answers_an_error_is_that_error_and_the_prediction_cancelled() -> None:
    with ReplicateServer(stream_status=404) as server, client(server) as c, \
            pytest.raises(modelplex.errors.NotFoundError, match="stream expired") as info, \
            c.stream(f"replicate/{LLAMA3}", "hi") as s:
        list(s)
    assert not isinstance(info.value, ModelNotFoundError)  # the model was there: its stream was not
    assert server.cancels == ["/v1/predictions/p1/cancel"]


# -- cancellation ---------------------------------------------------------------------------------


def test_leaving_a_stream_early_cancels_the_prediction() -> None:
    with ReplicateServer(delay=0.05, pieces=[f"word{i} " for i in range(40)]) as server, client(server) as c:
        with c.stream(f"replicate/{LLAMA3}", "hi") as s:
            for event in s:
                if event.type == "text_delta":
                    break
        assert server.cancelled.wait(5)
    assert server.cancels == ["/v1/predictions/p1/cancel"]
    assert server.requests[-1][2]["authorization"] == f"Bearer {TOKEN}"


def test_a_stream_whose_read_deadline_fires_cancels_the_prediction() -> None:
    with ReplicateServer(hang=True) as server, client(server, read_timeout=0.3) as c, \
            pytest.raises((StreamInterruptedError, RequestTimeoutError)), \
            c.stream(f"replicate/{LLAMA3}", "hi") as s:
        list(s)
    assert server.cancels == ["/v1/predictions/p1/cancel"]


def test_a_whole_reply_whose_call_deadline_fires_cancels_the_prediction() -> None:
    with ReplicateServer(polls=10_000) as server, client(server, call_timeout=0.4) as c, \
            pytest.raises(RequestTimeoutError):
        c.chat(f"replicate/{LLAMA3}", "hi")
    assert server.cancels == ["/v1/predictions/p1/cancel"]


def test_a_caller_that_cancels_its_task_cancels_the_prediction() -> None:
    async def go(server: ReplicateServer) -> None:
        async with modelplex.AsyncClient(providers={"replicate": settings(server)}, config_file=False,
                                         env={}) as c:
            task = asyncio.create_task(c.chat(f"replicate/{LLAMA3}", "hi"))
            # Created, and polled once: it is running.
            await asyncio.to_thread(server.polled.wait, 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    with ReplicateServer(polls=10_000) as server:
        asyncio.run(go(server))
    assert server.cancels == ["/v1/predictions/p1/cancel"]


def test_under_trio_a_cancelled_scope_still_cancels_the_prediction() -> None:
    """trio cancels every await inside a cancelled scope: the cancel request is shielded from it."""
    import trio

    async def go(server: ReplicateServer) -> None:
        async with modelplex.AsyncClient(providers={"replicate": settings(server)}, config_file=False,
                                         env={}) as c:
            scope = trio.CancelScope()

            async def call() -> None:
                with scope:
                    await c.chat(f"replicate/{LLAMA3}", "hi")

            async with trio.open_nursery() as nursery:
                nursery.start_soon(call)
                await trio.to_thread.run_sync(server.polled.wait, 10)  # created and running
                scope.cancel()
            assert scope.cancelled_caught

    with ReplicateServer(polls=10_000) as server:
        trio.run(go, server)
    assert server.cancels == ["/v1/predictions/p1/cancel"]


ELSEWHERE = "the token is not sent there"


def test_a_prediction_pointing_elsewhere_is_not_read_with_the_token() -> None:
    """The prediction's urls name another host than the API's (and not Replicate's): refused, unsent."""
    with ReplicateServer(host="localhost", polls=1) as server, client(server) as c, \
            pytest.raises(modelplex.errors.ResponseParseError, match=ELSEWHERE):
        c.chat(f"replicate/{LLAMA3}", "hi")
    assert [m for m, _, _, _ in server.requests] == ["POST"]  # only the creation, on the API's own host


def test_a_stream_pointing_elsewhere_is_not_opened_with_the_token() -> None:
    with ReplicateServer(host="localhost") as server, client(server) as c, \
            pytest.raises(modelplex.errors.ResponseParseError, match=ELSEWHERE), \
            c.stream(f"replicate/{LLAMA3}", "hi") as s:
        list(s)
    assert [m for m, _, _, _ in server.requests] == ["POST"]


def test_the_token_comes_from_replicate_api_token() -> None:
    with ReplicateServer() as server, modelplex.Client(
            providers={"replicate": {"base_url": server.base}}, config_file=False,
            env={"REPLICATE_API_TOKEN": TOKEN}) as c:
        c.chat(f"replicate/{LLAMA3}", "hi")
    assert creation(server)[1]["authorization"] == f"Bearer {TOKEN}"


def test_the_chat_command(tmp_path: Path) -> None:
    with ReplicateServer() as server:
        env = cli_env(tmp_path / "absent.toml", drop=("REPLICATE_",), REPLICATE_BASE_URL=server.base,
                      REPLICATE_API_TOKEN=TOKEN)
        done = subprocess.run([modelplex_command(), "chat", "-m", f"replicate/{LLAMA3}", "A haiku"],
                              capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Fuzzy, gentle beasts" in done.stdout and TOKEN not in done.stdout + done.stderr
    assert creation(server)[2]["input"]["prompt"] == "A haiku"
