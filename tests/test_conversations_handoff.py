"""A conversation switched between every pair of installed providers, on the wire, kept in the store.

For each pair (A, B): a conversation starts on A, switches to B, is reloaded from the store by another
client, switches back to A and goes on; then it is reloaded again. One loopback server per provider speaks
that provider's format (Chat Completions and its cousins, OpenAI Responses, Anthropic Messages, Gemini,
Ollama, Cohere, Replicate's predictions) and answers each request with a reply carrying reasoning (a signed
thinking block, a thought, an encrypted reasoning item, ``reasoning_content``, ``<think>`` tags...) where the
provider has any, and a text unique to that request. Asserted, from what each server RECEIVED (read back
into canonical messages by the test kit's ``read_request``; Replicate's prompt transcript read back turn by
turn): the whole history, in order, in its own format; another provider's reasoning never on the wire (the
response warns ``dropped-reasoning``); the provider's own reasoning back to it where it takes it; and each
stored message labelled with the provider and model that produced it, linked to its usage row.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import attrs
import pytest

import modelplex
from modelplex_testing.loopback import LoopbackServer
from modelplex_testing.replicate_wire import PredictionServer
from modelplex_testing.wire_messages import read_request

KEY = "sk-conversation-test-0123456789"


@attrs.frozen(kw_only=True)
class Provider:
    name: str
    wire: str  # openai-chat, openai-responses, anthropic, gemini, ollama, cohere, replicate
    model: str  # asked for; the server answers with model + "-snapshot", the resolved model
    settings: dict[str, Any] = attrs.field(factory=dict)
    takes_own_reasoning: bool = False  # its own reasoning goes back to it, unchanged
    # Chat Completions: the message field its reasoning comes in ("chunks": Mistral's thinking chunks,
    # "think": inline in the content between <think> tags).
    reasoning_field: str = "reasoning_content"
    # Its replies name the model that answered (Cohere's and Replicate's do not: labelled as asked).
    reports_model: bool = True
    # Its replies carry reasoning (a Replicate prediction's output is the text alone).
    reasons: bool = True


PROVIDERS = (
    Provider(name="openai", wire="openai-responses", model="gpt-5-mini", settings={"api": "responses"},
             takes_own_reasoning=True),
    Provider(name="anthropic", wire="anthropic", model="claude-sonnet-4-0", takes_own_reasoning=True),
    Provider(name="gemini", wire="gemini", model="gemini-2.5-flash", takes_own_reasoning=True),
    # DeepSeek takes its reasoning back only within a turn of tool calls; between plain turns it is left out.
    Provider(name="deepseek", wire="openai-chat", model="deepseek-reasoner"),
    Provider(name="groq", wire="openai-chat", model="openai/gpt-oss-120b", reasoning_field="reasoning"),
    Provider(name="mistral", wire="openai-chat", model="magistral-medium-latest", reasoning_field="chunks",
             takes_own_reasoning=True),
    Provider(name="ollama", wire="ollama", model="qwen3", takes_own_reasoning=True),
    Provider(name="xai", wire="openai-chat", model="grok-4.3"),
    Provider(name="together", wire="openai-chat", model="deepseek-ai/DeepSeek-R1",
             reasoning_field="reasoning"),
    Provider(name="openrouter", wire="openai-chat", model="anthropic/claude-haiku-4.5",
             reasoning_field="reasoning"),
    Provider(name="openai-like", wire="openai-chat", model="qwen3"),
    Provider(name="azure", wire="openai-chat", model="gpt-4o"),
    # Cohere replays a plan only with its calls: a plain turn's thinking is left out, even for itself.
    Provider(name="cohere", wire="cohere", model="command-a-reasoning-08-2025", reports_model=False),
    # The router's reasoning models think inline, between <think> tags, as its profile reads them.
    Provider(name="huggingface", wire="openai-chat", model="deepseek-ai/DeepSeek-R1:fastest",
             reasoning_field="think"),
    # One prompt, not messages: a longer conversation goes as a transcript; the poll is quick here.
    Provider(name="replicate", wire="replicate", model="meta/meta-llama-3-8b-instruct",
             settings={"poll_interval": 0.01}, reports_model=False, reasons=False),
)
#: Installed providers that speak no wire of their own (the test kit's scripted fake).
NO_WIRE = {"fake"}


def installed() -> list[Provider]:
    names = set(modelplex.Registry(env={}).records)
    return [p for p in PROVIDERS if p.name in names]


def reply(provider: Provider, n: int) -> dict[str, Any]:
    """The ``n``-th answer of ``provider``'s server, in its wire format, with reasoning."""
    text, thought, model = f"{provider.name} answer {n}", f"{provider.name} thinks {n}", provider.model
    resolved = f"{model}-snapshot"
    if provider.wire == "anthropic":
        return {"id": f"msg_{n}", "type": "message", "role": "assistant", "model": resolved,
                "content": [{"type": "thinking", "thinking": thought, "signature": f"anthropic-sig-{n}"},
                            {"type": "text", "text": text}],
                "stop_reason": "end_turn", "usage": {"input_tokens": 20, "output_tokens": 7}}
    if provider.wire == "gemini":
        return {"candidates": [{"content": {"role": "model", "parts": [
                    {"text": thought, "thought": True}, {"text": text, "thoughtSignature": f"Z2VtaW5p{n}"}]},
                    "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 7, "thoughtsTokenCount": 3,
                                  "totalTokenCount": 30}, "modelVersion": resolved}
    if provider.wire == "ollama":
        return {"model": resolved, "created_at": "2026-12-01T00:00:00Z",
                "message": {"role": "assistant", "content": text, "thinking": thought},
                "done": True, "done_reason": "stop", "prompt_eval_count": 20, "eval_count": 7}
    if provider.wire == "cohere":  # API v2: no model in the reply; billed units are the usage
        content = [{"type": "thinking", "thinking": thought}, {"type": "text", "text": text}]
        return {"id": f"cohere-{n}", "finish_reason": "COMPLETE",
                "message": {"role": "assistant", "content": content},
                "usage": {"billed_units": {"input_tokens": 20, "output_tokens": 7},
                          "tokens": {"input_tokens": 520, "output_tokens": 10}}}
    if provider.wire == "openai-responses":
        return {"id": f"resp_{n}", "object": "response", "status": "completed", "model": resolved,
                "output": [{"type": "reasoning", "id": f"rs_{n}", "encrypted_content": f"openai-enc-{n}",
                            "summary": [{"type": "summary_text", "text": thought}]},
                           {"type": "message", "id": f"msg_{n}", "role": "assistant", "status": "completed",
                            "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                "usage": {"input_tokens": 20, "output_tokens": 7,
                          "input_tokens_details": {"cached_tokens": 0},
                          "output_tokens_details": {"reasoning_tokens": 3}}}
    message: dict[str, Any] = {"role": "assistant", "content": text, provider.reasoning_field: thought}
    if provider.reasoning_field == "think":
        message = {"role": "assistant", "content": f"<think>\n{thought}\n</think>\n\n{text}"}
    if provider.reasoning_field == "chunks":
        message = {"role": "assistant", "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": thought}]},
            {"type": "text", "text": text}]}
    return {"id": f"chatcmpl-{n}", "object": "chat.completion", "model": resolved,
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27}}


@attrs.frozen(kw_only=True)
class Received:
    path: str
    body: dict[str, Any]


class WireServer(LoopbackServer):
    """Answers every POST with :func:`reply` in ``provider``'s format; ``received`` holds each request."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.received: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                with server._lock:
                    server.received.append(Received(path=self.path, body=body))
                    n = len(server.received)
                data = json.dumps(reply(server.provider, n)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    def messages(self, index: int = -1) -> list[tuple[str, str]]:
        """The (role, text) of each message of request ``index``, read back from its wire format (a
        reasoning item the Responses API sends apart from its message reads as an empty assistant turn:
        left out)."""
        got = self.received[index]
        request = read_request(f"{self.url}{got.path}", got.body)
        return [(m.role, m.text) for m in request.messages if m.text or m.role != "assistant"]

    def raw(self, index: int = -1) -> str:
        return json.dumps(self.received[index].body, ensure_ascii=False)

    @property
    def api_base(self) -> str:
        """The base URL the provider is configured with."""
        return self.url


#: A Replicate transcript's speakers, as :mod:`modelplex_replicate.inputs` writes them.
SPEAKERS = {"User": "user", "Assistant": "assistant"}


class ReplicateWire(PredictionServer):
    """Replicate's predictions (:mod:`modelplex_testing.replicate_wire`: the creation, the event stream,
    the prediction read for its metrics) answering the ``n``-th creation with :func:`reply`'s text for
    ``n``, in pieces, and the token counts the other servers report."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        super().__init__(self._answer, model=provider.model,
                         metrics={"input_token_count": 20, "output_token_count": 7, "predict_time": 0.2})

    def _answer(self, body: Any) -> list[str]:
        text = f"{self.provider.name} answer {len(self.created) + 1}"
        return [text[:4], text[4:9], text[9:]]

    @property
    def api_base(self) -> str:
        """The base URL the provider is configured with."""
        return self.base

    def messages(self, index: int = -1) -> list[tuple[str, str]]:
        """The (role, text) of each turn of creation ``index``: the system prompt, then the prompt read
        back: one user turn as it is, or a transcript of ``User:`` and ``Assistant:`` turns that must end
        with an open ``Assistant:`` (anything else in it fails the read)."""
        given = self.created[index].body["input"]
        out = [("system", given["system_prompt"])] if "system_prompt" in given else []
        prompt: str = given["prompt"]
        if not prompt.startswith("User: "):
            return [*out, ("user", prompt)]
        turns = prompt.split("\n\n")
        assert turns[-1] == "Assistant:", prompt  # the model is asked to go on as the assistant
        for turn in turns[:-1]:
            speaker, colon, text = turn.partition(": ")
            assert colon and speaker in SPEAKERS, f"not a transcript turn: {turn!r}"
            out.append((SPEAKERS[speaker], text))
        return out

    def raw(self, index: int = -1) -> str:
        return json.dumps(self.created[index].body, ensure_ascii=False)


Server = WireServer | ReplicateWire


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    with contextlib.ExitStack() as stack:
        started: dict[str, Server] = {}
        for p in installed():
            if p.wire == "replicate":
                started[p.name] = stack.enter_context(ReplicateWire(p))
            else:
                started[p.name] = stack.enter_context(WireServer(p))
        yield started


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One store for the module: the usage recorder is made once per process, from its environment."""
    path = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELPLEX_DATA_DIR", str(path))
        yield path


def client(servers: dict[str, Server], store_dir: Path) -> modelplex.Client:
    providers = {name: {"api_key": KEY, **s.provider.settings, "base_url": s.api_base}
                 for name, s in servers.items()}
    return modelplex.Client(providers=providers, config_file=False,
                            env={"MODELPLEX_DATA_DIR": str(store_dir)})


def test_every_installed_provider_takes_part() -> None:
    """A provider installed later must be added above, not left out of the pairs in silence."""
    names = set(modelplex.Registry(env={}).records) - NO_WIRE
    assert names <= {p.name for p in PROVIDERS}
    assert len(installed()) >= 2


def pairs() -> list[Any]:
    return [pytest.param(a, b, id=f"{a.name}-{b.name}") for a, b in itertools.combinations(installed(), 2)]


def address(p: Provider) -> str:
    return f"{p.name}/{p.model}"


def label(p: Provider) -> str:
    """How a reply of ``p`` is labelled: the model its server says answered, else the one asked."""
    return f"{address(p)}-snapshot" if p.reports_model else address(p)


def dropped(response: modelplex.ChatResponse) -> bool:
    return any(w.code == "dropped-reasoning" for w in response.warnings)


@pytest.mark.parametrize(("a", "b"), pairs())
def test_a_conversation_switched_between_two_providers_is_stored_reloaded_and_continued(
        a: Provider, b: Provider, servers: dict[str, Server], store_dir: Path) -> None:
    tmp_path = store_dir
    first = client(servers, tmp_path)
    with first:
        conversation = first.conversation(model=address(a), system="Be brief.")
        r1 = conversation.send("first question")
        assert servers[a.name].messages() == [("system", "Be brief."), ("user", "first question")]
        conversation.model = address(b)
        r2 = conversation.send("second question")
        # B got the history in its format, A's reply as plain text, never A's reasoning.
        assert servers[b.name].messages() == [("system", "Be brief."), ("user", "first question"),
                                              ("assistant", r1.text), ("user", "second question")]
        if a.reasons:
            assert r1.reasoning and r1.reasoning not in servers[b.name].raw()
        assert dropped(r2) is a.reasons, r2.warnings
        cid = conversation.id

    again = client(servers, tmp_path)
    with again:
        reloaded = again.conversation(cid)
        assert reloaded.model == address(b) and reloaded.system == "Be brief."
        assert [m.label for m in reloaded.messages] == [None, label(a), None, label(b)]
        assert [m.requested for m in reloaded.messages[1::2]] == [address(a), address(b)]
        assert [m.text for m in reloaded.messages] == ["first question", r1.text, "second question", r2.text]
        reloaded.model = address(a)
        r3 = reloaded.send("third question")
        history = [("system", "Be brief."), ("user", "first question"), ("assistant", r1.text),
                   ("user", "second question"), ("assistant", r2.text), ("user", "third question")]
        assert servers[a.name].messages() == history
        raw = servers[a.name].raw()
        if b.reasons:  # B's reasoning stays with B
            assert r2.reasoning and r2.reasoning not in raw and dropped(r3)
        if a.takes_own_reasoning:  # A's own reasoning (same model) goes back to it
            part = next(p for p in reloaded.messages[1].parts if isinstance(p, modelplex.ReasoningPart))
            assert any(token in raw for token in (part.signature, part.text) if token)

    with client(servers, tmp_path) as last:
        stored = last.conversation(cid[:12]).messages
        assert [m.label for m in stored[1::2]] == [label(x) for x in (a, b, a)]
        assert all(m.usage is not None and m.usage.input == 20 for m in stored[1::2])
        import modelplex_store

        with modelplex_store.open(str(tmp_path / "logs.db")) as store:
            rows = {c.id: c for c in store.logs(10, conversation=cid)}
        assert {m.call_id for m in stored[1::2]} == set(rows)  # each reply linked to its usage row
        assert [f"{rows[m.call_id or ''].provider}/{rows[m.call_id or ''].model}" for m in stored[1::2]] == [
            m.requested for m in stored[1::2]]


def others(name: str) -> list[Any]:
    return [pytest.param(p, id=p.name) for p in installed() if p.name != name]


@pytest.mark.parametrize("a", others("replicate"))
def test_a_conversation_handed_to_replicate_streams_its_whole_prediction_flow(
        a: Provider, servers: dict[str, Server], store_dir: Path) -> None:
    """Streamed on Replicate after a turn on A: the prediction created with the transcript and ``stream``,
    its event stream read to its end, then the prediction read for its metrics; the reply kept with them."""
    replicate = servers.get("replicate")
    if not isinstance(replicate, ReplicateWire):
        pytest.skip("modelplex-replicate is not installed")
    b = replicate.provider
    with client(servers, store_dir) as c:
        conversation = c.conversation(model=address(a), system="Be brief.")
        r1 = conversation.send("first question")
        read_before = len(replicate.reads)
        with conversation.stream("second question", model=address(b)) as stream:
            text = "".join(e.text for e in stream if isinstance(e, modelplex.TextDelta))
        r2 = stream.response
        cid = conversation.id
    assert r2 is not None and text == r2.text == f"replicate answer {len(replicate.created)}"
    created = replicate.created[-1]
    assert created.path == f"/v1/models/{b.model}/predictions" and created.body["stream"] is True
    assert replicate.messages() == [("system", "Be brief."), ("user", "first question"),
                                    ("assistant", r1.text), ("user", "second question")]
    n = len(replicate.created)
    assert replicate.reads[read_before:] == [f"/stream/p{n}", f"/v1/predictions/p{n}"]
    assert r2.usage.input == 20 and r2.usage.output == 7  # the metrics, read after the stream
    with client(servers, store_dir) as again:
        stored = again.conversation(cid).messages
    assert [(m.label, m.text) for m in stored[1::2]] == [(label(a), r1.text), (label(b), r2.text)]
