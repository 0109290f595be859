"""The clients the benchmarks measure, each making the same request to the bench server.

A subject opens itself on the server's URL and answers three calls: ``call`` (one reply, its text),
``stream`` (one streamed reply, the number of text pieces) and, where it has a synchronous API,
``call_sync``. The raw subjects do what a careful user of that HTTP library would write by hand: post the
JSON body, parse the JSON reply and take the text out; for a stream, read it line by line and parse each
event. Only the standard library is imported at module level: each subject imports its own library
when it opens, so one process measures one library.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

API_KEY = "sk-bench-0000000000000000"
# A client made with env={} (no keys or settings from the machine) would not see the plugin switches
# either: bench/run.py turns the OpenTelemetry plugin off through them, and without them every client,
# the lifecycle row's "plain" one included, went through that plugin's hooks.
CLIENT_ENV = {k: v for k, v in os.environ.items() if k in ("MODELPLEX_PLUGINS", "MODELPLEX_DISABLE_PLUGINS")}
FORMATS = ("openai", "anthropic", "gemini", "ollama")


# -- the wire, for the raw subjects -----------------------------------------------------------------
class Wire:
    """One format's request: where it goes, with which headers and body, and how to read the reply."""

    def __init__(self, fmt: str, base: str, model: str, stream: bool) -> None:
        self.fmt = fmt
        messages = [{"role": "user", "content": "Hi"}]
        if fmt == "openai":
            self.url = f"{base}/v1/chat/completions"
            self.headers = {"Authorization": f"Bearer {API_KEY}"}
            self.body: dict[str, Any] = {"model": model, "messages": messages}
            if stream:
                self.body.update(stream=True, stream_options={"include_usage": True})
        elif fmt == "anthropic":
            self.url = f"{base}/v1/messages"
            self.headers = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}
            self.body = {"model": model, "messages": [{"role": "user", "content": [
                {"type": "text", "text": "Hi"}]}], "max_tokens": 4096}
            if stream:
                self.body["stream"] = True
        elif fmt == "gemini":
            method = "streamGenerateContent?alt=sse" if stream else "generateContent"
            self.url = f"{base}/v1beta/models/{model}:{method}"
            self.headers = {"x-goog-api-key": API_KEY}
            self.body = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
        elif fmt == "ollama":
            self.url = f"{base}/api/chat"
            self.headers = {}
            self.body = {"model": model, "messages": messages, "stream": stream}
        else:
            raise ValueError(f"unknown format {fmt!r}")
        self.headers["Accept"] = "text/event-stream" if stream and fmt != "ollama" else "application/json"

    def text(self, data: Any) -> str:
        """The text of a whole reply."""
        if self.fmt == "openai":
            return str(data["choices"][0]["message"]["content"])
        if self.fmt == "anthropic":
            return "".join(b["text"] for b in data["content"] if b["type"] == "text")
        if self.fmt == "gemini":
            return "".join(p.get("text", "") for p in data["candidates"][0]["content"]["parts"])
        return str(data["message"]["content"])

    def piece(self, line: str) -> str | None:
        """The text of one line of a stream (``None`` for a line that carries none)."""
        if self.fmt == "ollama":
            if not line:
                return None
            data = json.loads(line)
            return data["message"]["content"] or None
        if not line.startswith("data:"):
            return None
        payload = line[5:].strip()
        if payload == "[DONE]":
            return None
        data = json.loads(payload)
        if self.fmt == "openai":
            choices = data["choices"]
            return (choices[0]["delta"].get("content") or None) if choices else None
        if self.fmt == "anthropic":
            if data["type"] == "content_block_delta" and data["delta"]["type"] == "text_delta":
                return str(data["delta"]["text"])
            return None
        parts = data["candidates"][0]["content"]["parts"]
        return "".join(p.get("text", "") for p in parts) or None


class Subject:
    """A client under measurement; ``fmt`` is the wire format, ``base`` the server's URL."""

    sync = False  # whether it has a synchronous API (``call_sync``)
    sync_stream = False  # whether it streams through its synchronous API (``stream_sync``)
    only: tuple[str, ...] | None = None  # the measurements it takes part in (None: all of them)

    def __init__(self, fmt: str, base: str) -> None:
        self.fmt, self.base = fmt, base

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def call(self, model: str) -> str:
        raise NotImplementedError

    async def stream(self, model: str) -> int:
        raise NotImplementedError

    def open_sync(self) -> None:
        raise NotImplementedError

    def close_sync(self) -> None:
        pass

    def call_sync(self, model: str) -> str:
        raise NotImplementedError

    def stream_sync(self, model: str) -> int:
        raise NotImplementedError


class HttpxSubject(Subject):
    """httpx with its own connection pool (``engine="httpx"``), on the httpx-aiohttp transport
    (``"httpx-aiohttp"``), or as the HTTP client Modelplex gives each provider (``"modelplex"``)."""

    def __init__(self, fmt: str, base: str, *, engine: str = "httpx") -> None:
        super().__init__(fmt, base)
        self.engine = engine
        self.sync = engine == "httpx"

    async def open(self) -> None:
        import httpx

        if self.engine == "httpx-aiohttp":
            from httpx_aiohttp import HttpxAiohttpClient

            self.client: Any = HttpxAiohttpClient(timeout=httpx.Timeout(600.0, connect=10.0))
        elif self.engine == "modelplex":
            from modelplex import ProviderSettings
            from modelplex._http import build

            self.client = build(ProviderSettings(name="bench", plugin="bench"))
        else:
            self.client = httpx.AsyncClient(timeout=httpx.Timeout(600.0, connect=10.0))

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, model: str) -> str:
        wire = Wire(self.fmt, self.base, model, False)
        response = await self.client.post(wire.url, json=wire.body, headers=wire.headers)
        response.raise_for_status()
        return wire.text(json.loads(response.content))

    async def stream(self, model: str) -> int:
        wire = Wire(self.fmt, self.base, model, True)
        pieces = 0
        async with self.client.stream("POST", wire.url, json=wire.body, headers=wire.headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if wire.piece(line) is not None:
                    pieces += 1
        return pieces

    def open_sync(self) -> None:
        import httpx

        self.sync_client = httpx.Client(timeout=httpx.Timeout(600.0, connect=10.0))

    def close_sync(self) -> None:
        self.sync_client.close()

    def call_sync(self, model: str) -> str:
        wire = Wire(self.fmt, self.base, model, False)
        response = self.sync_client.post(wire.url, json=wire.body, headers=wire.headers)
        response.raise_for_status()
        return wire.text(json.loads(response.content))


class AiohttpSubject(Subject):
    async def open(self) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(sock_read=600.0, sock_connect=10.0))

    async def close(self) -> None:
        await self.session.close()

    async def call(self, model: str) -> str:
        wire = Wire(self.fmt, self.base, model, False)
        async with self.session.post(wire.url, json=wire.body, headers=wire.headers) as response:
            response.raise_for_status()
            return wire.text(json.loads(await response.read()))

    async def stream(self, model: str) -> int:
        wire = Wire(self.fmt, self.base, model, True)
        pieces = 0
        async with self.session.post(wire.url, json=wire.body, headers=wire.headers) as response:
            response.raise_for_status()
            async for raw in response.content:
                if wire.piece(raw.decode().rstrip("\r\n")) is not None:
                    pieces += 1
        return pieces


class ModelplexSubject(Subject):
    """Modelplex with every installed plugin discovered, the provider configured on the bench server."""

    sync = True

    def providers(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"api_key": API_KEY, "base_url": self.base}
        if self.fmt == "openai":
            # The same request as the peers': Chat Completions (the plugin's default is the Responses API).
            settings.update(base_url=f"{self.base}/v1", api="chat_completions")
        return {self.fmt: settings}

    async def open(self) -> None:
        import modelplex

        self.client = modelplex.AsyncClient(providers=self.providers(), config_file=False, env=CLIENT_ENV)

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, model: str) -> str:
        response = await self.client.chat(f"{self.fmt}/{model}", "Hi")
        return str(response.text)

    async def stream(self, model: str) -> int:
        import modelplex

        pieces = 0
        async with self.client.stream(f"{self.fmt}/{model}", "Hi") as stream:
            async for event in stream:
                if type(event) is modelplex.TextDelta:
                    pieces += 1
        return pieces

    def open_sync(self) -> None:
        import modelplex

        self.sync_client = modelplex.Client(providers=self.providers(), config_file=False, env=CLIENT_ENV)

    def close_sync(self) -> None:
        self.sync_client.close()

    def call_sync(self, model: str) -> str:
        return str(self.sync_client.chat(f"{self.fmt}/{model}", "Hi").text)

    sync_stream = True

    def stream_sync(self, model: str) -> int:
        import modelplex

        pieces = 0
        with self.sync_client.stream(f"{self.fmt}/{model}", "Hi") as stream:
            for event in stream:
                if type(event) is modelplex.TextDelta:
                    pieces += 1
        return pieces


class LifecycleSubject(ModelplexSubject):
    """Modelplex as above, with one plugin of the call lifecycle registered whose hooks do nothing: what
    the lifecycle costs a call (issue 11: at most 5 µs). Only its call latency is measured."""

    sync = False
    sync_stream = False
    only = ("latency",)

    async def open(self) -> None:
        import modelplex
        from modelplex.hookspecs import hookimpl

        class NoOp:
            @hookimpl
            def modelplex_before_call(self, call: Any) -> None:
                return None

            @hookimpl
            def modelplex_after_call(self, call: Any, outcome: Any) -> None:
                return None

        self.client = modelplex.AsyncClient(providers=self.providers(), config_file=False, env=CLIENT_ENV,
                                            plugins={"noop": NoOp()})
        # The same client without the plugin, called in turn with it in the same process: a 5 µs
        # difference is far below what separate processes' medians can resolve (they move by 10-30 µs).
        self.plain = modelplex.AsyncClient(providers=self.providers(), config_file=False, env=CLIENT_ENV)

    async def close(self) -> None:
        await self.client.aclose()
        await self.plain.aclose()

    async def call_plain(self, model: str) -> str:
        """The call without the lifecycle plugin, for :func:`measure.latency`'s paired figure."""
        response = await self.plain.chat(f"{self.fmt}/{model}", "Hi")
        return response.text


class OpenAISubject(Subject):
    """The openai SDK (OpenAI format only)."""

    sync = True

    async def open(self) -> None:
        import openai

        self.client = openai.AsyncOpenAI(base_url=f"{self.base}/v1", api_key=API_KEY, max_retries=0)

    async def close(self) -> None:
        await self.client.close()

    async def call(self, model: str) -> str:
        response = await self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hi"}])
        return str(response.choices[0].message.content)

    async def stream(self, model: str) -> int:
        pieces = 0
        stream = await self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hi"}], stream=True,
            stream_options={"include_usage": True})
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    pieces += 1
        return pieces

    def open_sync(self) -> None:
        import openai

        self.sync_client = openai.OpenAI(base_url=f"{self.base}/v1", api_key=API_KEY, max_retries=0)

    def close_sync(self) -> None:
        self.sync_client.close()

    def call_sync(self, model: str) -> str:
        response = self.sync_client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hi"}])
        return str(response.choices[0].message.content)


class LiteLLMSubject(Subject):
    """LiteLLM (OpenAI format only), with its bundled model map: it must not reach the internet."""

    sync = True

    async def open(self) -> None:
        import litellm

        self.litellm = litellm

    def open_sync(self) -> None:
        import litellm

        self.litellm = litellm

    def kwargs(self, model: str) -> dict[str, Any]:
        return {"model": f"openai/{model}", "api_base": f"{self.base}/v1", "api_key": API_KEY,
                "messages": [{"role": "user", "content": "Hi"}], "max_retries": 0}

    async def call(self, model: str) -> str:
        response = await self.litellm.acompletion(**self.kwargs(model))
        return str(response.choices[0].message.content)

    async def stream(self, model: str) -> int:
        pieces = 0
        response = await self.litellm.acompletion(**self.kwargs(model), stream=True)
        async for chunk in response:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces += 1
        return pieces

    def call_sync(self, model: str) -> str:
        response = self.litellm.completion(**self.kwargs(model))
        return str(response.choices[0].message.content)


# name -> (what it is, its factory, the formats it speaks, the module whose import it needs)
SUBJECTS: dict[str, tuple[str, Callable[[str, str], Subject], tuple[str, ...], str]] = {
    "modelplex": ("Modelplex", ModelplexSubject, FORMATS, "modelplex"),
    "modelplex-lifecycle": ("Modelplex, one no-op lifecycle plugin", LifecycleSubject, FORMATS, "modelplex"),
    "httpx": ("raw httpx", HttpxSubject, FORMATS, "httpx"),
    "httpx-aiohttp": ("raw httpx on aiohttp", lambda f, b: HttpxSubject(f, b, engine="httpx-aiohttp"),
                      FORMATS, "httpx_aiohttp"),
    # The same client Modelplex gives a provider (httpx on its aiohttp transport), used by hand: the
    # baseline that Modelplex's own cost per call is measured against.
    "modelplex-http": ("raw httpx on Modelplex's transport",
                       lambda f, b: HttpxSubject(f, b, engine="modelplex"), FORMATS, "modelplex"),
    "aiohttp": ("raw aiohttp", AiohttpSubject, FORMATS, "aiohttp"),
    "openai": ("openai SDK", OpenAISubject, ("openai",), "openai"),
    "litellm": ("LiteLLM", LiteLLMSubject, ("openai",), "litellm"),
}

# What "import" means for each subject; Modelplex also gets import + discovery of every plugin + a client.
IMPORTS = {
    "modelplex": "import modelplex",
    "modelplex-lifecycle": "import modelplex",
    "httpx": "import httpx",
    "httpx-aiohttp": "import httpx_aiohttp",
    "modelplex-http": "import modelplex._http",
    "aiohttp": "import aiohttp",
    "openai": "import openai",
    "litellm": "import litellm",
}
DISCOVERY = ("import modelplex; c = modelplex.AsyncClient(); r = c.registry; "
             "assert len(r.records) >= 9, sorted(r.records)")
