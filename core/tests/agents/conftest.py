"""Agents and task routes on the wire: a small provider plugin of the tests' own (``acme``: a JSON request
to ``/chat/completions`` with the model, messages and options as it maps them) against a scripted loopback
server, with a catalog of its own so that model checks and cost tiers see known models and prices. The core
package's tests install no provider plugin, so none is autoloaded; a home of its own per test keeps the
user's key store, config and state out."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import (
    ChatRequest,
    ChatResponse,
    Finished,
    FinishReason,
    ProviderContext,
    ProviderInfo,
    TextDelta,
    TextPart,
    Usage,
    UsageReported,
)
from modelplex.hookspecs import SPEC_VERSION, hookimpl
from modelplex.toolkit import error_for_status
from modelplex_testing import Reply, ScriptedServer, serving

KEY = "acme-AgentsTest0123456789abcdef"
COMPLETION = {"model": "served", "text": "ok", "input": 3, "output": 1}
CHAT = {"chat": True, "streaming": True, "tools": True}


def _model(tier: str, input: str | None = None, output: str | None = None) -> dict[str, Any]:
    prices = {} if input is None else {"input": input, "output": output, "effective": "2025-01-01"}
    return {"tier": tier, "capabilities": CHAT, "prices": prices}


#: acme's catalog: one flagship, two standard, three fast (one of unknown price, the cheapest small-2).
MODELS = {"big-1": _model("flagship", "5", "15"), "mid-1": _model("standard", "1", "4"),
          "mid-2": _model("standard", "0.5", "2"), "small-x": _model("fast"),
          "small-1": _model("fast", "0.1", "0.2"), "small-2": _model("fast", "0.05", "0.05")}


class Acme:
    """Sends ``{"model", "messages": [{"role", "content"}], "stream", <option>: ...}`` (``extra`` merged in)
    and reads ``{"model", "text", "input", "output"}``; a stream is the same request, answered whole."""

    def __init__(self, catalog: str) -> None:
        self.catalog = catalog

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=("ACME_API_KEY",),
                            base_url_env=("ACME_BASE_URL",), catalog=self.catalog)

    @hookimpl
    def modelplex_chat(self, ctx: ProviderContext, request: ChatRequest) -> Awaitable[ChatResponse]:
        async def go() -> ChatResponse:
            data = await self._send(ctx, request, stream=False)
            return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text=data["text"])],
                                usage=Usage(input=data["input"], output=data["output"]))
        return go()

    @hookimpl
    def modelplex_chat_stream(self, ctx: ProviderContext, request: ChatRequest) -> Any:
        @asynccontextmanager
        async def go() -> AsyncIterator[AsyncIterator[Any]]:
            data = await self._send(ctx, request, stream=True)

            async def events() -> AsyncIterator[Any]:
                yield TextDelta(text=data["text"])
                yield UsageReported(usage=Usage(input=data["input"], output=data["output"]))
                yield Finished(reason=FinishReason.STOP)
            yield events()
        return go()

    async def _send(self, ctx: ProviderContext, request: ChatRequest, *, stream: bool) -> Any:
        options = request.options
        body: dict[str, Any] = {"model": request.model, "stream": stream,
                                "messages": [{"role": m.role, "content": m.text} for m in request.messages]}
        for name in ("temperature", "top_p", "max_tokens", "seed"):
            if getattr(options, name) is not None:
                body[name] = getattr(options, name)
        if options.stop:
            body["stop"] = list(options.stop)
        body.update(options.extra)
        reply = await ctx.post_json(f"{ctx.settings.base_url}/chat/completions", body, {})
        if reply.status_code >= 400:
            raise error_for_status(reply.status_code, reply.text, provider=ctx.name, model=request.model)
        return reply.json()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("MODELPLEX_") or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODELPLEX_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "config" / "modelplex"


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Acme]:
    """The plugin, its catalog a package resource of a package made for the test."""
    package = "mpm_agents_acme"
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "models.json").write_text(json.dumps(
        {"format": 1, "units": "USD per million tokens", "source": "https://example/pricing",
         "models": MODELS}))
    yield Acme(f"{package}:models.json")
    sys.modules.pop(package, None)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """Answers every request with the same completion."""
    with serving(lambda: ScriptedServer([Reply.json(COMPLETION)])) as start:
        yield start()


@pytest.fixture
def config(home: Path) -> Callable[[str], Path]:
    """Writes the config file (at the default location) and gives its path."""
    def write(text: str) -> Path:
        home.mkdir(parents=True, exist_ok=True)
        path = home / "config.toml"
        path.write_text(text)
        return path
    return write


Connect = Callable[..., modelplex.Client]


@pytest.fixture
def connect(acme: Acme, home: Path) -> Iterator[Connect]:
    """A client with acme alone, its key, acme's base URL at ``server`` (or ``url``) and the config file
    at the default location; closed at the end of the test."""
    made: list[modelplex.Client] = []

    def make(server: ScriptedServer | None = None, *, url: str | None = None,
             **kwargs: Any) -> modelplex.Client:
        base = url if url is not None else server.url if server is not None else "http://127.0.0.1:9/v1"
        path = home / "config.toml"
        if not path.exists():  # named by config_file=: it must exist
            home.mkdir(parents=True, exist_ok=True)
            path.write_text("")
        client = modelplex.Client(plugins={"acme": acme, **kwargs.pop("plugins", {})}, autoload=False,
                                  config_file=path,
                                  env={"ACME_API_KEY": KEY, "ACME_BASE_URL": base}, **kwargs)
        made.append(client)
        return client
    yield make
    for client in made:
        client.close()
