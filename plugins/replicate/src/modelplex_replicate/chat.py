"""The chat hooks' work: a prediction created, then read whole (:func:`chat`: ``Prefer: wait``, then
polling) or streamed (:func:`chat_stream`: its SSE stream read to the end, then the prediction read
for its metrics). A caller that stops early, is cancelled or runs out of time cancels the prediction
(``POST urls.cancel``), so Replicate stops running, and billing, a model nobody is listening to."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import attrs

from modelplex import (
    ChatRequest,
    ChatResponse,
    Finished,
    ProviderContext,
    ProviderWarning,
    ResponseStarted,
    StreamEvent,
    TextPart,
    UsageReported,
    WarningRaised,
)
from modelplex.errors import ProviderError, ResponseParseError
from modelplex.toolkit import Reader, sse_stream
from modelplex_replicate.address import Target, target
from modelplex_replicate.config import (
    followed,
    headers,
    poll_interval,
    stream_headers,
    url,
    waiting_headers,
)
from modelplex_replicate.errors import map_error
from modelplex_replicate.inputs import build_input
from modelplex_replicate.prediction import Prediction, failure, finish_reason, parse, usage
from modelplex_replicate.stream import Events

CANCEL_WITHIN = 5.0  # seconds the cancel request may take once the caller has gone


@attrs.frozen(kw_only=True, slots=True)
class Created:
    """A prediction just created, and what the request that created it left out."""

    prediction: Prediction
    where: Target
    warnings: tuple[ProviderWarning, ...]


def _json(ctx: ProviderContext, model: str, response: Any, *, creating: bool = False) -> Any:
    if response.status_code >= 400:
        raise map_error(provider=ctx.name, model=model, status=response.status_code, body=response.content,
                        headers=response.headers, reason=response.reason_phrase, creating=creating)
    return Reader(provider=ctx.name, model=model).json(response.content)


async def create(ctx: ProviderContext, request: ChatRequest, *, stream: bool) -> Created:
    """Create the prediction; a whole reply waits for it (``Prefer: wait``) up to Replicate's limit.
    The ``where`` of the result is the route the model id named."""
    where = target(request.model, provider=ctx.name)
    body_input, warnings = build_input(request, where)
    body: dict[str, Any] = {"input": body_input}
    if where.version is not None:
        body["version"] = where.version
    if stream:
        body["stream"] = True
    response = await ctx.post_json(url(ctx, where.path), body,
                                   headers(ctx) if stream else waiting_headers(ctx))
    data = _json(ctx, request.model, response, creating=True)
    return Created(prediction=parse(data, provider=ctx.name, model=request.model), where=where,
                   warnings=tuple(warnings))


async def read(ctx: ProviderContext, model: str, prediction: Prediction) -> Prediction:
    """The prediction as it is now (``GET urls.get``)."""
    if prediction.get_url is None:
        raise ResponseParseError("the prediction has no urls.get to read it by", provider=ctx.name,
                                 model=model)
    response = await ctx.http.get(followed(ctx, model, prediction.get_url), headers=headers(ctx))
    return parse(_json(ctx, model, response), provider=ctx.name, model=model)


async def until_finished(ctx: ProviderContext, model: str, prediction: Prediction) -> Prediction:
    """Read the prediction every ``poll_interval`` seconds until it is over."""
    while prediction.running:
        await anyio.sleep(poll_interval(ctx))
        prediction = await read(ctx, model, prediction)
    return prediction


async def cancel(ctx: ProviderContext, model: str, prediction: Prediction) -> None:
    """``POST urls.cancel``, shielded from the cancellation that brought us here and bounded in time;
    a cancel that fails is not the caller's error (the call is already ending for its own reason)."""
    if prediction.cancel_url is None:
        return
    with anyio.move_on_after(CANCEL_WITHIN, shield=True):
        # Best effort: the caller's own error or cancellation is what the call ends with.
        with contextlib.suppress(Exception):
            await ctx.http.post(followed(ctx, model, prediction.cancel_url), headers=headers(ctx))


def _response(ctx: ProviderContext, request: ChatRequest, prediction: Prediction,
              warnings: tuple[ProviderWarning, ...]) -> ChatResponse:
    problem = failure(prediction, provider=ctx.name, model=request.model)
    if problem is not None:
        raise problem
    reason, raw = finish_reason(prediction, request.options.max_tokens)
    parts = [TextPart(text=prediction.output)] if prediction.output else []
    return ChatResponse(provider=ctx.name, model=request.model, id=prediction.id, parts=parts,
                        finish_reason=reason, raw_finish_reason=raw, usage=usage(prediction),
                        warnings=warnings)


async def chat(ctx: ProviderContext, request: ChatRequest) -> ChatResponse:
    """Create the prediction, wait for it to finish, and read its output and metrics."""
    created = await create(ctx, request, stream=False)
    prediction = created.prediction
    try:
        prediction = await until_finished(ctx, request.model, prediction)
        if not prediction.metrics and prediction.status == "succeeded":
            prediction = await read(ctx, request.model, prediction)  # Prefer: wait may answer before them
    except BaseException:
        if prediction.running:
            await cancel(ctx, request.model, prediction)
        raise
    return _response(ctx, request, prediction, created.warnings)


async def _events(ctx: ProviderContext, request: ChatRequest, created: Created, response: Any,
                  handler: Events) -> AsyncIterator[StreamEvent]:
    prediction = created.prediction
    first: list[StreamEvent] = [WarningRaised(warning=w) for w in created.warnings]
    # The address's model: a prediction's own "model" can be Replicate's internal name for what runs it.
    first.append(ResponseStarted(id=prediction.id, model=request.model))
    async for event in sse_stream(response, handler, first=first):
        yield event
    # The output is all here; the metrics are on the prediction, which may take a moment to be over.
    final = await until_finished(ctx, request.model, await read(ctx, request.model, prediction))
    problem = failure(final, provider=ctx.name, model=request.model)
    if problem is not None:
        raise problem
    reason, raw = finish_reason(final, request.options.max_tokens)
    yield UsageReported(usage=usage(final))
    yield Finished(reason=reason, raw_reason=raw)


@asynccontextmanager
async def chat_stream(ctx: ProviderContext,
                      request: ChatRequest) -> AsyncIterator[AsyncIterator[StreamEvent]]:
    """Create a streaming prediction and yield its events; leaving early cancels the prediction."""
    created = await create(ctx, request, stream=True)
    prediction = created.prediction
    handler = Events(provider=ctx.name, model=request.model, prediction=prediction.id)
    try:
        if prediction.stream_url is None:
            raise ProviderError(f"prediction {prediction.id} has no stream URL: this model does not "
                                "stream its output", provider=ctx.name, model=request.model)
        link = followed(ctx, request.model, prediction.stream_url)
        async with ctx.http.stream("GET", link, headers=stream_headers(ctx)) as response:
            if response.status_code >= 400:
                await response.aread()
                raise map_error(provider=ctx.name, model=request.model, status=response.status_code,
                                body=response.content, headers=response.headers,
                                reason=response.reason_phrase)
            yield _events(ctx, request, created, response, handler)
    finally:
        if not handler.over:
            await cancel(ctx, request.model, prediction)
