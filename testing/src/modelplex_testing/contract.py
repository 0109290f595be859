"""The contract every provider plugin runs: subclass :class:`ProviderContract` in your plugin's tests.

::

    class TestAcme(ProviderContract):
        provider = "acme"                       # the entry-point name
        fixtures = Path(__file__).parent / "fixtures"
        supports_streaming = True
        scenarios = {
            "chat_text": Scenario(recording="01_chat_text", model="acme-1", messages=[...],
                                  expect=Expect(text="Hello")),
            ...
        }

Each capability flag switches a group of tests on; a test whose scenario is not given is skipped with
the reason. Every scenario replays a real recorded exchange through ``httpx.MockTransport``, checks what
the plugin sent against the recorded request and what it parsed against ``expect``. The plugin is loaded
through its entry point, so the tests also prove the plugin is installed and registered correctly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import attrs
import hypothesis
import pytest
from hypothesis import strategies as st

import modelplex
from modelplex import AsyncClient, FinishReason, Message, StreamEvent, Usage
from modelplex.errors import APIStatusError, ModelplexError, StreamInterruptedError
from modelplex_testing.replay import Recording, Replayer, split_at

FAKE_KEY = "sk-contract-test-DO-NOT-LEAK-0123456789"


@attrs.frozen(kw_only=True)
class Expect:
    """What the plugin must parse. ``None`` fields are not checked."""

    text: str | None = None
    reasoning: str | None = None
    tool_calls: Sequence[tuple[str, Mapping[str, Any]]] | None = None
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    model: str | None = None
    vectors: int | None = None
    dimensions: int | None = None
    model_ids: Sequence[str] | None = None
    error: type[ModelplexError] | None = None
    status: int | None = None
    retry_after: float | None = None


@attrs.frozen(kw_only=True)
class Scenario:
    """One recorded exchange and the call that reproduces it.

    ``call`` is ``chat``, ``stream``, ``embed`` or ``list_models``; ``options`` are the keyword options of
    that call; ``compare`` names the keys of the recorded request body that the plugin's own body must
    equal (the rest of a recording may hold another client's defaults).
    """

    recording: str
    model: str = ""
    call: str = "chat"
    messages: Sequence[Message] = ()
    options: Mapping[str, Any] = attrs.field(factory=dict)
    inputs: Sequence[str] = ()
    compare: Sequence[str] = ("model", "messages", "tools", "tool_choice")
    expect: Expect = attrs.field(factory=Expect)


def _plugin_from_entry_point(name: str) -> object:
    eps = [ep for ep in metadata.entry_points(group="modelplex.plugins") if ep.name == name]
    if not eps:
        pytest.fail(f"no entry point {name!r} in group 'modelplex.plugins': is the plugin installed?")
    return eps[0].load()


class ProviderContract:
    """Base class of a plugin's contract tests. Not collected itself (no ``Test`` prefix)."""

    provider: ClassVar[str]
    fixtures: ClassVar[Path]
    scenarios: ClassVar[Mapping[str, Scenario]] = {}
    settings: ClassVar[Mapping[str, Any]] = {}

    supports_chat: ClassVar[bool] = True
    supports_streaming: ClassVar[bool] = False
    supports_tools: ClassVar[bool] = False
    supports_parallel_tool_calls: ClassVar[bool] = False
    supports_reasoning: ClassVar[bool] = False
    supports_json_schema: ClassVar[bool] = False
    supports_embeddings: ClassVar[bool] = False
    supports_list_models: ClassVar[bool] = False
    supports_error_mapping: ClassVar[bool] = True

    # -- machinery -------------------------------------------------------------------------------
    def plugin(self) -> object:
        return _plugin_from_entry_point(self.provider)

    def recording(self, name: str) -> Recording:
        return Recording.load(self.fixtures / f"{name}.json")

    def client(self, replayer: Replayer) -> AsyncClient:
        settings = {"api_key": FAKE_KEY, **self.settings, "transport": replayer.transport}
        return AsyncClient(plugins={self.provider: self.plugin()}, autoload=False, config_file=False,
                           env={}, providers={self.provider: settings})

    def scenario(self, name: str, flag: bool = True) -> Scenario:
        if not flag:
            pytest.skip(f"{self.provider} does not declare this capability")
        scn = self.scenarios.get(name)
        if scn is None:
            pytest.skip(f"no {name!r} scenario given for {self.provider}")
        return scn

    def run(self, scn: Scenario, replayer: Replayer | None = None) -> tuple[Any, Replayer,
                                                                           list[StreamEvent]]:
        replayer = replayer or Replayer(self.recording(scn.recording))
        events: list[StreamEvent] = []

        async def go() -> Any:
            address = f"{self.provider}/{scn.model}"
            async with self.client(replayer) as client:
                if scn.call == "chat":
                    return await client.chat(address, list(scn.messages), **scn.options)
                if scn.call == "stream":
                    async with client.stream(address, list(scn.messages), **scn.options) as stream:
                        async for event in stream:
                            events.append(event)
                    return stream.response
                if scn.call == "embed":
                    return await client.embed(address, list(scn.inputs), **scn.options)
                if scn.call == "list_models":
                    return await client.list_models(self.provider)
                raise ValueError(f"unknown call {scn.call!r}")
        return asyncio.run(go()), replayer, events

    def check_sent(self, scn: Scenario, replayer: Replayer) -> None:
        rec = self.recording(scn.recording)
        assert replayer.sent, "the plugin sent no request"
        sent = replayer.sent[0]
        assert sent.method == rec.request["method"]
        assert sent.url.path == rec.request_path, f"sent to {sent.url.path}, recorded {rec.request_path}"
        recorded = rec.request_body
        if isinstance(recorded, dict):
            body = replayer.sent_json(0)
            for key in scn.compare:
                if key in recorded or key in body:
                    assert body.get(key) == recorded.get(key), f"request body {key!r} differs from the " \
                        f"recording {rec.path.name}"
        assert FAKE_KEY not in str(sent.url), "the API key must not travel in the URL"

    def check_response(self, scn: Scenario, response: Any) -> None:
        exp = scn.expect
        if exp.text is not None:
            assert response.text == exp.text
        if exp.reasoning is not None:
            assert response.reasoning == exp.reasoning
            assert all(p.origin is not None and p.origin.provider == self.provider
                       for p in response.parts if isinstance(p, modelplex.ReasoningPart))
        if exp.tool_calls is not None:
            assert [(c.name, dict(c.arguments)) for c in response.tool_calls] == [
                (n, dict(a)) for n, a in exp.tool_calls]
            ids = [c.id for c in response.tool_calls]
            assert all(ids) and len(set(ids)) == len(ids), f"tool-call ids must be unique: {ids}"
        if exp.finish_reason is not None:
            assert response.finish_reason == exp.finish_reason
        if exp.usage is not None:
            assert response.usage == exp.usage
        if exp.model is not None:
            assert response.model == exp.model
        assert response.provider == self.provider

    def chat_case(self, name: str, flag: bool = True) -> None:
        scn = self.scenario(name, flag)
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        self.check_response(scn, response)

    # -- the groups ------------------------------------------------------------------------------
    def test_entry_point_registers_provider(self) -> None:
        registry = modelplex.Registry(env={"MODELPLEX_PLUGINS": self.provider})
        assert self.provider in registry.records, registry.failures.get(self.provider)
        spec = registry.records[self.provider].info.spec_version
        assert spec in modelplex.hookspecs.SUPPORTED_SPEC_VERSIONS

    def test_chat_text(self) -> None:
        self.chat_case("chat_text", self.supports_chat)

    def test_chat_tool_call(self) -> None:
        self.chat_case("chat_tool_call", self.supports_tools)

    def test_chat_parallel_tool_calls(self) -> None:
        self.chat_case("chat_parallel_tool_calls", self.supports_parallel_tool_calls)

    def test_chat_tool_result_followup(self) -> None:
        self.chat_case("chat_tool_result_followup", self.supports_tools)

    def test_chat_reasoning(self) -> None:
        self.chat_case("chat_reasoning", self.supports_reasoning)

    def test_chat_json_schema(self) -> None:
        self.chat_case("chat_json_schema", self.supports_json_schema)

    def test_stream_text(self) -> None:
        self.chat_case("stream_text", self.supports_streaming)

    def test_stream_tool_call(self) -> None:
        self.chat_case("stream_tool_call", self.supports_streaming and self.supports_tools)

    def test_stream_parallel_tool_calls(self) -> None:
        self.chat_case("stream_parallel_tool_calls",
                       self.supports_streaming and self.supports_parallel_tool_calls)

    def test_stream_reasoning(self) -> None:
        self.chat_case("stream_reasoning", self.supports_streaming and self.supports_reasoning)

    def _stream_scenarios(self) -> list[Scenario]:
        if not self.supports_streaming:
            pytest.skip(f"{self.provider} does not declare streaming")
        found = [s for s in self.scenarios.values() if s.call == "stream" and s.expect.error is None]
        if not found:
            pytest.skip(f"no stream scenarios given for {self.provider}")
        return found

    def test_stream_chunk_boundaries_do_not_matter(self) -> None:
        """Any split of a recorded stream into chunks gives the same events."""
        for scn in self._stream_scenarios():
            _, _, reference = self.run(scn)
            body = self.recording(scn.recording).body_bytes()
            self._check_splits(scn, body, reference)
            # One byte at a time is the harshest split of all.
            bytewise = [body[i:i + 1] for i in range(len(body))]
            one = Replayer(self.recording(scn.recording), chunks=bytewise)
            assert self.run(scn, one)[2] == reference

    def _check_splits(self, scn: Scenario, body: bytes, reference: list[StreamEvent]) -> None:
        @hypothesis.settings(max_examples=25, deadline=None, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(st.lists(st.integers(min_value=1, max_value=max(1, len(body) - 1)), max_size=40))
        def prop(cuts: list[int]) -> None:
            replayer = Replayer(self.recording(scn.recording), chunks=split_at(body, cuts))
            assert self.run(scn, replayer)[2] == reference

        prop()

    def test_stream_cut_short_raises_after_delivered_events(self) -> None:
        for scn in self._stream_scenarios():
            body = self.recording(scn.recording).body_bytes()
            replayer = Replayer(self.recording(scn.recording), truncate=len(body) // 2)
            with pytest.raises(StreamInterruptedError) as info:
                self.run(scn, replayer)
            assert self.provider in str(info.value)

    def test_leaving_a_stream_early_closes_the_response(self) -> None:
        scn = self._stream_scenarios()[0]
        replayer = Replayer(self.recording(scn.recording))

        async def go() -> None:
            async with self.client(replayer) as client, client.stream(
                f"{self.provider}/{scn.model}", list(scn.messages), **scn.options) as stream:
                async for _ in stream:
                    break
            assert replayer.streams and all(s.closed for s in replayer.streams)
        asyncio.run(go())

    def test_embeddings(self) -> None:
        scn = self.scenario("embed", self.supports_embeddings)
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        if scn.expect.vectors is not None:
            assert len(response.vectors) == scn.expect.vectors
        if scn.expect.dimensions is not None:
            assert {len(v) for v in response.vectors} == {scn.expect.dimensions}

    def test_list_models(self) -> None:
        scn = self.scenario("list_models", self.supports_list_models)
        models, replayer, _ = self.run(scn)
        assert replayer.sent
        if scn.expect.model_ids is not None:
            assert [m.id for m in models] == list(scn.expect.model_ids)
        assert all(m.provider == self.provider for m in models)

    def test_errors_map_to_the_tree(self) -> None:
        if not self.supports_error_mapping:
            pytest.skip(f"{self.provider} does not declare error mapping")
        cases = [s for s in self.scenarios.values() if s.expect.error is not None]
        if not cases:
            pytest.skip(f"no error scenarios given for {self.provider}")
        for scn in cases:
            assert scn.expect.error is not None
            with pytest.raises(scn.expect.error) as info:
                self.run(scn)
            err = info.value
            assert self.provider in str(err), f"{scn.recording}: the error must name the provider"
            for text in (str(err), repr(err), str(vars(err))):
                assert FAKE_KEY not in text, f"{scn.recording}: the API key leaked into the error"
            if scn.expect.status is not None:
                assert isinstance(err, APIStatusError) and err.status_code == scn.expect.status
            if scn.expect.retry_after is not None:
                assert getattr(err, "retry_after", None) == scn.expect.retry_after
