"""The plugin boundary: where the call path calls a provider plugin, and the one place that turns what
a plugin raises (a Modelplex error or a foreign exception) into the error the caller sees.

Every exception out of plugin code, from a hook, the awaitable it returned, a stream's opening or its
iteration, goes through :func:`translated` once, at the boundary it crossed; nothing above it
translates again. :func:`modelplex._translate.translate` does the work (and scrubs secrets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelplex._call.deadline import bounded
from modelplex._sent import attempt_started
from modelplex._translate import translate
from modelplex.errors import ModelplexError, RequestTimeoutError, UnsupportedFeatureError

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo
    from modelplex._client import AsyncClient


_PRICED = frozenset({"modelplex_chat", "modelplex_embed", "modelplex_rerank"})


def translated(exc: BaseException, provider: str, model: str | None, plugin: str, *,
               sent: bool = True, origin: str | None = None) -> ModelplexError:
    """What the caller sees of ``exc``, raised by ``plugin`` serving ``provider``/``model``; ``sent``
    says whether the attempt had put its request on the wire (see :mod:`modelplex._sent`), ``origin``
    which setting chose the provider's base URL (named when it cannot be reached)."""
    return translate(exc, provider, model, plugin, sent=sent, origin=origin)


def origin_of(client: AsyncClient, provider: str) -> str | None:
    """The setting that chose ``provider``'s base URL (see ``ProviderSettings.base_url_source``)."""
    try:
        return client.context(provider).settings.base_url_source
    except ModelplexError:
        return None


def plugin_of(client: AsyncClient, provider: str) -> str:
    """The plugin that serves ``provider`` (its own name while it is not configured)."""
    try:
        return client.context(provider).settings.plugin
    except ModelplexError:
        return provider


def unsupported(hook: str, provider: str, model: str | None) -> UnsupportedFeatureError:
    """The error for a provider whose plugin leaves ``hook`` out."""
    what = hook.removeprefix("modelplex_").replace("_", " ")
    return UnsupportedFeatureError(f"this provider does not support {what}", provider=provider, model=model)


def start(client: AsyncClient, provider: str, model: str | None, hook: str, **kwargs: Any) -> Any:
    """What ``hook`` of the plugin owning ``provider`` returns (an awaitable, a context manager)."""
    ctx = client.context(provider)
    result = client.registry.call(ctx.settings.plugin, hook, ctx=ctx, **kwargs)
    if result is None:
        raise unsupported(hook, provider, model)
    return result


async def invoke(client: AsyncClient, provider: str, model: str | None, hook: str, **kwargs: Any) -> Any:
    """``await`` what ``hook`` returns; anything raised on the way is translated, here and only here."""
    marker = attempt_started()
    try:
        result = await start(client, provider, model, hook, **kwargs)
    except Exception as exc:
        error = translated(exc, provider, model, plugin_of(client, provider), sent=marker[0],
                           origin=origin_of(client, provider))
        if error is exc:
            raise
    else:
        if hook in _PRICED:  # a routed attempt's response: priced as the direct branch prices its own
            from modelplex._call.costs import costs

            return costs(client).attach(result)
        return result
    # Raised outside the except clause: inside it, Python would link the raw exception (and the key
    # it may hold) back as __context__. translate() already set __cause__ to its scrubbed summary.
    raise error


async def listing(client: AsyncClient, provider: str, limit: float | None = None) -> list[ModelInfo]:
    """``provider``'s model list, within its call timeout (and ``limit``, if smaller); what it says is
    kept in ``client.learned`` for chains to read."""
    seconds = client.context(provider).settings.call_timeout
    if limit is not None and limit < seconds:
        seconds = limit

    def timed_out() -> RequestTimeoutError:
        return RequestTimeoutError(f"no model list within {seconds:g}s", provider=provider)

    models = list(await bounded(invoke(client, provider, None, "modelplex_list_models"), seconds, timed_out))
    client.learned.update((m.address, m) for m in models)
    from modelplex._call.costs import costs

    costs(client).forget(provider)  # what the listing said may price the provider's models
    return models
