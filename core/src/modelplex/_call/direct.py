"""The direct branch of the call path: a ``provider/model`` call that needs no routing (no retries, no
limits), the branch most calls take.

It does once per address what would otherwise be done on every call: find the provider's context, the
owning plugin's implementation of each hook (called without pluggy's dispatch, see
:meth:`Registry.implementation`) and the time allowed. A call is then one attempt, bounded by the
shared deadline timer (:class:`~modelplex._call.deadline.Deadlines`), its errors translated at the
plugin boundary, a one-attempt trace set on its result. ``docs/benchmarks.md`` measures what that costs.
"""

from __future__ import annotations

import time
from asyncio import CancelledError, current_task, get_running_loop
from collections.abc import Sequence
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._call.admitters import NOTHING_HELD
from modelplex._call.admitters import failed as failed_hook
from modelplex._call.attempt import translated, unsupported
from modelplex._call.costs import Costs, costs
from modelplex._call.deadline import Deadlines, bounded, ours
from modelplex._call.lifecycle import CallOutcome, build
from modelplex._call.observe import admitting, ended
from modelplex._sent import attempt_started
from modelplex._trace import RouteAttempt, RoutingTrace, direct_trace
from modelplex.errors import ModelplexError, ProviderError, RequestTimeoutError

if TYPE_CHECKING:
    from modelplex._call.lifecycle import CallInfo, Lifecycle
    from modelplex._plugins import Implementation
    from modelplex._provider import ProviderInfo
    from modelplex._responses import ProviderWarning
    from modelplex._routing.router import Router

_UNSET: Any = object()
_monotonic = time.monotonic


class Direct:
    """Calls to one ``provider/model`` address, bound to its provider's context."""

    __slots__ = ("_candidates", "_costs", "_deadlines", "_impls", "_router", "_why", "address", "ctx", "info",
                 "model", "provider", "split", "timeout")

    def __init__(self, router: Router, address: str, provider: str, model: str) -> None:
        self._router = router
        self.address, self.provider, self.model = address, provider, model
        self.split = (provider, model)
        # Raises for an unknown, unavailable or misconfigured provider, as a call would.
        self.ctx = router.client.context(provider)
        self.info: ProviderInfo = router.client.registry.owner(self.ctx.settings.plugin).info
        # One attempt: bounded by the call timeout and by the whole call's deadline, whichever is less.
        call_timeout, deadline = self.ctx.settings.call_timeout, router.config.policy.deadline
        if deadline < call_timeout:
            self.timeout, self._why = deadline, f"the routing deadline ({deadline:g}s)"
        else:
            self.timeout, self._why = call_timeout, f"the call timeout ({call_timeout:g}s)"
        self._impls: dict[str, Implementation | None] = {}
        self._candidates = (address,)
        self._deadlines: Deadlines | None = None
        self._costs: Costs | None = None

    async def call(self, hook: str, warnings: Sequence[ProviderWarning] = (),
                   lifecycle: Lifecycle | None = None, observed: CallInfo | None = None,
                   **kwargs: Any) -> Any:
        """``hook`` on the owning plugin within the time allowed, the trace (and ``warnings``, the
        core's own) set on its result; a failure is recorded for health and carries the trace. With
        ``lifecycle`` and ``observed``, the call is admitted first and its end told to the lifecycle,
        in this coroutine: no :class:`~modelplex._call.observe.Watch` is made unless it fails (an
        object less per call, ``docs/hot-paths.md``)."""
        held: Sequence[tuple[str, Any]] = ()
        started = _monotonic()
        if observed is not None:
            begun = started
            before = lifecycle.before  # type: ignore[union-attr]
            if before:
                # admit_now's loop, written out while the admitters answer None (the common case: a
                # frame less, docs/hot-paths.md); the first to answer anything else or to raise is
                # handed over to it, with those after it.
                now: Any = NOTHING_HELD
                for admitter in before:  # not ``hook``: that names the provider hook to call
                    try:
                        answer = admitter[1](observed)
                    except BaseException as exc:
                        now = lifecycle.admit_now(  # type: ignore[union-attr]
                            observed, before.index(admitter), error=exc)
                        break
                    if answer is not None:
                        now = lifecycle.admit_now(  # type: ignore[union-attr]
                            observed, before.index(admitter), answer)
                        break
                if now.__class__ is list or now is NOTHING_HELD:
                    held = now
                else:  # an admitter to wait for (a budget's reservation): the attempt starts after it
                    held = await admitting(lifecycle, observed, now)  # type: ignore[arg-type]
                    started = _monotonic()
        failed: ModelplexError | None = None
        marker = attempt_started()
        try:
            try:
                try:
                    loop = get_running_loop()
                    task = current_task(loop)
                except RuntimeError:  # not asyncio (trio): the same mechanism on anyio's cancel scope
                    task = None
                if task is None:
                    result = await bounded(self._start(hook, kwargs), self.timeout, self._timed_out)
                else:
                    deadlines = self._deadlines
                    if deadlines is None or deadlines.loop is not loop:
                        deadlines = self._deadlines = Deadlines(loop, self.timeout)
                    entry = deadlines.start(task)
                    # guarded(), written out: the hot path, and a coroutine less is a microsecond less
                    cancelling = task.cancelling()
                    try:
                        result = await self._start(hook, kwargs)
                    except CancelledError:
                        if ours(entry, cancelling):
                            raise self._timed_out() from None
                        raise
                    else:
                        if entry.fired:  # it fired as the call returned: take back that cancellation
                            task.uncancel()
                    finally:
                        deadlines.end(entry)
            except Exception as exc:  # the plugin's errors and the deadline's, translated once here
                error = translated(exc, self.provider, self.model, self.ctx.settings.plugin, sent=marker[0],
                                   origin=self.ctx.settings.base_url_source)
                await self._failed(error, started)
                if error is exc:
                    raise
                failed = error
            if failed is not None:  # raised outside the clause, which would link exc back (attempt.invoke)
                raise failed
            duration = _monotonic() - started
            address = self.address
            trace = RoutingTrace(address=address, candidates=self._candidates,
                                 attempts=(RouteAttempt(model=address, duration=duration),),
                                 answered_by=address, duration=duration)
            if self._router.has_failures:
                await self._router.succeeded(address)
            if warnings:
                result = attrs.evolve(result, warnings=(*warnings, *result.warnings), trace=trace)
            else:
                result = with_trace(result, trace)
            priced = self._costs
            if priced is None:
                priced = self._costs = costs(self._router.client)
            result = priced.attach(result)
        except BaseException as exc:
            if observed is not None:  # told whatever ended the call: an error, a cancellation
                # The attempt had started (its prompt may have been sent, and be billed).
                await ended(lifecycle, self._router.client, observed, held, begun,  # type: ignore[arg-type]
                            True, exc)
            raise
        if observed is not None:
            duration = _monotonic() - begun
            usage, cost = getattr(result, "usage", None), getattr(result, "cost", None)
            outcome = build(CallOutcome, ("ok", None, self.provider, self.model, usage, False, duration, None,
                                          trace, result, cost))
            if held:
                await lifecycle.close(observed, outcome, held, report=True)  # type: ignore[union-attr]
                return result
            # Lifecycle.report's loop, written out (a frame less, docs/hot-paths.md): each observer in
            # turn; the first to answer an awaitable is awaited before those after it are told.
            after = lifecycle.after  # type: ignore[union-attr]
            for observer in after:
                try:
                    done = observer[1](observed, outcome)
                except Exception as exc:
                    failed_hook(observer[0], "modelplex_after_call", exc)
                    continue
                if done is not None and isawaitable(done):
                    await lifecycle._observed(observed, outcome, observer[0], done,  # type: ignore[union-attr]
                                              after.index(observer) + 1)
                    break
        return result

    def _start(self, hook: str, kwargs: dict[str, Any]) -> Any:
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
            raise unsupported(hook, self.provider, self.model)
        return awaitable

    def _timed_out(self) -> RequestTimeoutError:
        return RequestTimeoutError(f"no answer within {self._why}", provider=self.provider, model=self.model)

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
