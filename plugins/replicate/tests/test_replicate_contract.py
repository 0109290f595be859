"""The provider contract for ``replicate``, on recorded Replicate traffic (tests/fixtures/SOURCES.md).

A Replicate call is several exchanges: the prediction's creation (recorded), then its event stream
and its final state (built in the documented format where no recording exists; each file says which
it is). A scenario names its first exchange; FOLLOW_UPS lists the rest, served in order.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import hypothesis
import pytest
from hypothesis import strategies as st
from sequence import SequenceReplayer

from modelplex import FinishReason, Message, Usage
from modelplex.errors import AuthenticationError, StreamInterruptedError
from modelplex_testing import FAKE_KEY, Expect, ProviderContract, Recording, Replayer, Scenario
from modelplex_testing.replay import split_at

FIXTURES = Path(__file__).parent / "fixtures" / "replicate"
LLAMA3_8B = "meta/meta-llama-3-8b-instruct"
LLAMA2_70B = "meta/llama-2-70b-chat"
VERSION = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
FOLLOW_UPS = {"01_create_wait": ["01_get_succeeded"], "02_create_stream": ["02_stream", "02_get_succeeded"],
              "04_create_model": ["04_get_processing", "04_get_succeeded"]}
COMPARE = ("input", "version", "stream")
# What Replicate answers a cancel with is not read: the plugin cancels and goes on with the caller's error.
CANCELLED = Recording(path=FIXTURES / "cancel", description="an empty answer to POST urls.cancel",
                      source={}, request={"method": "POST", "url": ""},
                      response={"status": 200, "headers": {}, "body": {}})
BARE_VERSION = "73001d654114dad81ec65da3b834e2f691af1e1526453189b7bf36fb3f32d0f9"


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def output(name: str) -> str:
    return "".join(recording(name).response["body"]["output"])


def prompt(name: str) -> list[Message]:
    return [Message.user(recording(name).request_body["input"]["prompt"])]


class TestReplicateContract(ProviderContract):
    provider = "replicate"
    fixtures = FIXTURES
    settings: ClassVar[dict[str, Any]] = {"poll_interval": 0.01}  # the default base URL, the recordings'
    supports_streaming = True
    supports_tools = False  # Replicate's language models take no tool definitions: a warning, not a send
    supports_parallel_tool_calls = False
    supports_reasoning = False
    supports_json_schema = False
    supports_embeddings = False
    supports_list_models = False
    scenarios: ClassVar[dict[str, Scenario]] = {
        "chat_text": Scenario(
            recording="01_create_wait", model=LLAMA3_8B, messages=prompt("01_create_wait"), compare=COMPARE,
            expect=Expect(text=output("01_get_succeeded"), finish_reason=FinishReason.STOP,
                          usage=Usage(input=17, output=17), model=LLAMA3_8B)),
        "stream_text": Scenario(
            recording="02_create_stream", model=f"{LLAMA2_70B}:{VERSION}", call="stream",
            messages=prompt("02_create_stream"), compare=COMPARE,
            expect=Expect(text=output("02_get_succeeded"), finish_reason=FinishReason.STOP,
                          usage=Usage(input=8, output=148), model=f"{LLAMA2_70B}:{VERSION}")),
        "chat_polled": Scenario(
            recording="04_create_model", model=LLAMA2_70B, messages=prompt("04_create_model"),
            compare=COMPARE,
            expect=Expect(text=output("04_get_succeeded"), finish_reason=FinishReason.STOP,
                          usage=Usage(input=18, output=17), model=LLAMA2_70B)),
        "error_401": Scenario(
            recording="03_error_401", model=BARE_VERSION,
            messages=[Message.user("hello")], compare=("version",),
            expect=Expect(error=AuthenticationError, status=401)),
    }

    def exchanges(self, name: str) -> list[Recording]:
        return [self.recording(n) for n in (name, *FOLLOW_UPS.get(name, ()))]

    def run(self, scn: Scenario, replayer: Replayer | None = None) -> tuple[Any, Replayer, list[Any]]:
        """The kit's run, on every exchange of the scenario; a kit test's split or truncation of the
        stream's body is carried over to it."""
        if not isinstance(replayer, SequenceReplayer):
            chunks = getattr(replayer, "_chunks", None)
            truncate = getattr(replayer, "_truncate", None)
            replayer = SequenceReplayer(*self.exchanges(scn.recording), chunks=chunks, truncate=truncate)
        return super().run(scn, replayer)

    def stream_body(self, scn: Scenario) -> bytes:
        """The body of the scenario's streamed exchange (the kit reads its first exchange's)."""
        return next(r for r in self.exchanges(scn.recording) if r.is_stream).body_bytes()

    def test_stream_chunk_boundaries_do_not_matter(self) -> None:
        """The kit's check, on the stream's own body: any split of it gives the same events."""
        for scn in self._stream_scenarios():
            _, _, reference = self.run(scn)
            body = self.stream_body(scn)
            self.check_stream_splits(scn, body, reference)
            bytewise = [body[i:i + 1] for i in range(len(body))]
            one = SequenceReplayer(*self.exchanges(scn.recording), chunks=bytewise)
            assert self.run(scn, one)[2] == reference

    def check_stream_splits(self, scn: Scenario, body: bytes, reference: list[Any]) -> None:
        @hypothesis.settings(max_examples=25, deadline=None, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(st.lists(st.integers(min_value=1, max_value=len(body) - 1), max_size=40))
        def prop(cuts: list[int]) -> None:
            replayer = SequenceReplayer(*self.exchanges(scn.recording), chunks=split_at(body, cuts))
            assert self.run(scn, replayer)[2] == reference

        prop()

    def test_stream_cut_short_raises_after_delivered_events(self) -> None:
        """The kit's check, on the stream's own body, and the prediction left running is cancelled."""
        for scn in self._stream_scenarios():
            body = self.stream_body(scn)
            create, stream = self.exchanges(scn.recording)[:2]
            replayer = SequenceReplayer(create, stream, CANCELLED, truncate=len(body) // 2)
            events: list[Any] = []

            async def go(scn: Scenario = scn, replayer: SequenceReplayer = replayer,
                         events: list[Any] = events) -> None:
                async with self.client(replayer) as client, client.stream(
                        f"replicate/{scn.model}", list(scn.messages)) as s:
                    async for event in s:
                        events.append(event)

            with pytest.raises(StreamInterruptedError) as info:
                asyncio.run(go())
            assert self.provider in str(info.value) and "before its done event" in str(info.value)
            assert [e for e in events if e.type == "text_delta"]  # what arrived was delivered first
            assert replayer.sent[-1].url.path.endswith("/cancel")

    def followed(self, scn: Scenario, replayer: Replayer) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in replayer.sent[1:]]

    def test_chat_polls_a_prediction_until_it_is_over(self) -> None:
        self.chat_case("chat_polled")
        _, replayer, _ = self.run(self.scenarios["chat_polled"])
        get = "/v1/predictions/heat2o3bzn3ahtr6bjfftvbaci"
        assert self.followed(self.scenarios["chat_polled"], replayer) == [("GET", get), ("GET", get)]

    def test_a_whole_reply_asks_replicate_to_wait(self) -> None:
        _, replayer, _ = self.run(self.scenarios["chat_text"])
        sent = replayer.sent[0]
        assert sent.headers["prefer"] == "wait" and sent.url.path == f"/v1/models/{LLAMA3_8B}/predictions"
        assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
        assert self.followed(self.scenarios["chat_text"], replayer) == [
            ("GET", "/v1/predictions/jp9nrd1g2hrj20cjb2vrb55mkr")]

    def test_a_stream_is_read_to_its_end_then_the_prediction_for_its_metrics(self) -> None:
        scn = self.scenarios["stream_text"]
        response, replayer, events = self.run(scn)
        stream = replayer.sent[1]
        assert (stream.method, stream.url.host) == ("GET", "streaming-api.svc.us.c.replicate.net")
        assert stream.headers["accept"] == "text/event-stream"
        assert stream.headers["authorization"] == f"Bearer {FAKE_KEY}"
        assert self.followed(scn, replayer)[1:] == [("GET", "/v1/predictions/4awn473bsrztjzlx2b6ufoxkkm")]
        assert replayer.sent_json(0) == {"version": VERSION, "stream": True,
                                         "input": {"prompt": "write a sonnet about camelids"}}
        texts = [e.text for e in events if e.type == "text_delta"]
        assert len(texts) == 147 and "".join(texts) == response.text  # every non-empty piece, in order
        assert "\n" in response.text  # pieces of several lines came as several data lines, joined back

    def test_leaving_a_stream_early_closes_the_response(self) -> None:
        """The kit's check on every exchange, and the prediction is cancelled: nobody reads it now."""
        scn = self.scenarios["stream_text"]
        replayer = SequenceReplayer(*self.exchanges(scn.recording)[:2], CANCELLED)

        async def go() -> None:
            async with self.client(replayer) as client, client.stream(
                    f"replicate/{scn.model}", list(scn.messages)) as stream:
                async for _ in stream:
                    break
        asyncio.run(go())
        assert replayer.streams and all(s.closed for s in replayer.streams)
        assert (replayer.sent[-1].method, replayer.sent[-1].url.path) == (
            "POST", "/v1/predictions/4awn473bsrztjzlx2b6ufoxkkm/cancel")

    @pytest.mark.parametrize("name", ["chat_text", "stream_text", "chat_polled"])
    def test_a_finished_prediction_is_not_cancelled(self, name: str) -> None:
        _, replayer, _ = self.run(self.scenarios[name])
        assert not [r for r in replayer.sent if r.url.path.endswith("/cancel")]

    def test_the_401_keeps_replicate_s_words(self) -> None:
        with pytest.raises(AuthenticationError) as info:
            self.run(self.scenarios["error_401"])
        assert "Unauthenticated: You did not pass a valid authentication token" in str(info.value)
        assert info.value.code == "unauthenticated" and not info.value.is_retryable
