"""Model management as a Python API: list, show, pull (with progress), remove and update models,
and see which are loaded.

::

    async with OllamaManager() as ollama:             # OLLAMA_HOST, else http://localhost:11434
        async for step in ollama.pull("llama3.2"):
            print(step.status, step.completed, step.total)
        print([m.name for m in await ollama.list()])

    async with OllamaManager.from_client(client) as ollama:   # where a modelplex client's "ollama" is
        ...

A pull that stops (an error, a cancelled task, Ctrl-C) resumes where it stopped when pulled again:
Ollama keeps the layers and the parts of layers already downloaded.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

import httpx

import modelplex
from modelplex import ProviderSettings
from modelplex.errors import ModelplexError, ResponseParseError
from modelplex.toolkit import ndjson_stream
from modelplex_ollama.api import OllamaAPI
from modelplex_ollama.config import base_url, base_url_from_env, normalize_host
from modelplex_ollama.errors import stream_error
from modelplex_ollama.records import LocalModel, ModelDetails, PullProgress, RunningModel, UpdateResult

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)


class OllamaManager:
    """The models of one Ollama server.

    :param base_url: where Ollama is, in any form ``OLLAMA_HOST`` takes; default ``OLLAMA_HOST``,
        then ``OLLAMA_BASE_URL``, then ``http://localhost:11434``.
    :param http: an ``httpx.AsyncClient`` to send through (then left open); default, one of its own,
        closed by :meth:`aclose` or ``async with``.
    :param api_key: sent as a bearer token (Ollama's cloud); ``provider`` names the server in errors.
    """

    def __init__(self, base_url: str | None = None, *, http: httpx.AsyncClient | None = None,
                 api_key: str | None = None, headers: Mapping[str, str] | None = None,
                 transport: Any = None, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
                 provider: str = "ollama") -> None:
        url = normalize_host(base_url) if base_url else base_url_from_env()
        self._owned = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout, transport=transport,
                                              headers=dict(headers or {}))
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.api = OllamaAPI(http=self.http, base_url=url, provider=provider, headers=auth)

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> OllamaManager:
        """The server a provider's resolved settings point at (its own HTTP client)."""
        timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
        key = settings.api_key.reveal() if settings.api_key else None
        return cls(base_url(settings), api_key=key, headers=settings.headers, transport=settings.transport,
                   timeout=timeout, provider=settings.name)

    @classmethod
    def from_client(cls, client: modelplex.AsyncClient | modelplex.Client,
                    provider: str = "ollama") -> OllamaManager:
        """The server of ``provider`` as ``client`` is configured (arguments, environment, config
        file). An :class:`~modelplex.AsyncClient`'s pooled connections are shared."""
        if isinstance(client, modelplex.AsyncClient):
            ctx = client.context(provider)
            key = ctx.settings.api_key.reveal() if ctx.settings.api_key else None
            return cls(base_url(ctx.settings), http=ctx.http, api_key=key, provider=ctx.name)
        return cls.from_settings(client.async_client.context(provider).settings)

    @property
    def base_url(self) -> str:
        return self.api.base_url

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()

    async def __aenter__(self) -> OllamaManager:
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    # -- reading ---------------------------------------------------------------------------------
    async def version(self) -> str:
        data = await self.api.json("GET", "/api/version")
        return str(data.get("version", "")) if isinstance(data, Mapping) else ""

    async def _models(self, path: str) -> builtins.list[Mapping[str, Any]]:
        data = await self.api.json("GET", path)
        models = data.get("models") if isinstance(data, Mapping) else None
        if not isinstance(models, list):
            raise ResponseParseError(f"GET {path} answered without a list of models",
                                     provider=self.api.provider, field="models")
        return [m for m in models if isinstance(m, Mapping)]

    async def list(self) -> builtins.list[LocalModel]:
        """The models Ollama has, as ``/api/tags`` lists them."""
        return [LocalModel.of(m) for m in await self._models("/api/tags")]

    async def ps(self) -> builtins.list[RunningModel]:
        """The models loaded in memory now."""
        return [RunningModel.of(m) for m in await self._models("/api/ps")]

    async def show(self, model: str) -> ModelDetails:
        data = await self.api.json("POST", "/api/show", body={"model": model}, model=model)
        if not isinstance(data, Mapping):
            raise ResponseParseError("POST /api/show answered something that is not an object",
                                     provider=self.api.provider, model=model)
        return ModelDetails.of(model, data)

    # -- changing --------------------------------------------------------------------------------
    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Download ``model``, yielding each progress line; the last is ``success``.

        An error line from Ollama (a model name it does not know, a download that failed) raises its
        error after the lines before it; a stream that ends before ``success`` raises
        :class:`~modelplex.errors.StreamInterruptedError`.
        """
        from modelplex.errors import StreamInterruptedError

        async with self.api.stream("POST", "/api/pull", body={"model": model, "stream": True},
                                   model=model) as response:
            async for item in ndjson_stream(response, provider=self.api.provider, model=model,
                                            server="Ollama"):
                if not isinstance(item, Mapping):
                    raise ResponseParseError("a line of /api/pull is not an object",
                                             provider=self.api.provider, model=model)
                if item.get("error") is not None:
                    raise stream_error(self.api.provider, model, item, where="pull")
                step = PullProgress.of(item)
                yield step
                if step.is_success:
                    return
        raise StreamInterruptedError("the pull stopped before Ollama said 'success'; pull again to "
                                     "resume", provider=self.api.provider, model=model)

    async def delete(self, model: str) -> None:
        """Remove ``model``; one that is not there is :class:`~modelplex.errors.ModelNotFoundError`."""
        await self.api.request("DELETE", "/api/delete", body={"model": model}, model=model)

    async def update(self, models: Iterable[str] | None = None, *,
                     progress: Callable[[str, PullProgress], Awaitable[None] | None] | None = None) -> (
            builtins.list[UpdateResult]):
        """Pull ``models`` (default: every model Ollama has) again; say whose digest changed.

        A model that fails is reported in its result and the others go on. ``progress`` is called
        with each model's progress lines.
        """
        listed = await self.list()
        before = {m.name: m.digest for m in listed}
        names = builtins.list(models) if models is not None else [
            m.name for m in listed if not m.remote_host and not _is_remote(m.name)]
        results: builtins.list[UpdateResult] = []
        for name in names:
            old = before.get(name) or before.get(f"{name}:latest", "")
            try:
                async for step in self.pull(name):
                    if progress is not None:
                        done = progress(name, step)
                        if done is not None:
                            await done
            except ModelplexError as exc:
                results.append(UpdateResult(model=name, old_digest=old, error=exc.message))
                continue
            after = {m.name: m.digest for m in await self.list()}
            new = after.get(name) or after.get(f"{name}:latest", "")
            results.append(UpdateResult(model=name, old_digest=old, new_digest=new))
        return results


def _is_remote(name: str) -> bool:
    """Cloud models (``gpt-oss:120b-cloud``) live on ollama.com: there is nothing to pull."""
    return name.endswith("-cloud") or ":cloud" in name
