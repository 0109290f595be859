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

Each capability flag switches a group of tests on (:data:`GROUPS` lists them, ``docs/contract-kit.md``
explains each); a test whose flag is off is skipped naming the flag, one whose scenario is not given is
skipped saying so, unless ``unavailable`` says why no recording of it can exist. Every scenario replays a
real recorded exchange (the format is ``docs/recordings.md``; ``modelplex-testing record`` captures one)
through ``httpx.MockTransport``, checks what the plugin sent against the recorded request and what it
parsed against ``expect``. The plugin is loaded through its entry point, so the tests also prove the
plugin is installed and registered correctly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import attrs
import hypothesis
import pytest
from hypothesis import strategies as st

import modelplex
from modelplex import AsyncClient, FinishReason, Message, StreamEvent, Usage
from modelplex.errors import APIStatusError, ModelplexError, StreamInterruptedError
from modelplex_testing.recording import validate
from modelplex_testing.replay import Recording, Replayer, split_at

FAKE_KEY = "sk-contract-test-DO-NOT-LEAK-0123456789"
FLAGS = ("supports_chat", "supports_streaming", "supports_tools", "supports_parallel_tool_calls",
         "supports_reasoning", "supports_json_schema", "supports_embeddings", "supports_list_models",
         "supports_error_mapping")


@attrs.frozen(kw_only=True)
class Group:
    """One test of the contract: the scenario it replays (``"stream"``: every successful stream scenario,
    ``"errors"``: every scenario expecting an error, ``None``: none), the capability flags that switch it
    on (all must be true) and what a pass proves. ``scenario`` is also the key ``unavailable`` takes."""

    test: str
    scenario: str | None
    flags: tuple[str, ...]
    proves: str


GROUPS: tuple[Group, ...] = (
    Group(test="test_entry_point_registers_provider", scenario=None, flags=(),
          proves="the plugin is installed, registered under its entry-point name, and declares a hook spec "
                 "version the core supports"),
    Group(test="test_chat_text", scenario="chat_text", flags=("supports_chat",),
          proves="a plain chat call: the request body and path the plugin writes equal the recorded ones, "
                 "and the text, finish reason, usage and model it parses are the expected ones"),
    Group(test="test_chat_tool_call", scenario="chat_tool_call", flags=("supports_tools",),
          proves="tools are encoded as the server expects and one tool call is parsed back with its name "
                 "and arguments and a non-empty id"),
    Group(test="test_chat_parallel_tool_calls", scenario="chat_parallel_tool_calls",
          flags=("supports_parallel_tool_calls",),
          proves="several tool calls in one answer are all parsed, in order, with unique ids"),
    Group(test="test_chat_tool_result_followup", scenario="chat_tool_result_followup",
          flags=("supports_tools",),
          proves="a follow-up turn carrying the assistant's tool calls and the tool results is encoded as "
                 "recorded (ids, roles, order) and its answer parsed"),
    Group(test="test_chat_reasoning", scenario="chat_reasoning", flags=("supports_reasoning",),
          proves="the reasoning (thinking) of a whole answer is parsed apart from its text, and every "
                 "reasoning part carries this provider as its origin (so it can be replayed to it)"),
    Group(test="test_chat_json_schema", scenario="chat_json_schema", flags=("supports_json_schema",),
          proves="a JSON-schema response format is encoded as the server expects and the answer parsed"),
    Group(test="test_stream_text", scenario="stream_text", flags=("supports_streaming",),
          proves="a streamed text answer is requested as recorded and assembled into the expected response"),
    Group(test="test_stream_tool_call", scenario="stream_tool_call",
          flags=("supports_streaming", "supports_tools"),
          proves="a tool call streamed in fragments is assembled into one call with whole JSON arguments"),
    Group(test="test_stream_parallel_tool_calls", scenario="stream_parallel_tool_calls",
          flags=("supports_streaming", "supports_parallel_tool_calls"),
          proves="several tool calls streamed with interleaved fragments are kept apart and assembled"),
    Group(test="test_stream_reasoning", scenario="stream_reasoning",
          flags=("supports_streaming", "supports_reasoning"),
          proves="streamed reasoning is assembled apart from the streamed text"),
    Group(test="test_stream_chunk_boundaries_do_not_matter", scenario="stream", flags=("supports_streaming",),
          proves="every successful stream scenario gives the same events however its bytes are split "
                 "(random splits and one byte at a time): the plugin does not rely on how the network "
                 "cuts a stream"),
    Group(test="test_stream_cut_short_raises_after_delivered_events", scenario="stream",
          flags=("supports_streaming",),
          proves="every successful stream scenario, cut off half-way, raises StreamInterruptedError "
                 "naming the provider, instead of ending as if complete"),
    Group(test="test_leaving_a_stream_early_closes_the_response", scenario="stream",
          flags=("supports_streaming",),
          proves="a caller that stops reading a stream after its first event gets the HTTP response "
                 "closed (no leaked connection)"),
    Group(test="test_embeddings", scenario="embed", flags=("supports_embeddings",),
          proves="an embedding call is requested as recorded and returns the expected number and size of "
                 "vectors"),
    Group(test="test_list_models", scenario="list_models", flags=("supports_list_models",),
          proves="the model list is requested and parsed into the expected model ids, each of this "
                 "provider"),
    Group(test="test_errors_map_to_the_tree", scenario="errors", flags=("supports_error_mapping",),
          proves="every error scenario (any scenario whose expect.error is set) raises that class of the "
                 "modelplex error tree, with the status and retry-after recorded, naming the provider, "
                 "and the API key appears in none of its str, repr or attributes"),
)


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
    #: Scenario names no recording can exist for, with the reason (the server has no such feature, no
    #: public recording of it exists): their tests skip with that reason instead of "no scenario given".
    unavailable: ClassVar[Mapping[str, str]] = {}

    # -- machinery -------------------------------------------------------------------------------
    def plugin(self) -> object:
        """The plugin object, loaded through its entry point."""
        return _plugin_from_entry_point(self.provider)

    def recording(self, name: str) -> Recording:
        """The recording ``<fixtures>/<name>.json``, checked against the format first."""
        path = self.fixtures / f"{name}.json"
        validate(path)
        return Recording.load(path)

    def client(self, replayer: Replayer) -> AsyncClient:
        """A client of this plugin alone, with the class's settings and the fake key, on ``replayer``."""
        settings = {"api_key": FAKE_KEY, **self.settings, "transport": replayer.transport}
        return AsyncClient(plugins={self.provider: self.plugin()}, autoload=False, config_file=False,
                           env={}, providers={self.provider: settings})

    def require(self, *flags: str) -> None:
        """Skip, naming the first of ``flags`` this plugin does not declare."""
        for flag in flags:
            if not getattr(self, flag):
                pytest.skip(f"{self.provider} does not declare {flag}")

    def scenario(self, name: str, *flags: str | bool) -> Scenario:
        """The scenario ``name``, or a skip: a flag off, no recording possible, or none given yet."""
        for flag in flags:
            if isinstance(flag, str):
                self.require(flag)
            elif not flag:
                pytest.skip(f"{self.provider} does not declare this capability")
        scn = self.scenarios.get(name)
        if scn is not None and name in self.unavailable:
            pytest.fail(f"{name!r} is both given and declared unavailable for {self.provider}")
        if scn is None:
            self.none_given(name, f"no {name!r} scenario")
        return scn

    def none_given(self, name: str, what: str) -> NoReturn:
        """Skip for want of a scenario: why none can exist when ``unavailable`` says, else how to add one."""
        if name in self.unavailable:
            pytest.skip(f"{what} for {self.provider} (unavailable: {self.unavailable[name]})")
        pytest.skip(f"{what} given for {self.provider} (record one: docs/contract-kit.md)")

    def run(self, scn: Scenario, replayer: Replayer | None = None) -> tuple[Any, Replayer,
                                                                           list[StreamEvent]]:
        """Make ``scn``'s call against its recording (or ``replayer``): the result, the replayer (what
        was sent) and the stream's events."""
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
        """The request matches the recorded one (docs/recordings.md, "How a replayed request is matched")."""
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
        """What the plugin parsed is what ``scn.expect`` says, and it names this provider."""
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

    def chat_case(self, name: str, *flags: str | bool) -> None:
        """Run the scenario ``name`` (or skip, see :meth:`scenario`) and check request and response."""
        scn = self.scenario(name, *flags)
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
        self.chat_case("chat_text", "supports_chat")

    def test_chat_tool_call(self) -> None:
        self.chat_case("chat_tool_call", "supports_tools")

    def test_chat_parallel_tool_calls(self) -> None:
        self.chat_case("chat_parallel_tool_calls", "supports_parallel_tool_calls")

    def test_chat_tool_result_followup(self) -> None:
        self.chat_case("chat_tool_result_followup", "supports_tools")

    def test_chat_reasoning(self) -> None:
        self.chat_case("chat_reasoning", "supports_reasoning")

    def test_chat_json_schema(self) -> None:
        self.chat_case("chat_json_schema", "supports_json_schema")

    def test_stream_text(self) -> None:
        self.chat_case("stream_text", "supports_streaming")

    def test_stream_tool_call(self) -> None:
        self.chat_case("stream_tool_call", "supports_streaming", "supports_tools")

    def test_stream_parallel_tool_calls(self) -> None:
        self.chat_case("stream_parallel_tool_calls", "supports_streaming",
                       "supports_parallel_tool_calls")

    def test_stream_reasoning(self) -> None:
        self.chat_case("stream_reasoning", "supports_streaming", "supports_reasoning")

    def _stream_scenarios(self) -> list[Scenario]:
        self.require("supports_streaming")
        found = [s for s in self.scenarios.values() if s.call == "stream" and s.expect.error is None]
        if found and "stream" in self.unavailable:
            pytest.fail(f"stream scenarios are both given and declared unavailable for {self.provider}")
        if not found:
            self.none_given("stream", "no stream scenario")
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
        scn = self.scenario("embed", "supports_embeddings")
        response, replayer, _ = self.run(scn)
        self.check_sent(scn, replayer)
        if scn.expect.vectors is not None:
            assert len(response.vectors) == scn.expect.vectors
        if scn.expect.dimensions is not None:
            assert {len(v) for v in response.vectors} == {scn.expect.dimensions}

    def test_list_models(self) -> None:
        scn = self.scenario("list_models", "supports_list_models")
        models, replayer, _ = self.run(scn)
        assert replayer.sent
        if scn.expect.model_ids is not None:
            assert [m.id for m in models] == list(scn.expect.model_ids)
        assert all(m.provider == self.provider for m in models)

    def test_errors_map_to_the_tree(self) -> None:
        self.require("supports_error_mapping")
        cases = [s for s in self.scenarios.values() if s.expect.error is not None]
        if cases and "errors" in self.unavailable:
            pytest.fail(f"error scenarios are both given and declared unavailable for {self.provider}")
        if not cases:
            self.none_given("errors", "no error scenario")
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
