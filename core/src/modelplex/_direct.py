"""The direct path: a ``provider/model`` call with no routing configured, the path most calls take.

It does once per address what would otherwise be done on every call: find the provider's context, the
owning plugin's implementation of each hook (called without pluggy's dispatch, see
:meth:`Registry.implementation`) and the call timeout. A call is then one coroutine: a deadline, the
plugin's own work and a one-attempt trace. ``docs/benchmarks.md`` measures what that costs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from modelplex._deadline import Deadlines
from modelplex._trace import RouteAttempt, RoutingTrace, direct_trace
from modelplex.errors import ModelplexError, ProviderError, RequestTimeoutError, UnsupportedFeatureError

if TYPE_CHECKING:
    from modelplex._plugins import Implementation
    from modelplex._router import Router

_UNSET: Any = object()
_monotonic = time.monotonic


class Direct:
    """Calls to one ``provider/model`` address, bound to its provider's context."""

    __slots__ = ("_candidates", "_deadlines", "_impls", "_router", "address", "ctx", "model", "provider",
                 "timeout")

    def __init__(self, router: Router, address: str, provider: str, model: str) -> None:
        self._router = router
        self.address, self.provider, self.model = address, provider, model
        # Raises for an unknown, unavailable or misconfigured provider, as a call would.
        self.ctx = router.client.context(provider)
        self.timeout = self.ctx.settings.call_timeout
        self._impls: dict[str, Implementation | None] = {}
        self._candidates = (address,)
        self._deadlines: Deadlines | None = None

    async def call(self, hook: str, **kwargs: Any) -> Any:
        """``hook`` on the owning plugin, bounded by the call timeout, the trace set on its result; a
        failure is recorded for health and carries the trace.

        On asyncio the deadline works as ``asyncio.timeout`` does (the task is cancelled; a
        cancellation the deadline caused becomes a timeout, any other goes on), on one timer shared by
        the address's calls in flight (:mod:`modelplex._deadline`), all in this one coroutine.
        """
        started = _monotonic()
        try:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task(loop)
        except RuntimeError:  # not asyncio (trio): anyio's cancel scope does the same
            task = None
        try:
            if task is None:
                try:
                    with anyio.fail_after(self.timeout):
                        result = await self._invoke(hook, kwargs)
                except TimeoutError:
                    raise self._timed_out() from None
            else:
                deadlines = self._deadlines
                if deadlines is None or deadlines.loop is not loop:
                    deadlines = self._deadlines = Deadlines(loop, self.timeout)
                cancelling = task.cancelling()
                entry = deadlines.start(task)
                try:
                    result = await self._start(hook, kwargs)
                except asyncio.CancelledError:
                    if entry.fired and task.uncancel() <= cancelling:  # ours, and nobody else's since
                        raise self._timed_out() from None
                    raise
                except ModelplexError:
                    raise
                except Exception as exc:
                    raise self._translated(exc) from exc
                else:
                    if entry.fired:  # it fired as the call returned: take back that cancellation
                        task.uncancel()
                finally:
                    deadlines.end(entry)
        except ModelplexError as error:
            await self._failed(error, started)
            raise
        duration = _monotonic() - started
        address = self.address
        trace = RoutingTrace(address=address, candidates=self._candidates,
                             attempts=(RouteAttempt(model=address, duration=duration),),
                             answered_by=address, duration=duration)
        if self._router.has_failures:
            await self._router.succeeded(address)
        return with_trace(result, trace)

    def _start(self, hook: str, kwargs: dict[str, Any]) -> Awaitable[Any]:
        """What the owning plugin's hook returns (its work starts when it is awaited)."""
        impl = self._impls.get(hook, _UNSET)
        if impl is _UNSET:
            impl = self._impls[hook] = self._router.client.registry.implementation(
                self.ctx.settings.plugin, hook)
        if impl is None:  # several implementations, a wrapper, or none: as pluggy calls them
            awaitable = self._router.client.registry.call(self.ctx.settings.plugin, hook, ctx=self.ctx,
                                                          **kwargs)
        else:
            kwargs["ctx"] = self.ctx
            awaitable = impl.function(*map(kwargs.__getitem__, impl.argnames))
        if awaitable is None:
            what = hook.removeprefix("modelplex_").replace("_", " ")
            raise UnsupportedFeatureError(f"this provider does not support {what}", provider=self.provider,
                                          model=self.model)
        return awaitable  # type: ignore[no-any-return]

    async def _invoke(self, hook: str, kwargs: dict[str, Any]) -> Any:
        """The plugin's answer, anything it raises translated (the path without asyncio's task)."""
        try:
            return await self._start(hook, kwargs)
        except ModelplexError:
            raise
        except Exception as exc:
            raise self._translated(exc) from exc

    def _translated(self, exc: Exception) -> ModelplexError:
        from modelplex._translate import translate

        return translate(exc, self.provider, self.model, self.ctx.settings.plugin)

    def _timed_out(self) -> RequestTimeoutError:
        return RequestTimeoutError(f"no answer within the call timeout ({self.timeout:g}s)",
                                   provider=self.provider, model=self.model)

    async def _failed(self, exc: ModelplexError, started: float) -> None:
        if isinstance(exc, ProviderError):
            exc.trace = direct_trace(self.address, _monotonic() - started, exc)
        await self._router.failed(self.address, exc)


def with_trace(result: Any, trace: RoutingTrace) -> Any:
    """``result`` carrying ``trace``.

    A plugin returns a response it has just built, with no trace (the hookspecs say so): the trace is
    then set on it in place, as attrs' own ``__init__`` sets a frozen field, rather than copying every
    field into a new response on every call. A response that already has one (a plugin that hands out
    the same object twice) is copied, so that what an earlier caller holds does not change.
    """
    if getattr(result, "trace", _UNSET) is None:
        object.__setattr__(result, "trace", trace)
        return result
    return attrs.evolve(result, trace=trace)
