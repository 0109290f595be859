"""The stream of a call, once a model was chosen (:mod:`._routing.opened`): read to its end within the
call's deadline, its end recorded in the trace and the cool-downs.

A stream falls back only before its first content event (text, reasoning or a tool call); the events
before it are held back until then. After it, a failure is raised after the events already delivered.
"""

from __future__ import annotations

import contextlib
import time
from asyncio import CancelledError, Task, current_task
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from modelplex._call.deadline import StreamClock, ours
from modelplex._events import Finished, StreamEvent, TextDelta, UsageReported
from modelplex._routing.opened import Opened, interrupted, is_content
from modelplex._stream import RoutedEvents
from modelplex.errors import ModelplexError, ProviderError, RequestTimeoutError

if TYPE_CHECKING:
    from modelplex._call.lifecycle import CallStatus
    from modelplex._responses import Usage
    from modelplex._retry import RoutingPolicy
    from modelplex._routing.attempts import Outcome
    from modelplex._routing.router import Router
    from modelplex._trace import RoutingTrace

class Events(RoutedEvents):
    """The events of the stream that was chosen: those held back, then the rest as they come, all
    within the call's deadline."""

    def __init__(self, router: Router, outcome: Outcome[Opened], policy: RoutingPolicy) -> None:
        self._router = router
        self._outcome = outcome
        self._opened = outcome.result
        self._policy = policy
        self._finished = False
        self._recorded = False
        self.usage: Usage | None = None
        self.error: ModelplexError | None = None
        self.first_content: float | None = None  # time.monotonic() of the first content event
        self.provider = outcome.candidate.provider
        self.model = outcome.candidate.model
        self.trace: RoutingTrace | None = None
        self._events: AsyncIterator[StreamEvent] | None = None
        self._each: Callable[[StreamEvent], None] | None = None
        self._end: Callable[[], None] | None = None
        self._deadline_error: RequestTimeoutError | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        if self._events is None:  # one iteration, however many loops take part in it
            self._events = self._iterate()
        return self._events

    def observe(self, each: Callable[[StreamEvent], None], end: Callable[[], None]) -> None:
        self._each, self._end = each, end

    def _timed_out(self) -> RequestTimeoutError:
        c = self._outcome.candidate
        error = self._deadline_error = RequestTimeoutError(
            f"the stream did not end within the deadline ({self._policy.deadline:g}s)", provider=c.provider,
            model=c.model)
        return error

    async def _iterate(self) -> AsyncIterator[StreamEvent]:
        opened = self._opened
        each = self._each
        clock = StreamClock(self._outcome.deadline, self._timed_out)
        failed: ModelplexError | None = None
        try:
            while opened.buffer:
                event = opened.buffer.pop(0)
                self._note(event)
                if each is not None:
                    each(event)
                yield event
            iterator = opened.iterator
            if not opened.ended and iterator is not None:
                entry = clock.arm()
                loop = clock.loop
                read = iterator.__anext__ if entry is not None else lambda: clock.next(iterator)
                while True:
                    if entry is not None:  # StreamClock.next, written out: a coroutine less an event
                        if entry.fired:
                            raise clock.timed_out()
                        # A loop given: a third of the cost (it is per event). The sync client reads
                        # each event in a task of its own: the reading task is taken on each read.
                        task: Task[Any] = current_task(loop)  # type: ignore[assignment]
                        entry.task = task
                        cancelling = task.cancelling()
                        clock.reading = True
                    try:
                        event = await read()
                    except StopAsyncIteration:
                        break
                    except CancelledError:
                        if entry is not None and ours(entry, cancelling):
                            raise clock.timed_out() from None
                        raise
                    finally:
                        clock.reading = False
                    if entry is not None and entry.fired:  # it fired as the event came: take it back
                        task.uncancel()
                    if type(event) is not TextDelta:  # text, most events, says nothing to note
                        self._note(event)
                    elif self.first_content is None:
                        self.first_content = time.monotonic()
                    if each is not None:
                        each(event)
                    yield event
                opened.ended = True
        except Exception as exc:
            # The deadline's own error is the core's; anything else came out of the plugin.
            error = exc if exc is self._deadline_error else opened.translated(exc)
            await self._record(error)
            if error is exc:
                raise
            failed = error
        finally:
            clock.stop()
        if failed is not None:  # raised outside the clause, which would link exc back (see attempt.invoke)
            raise failed
        if not self._finished:
            error = interrupted(self._outcome.candidate)
            await self._record(error)
            raise error
        await self._record(None)
        if self._end is not None:
            self._end()

    def _note(self, event: StreamEvent) -> None:
        if isinstance(event, UsageReported):
            self.usage = event.usage
        elif isinstance(event, Finished):
            self._finished = True
        elif self.first_content is None and is_content(event):
            self.first_content = time.monotonic()

    async def _record(self, error: ModelplexError | None) -> None:
        """The end of the stream: its attempt goes into the trace, its outcome into the cool-downs."""
        if self._recorded:
            return
        self._recorded = True
        o = self._outcome
        address = o.candidate.address
        o.trace.attempt(address, time.monotonic() - o.started, waited=o.waited, error=error)
        self.trace = o.trace.build(address)
        if error is not None:
            self.error = error
            if isinstance(error, ProviderError):
                error.trace = self.trace
            await self._router.failed(address, error, self._policy)
        else:
            await self._router.succeeded(address)

    async def close(self, exc: BaseException | None) -> None:
        """Leaving the block: the reading ended (its deadline timer disarmed now, not when the
        generator is collected), the provider's stream closed and the reservation settled."""
        events = self._events
        if events is not None:
            with contextlib.suppress(RuntimeError):  # being read in another task: it ends with the stream
                await events.aclose()  # type: ignore[attr-defined]
        await self._opened.close(exc)
        if not self._recorded:  # left early: not a failure of the model
            self._recorded = True
            o = self._outcome
            o.trace.attempt(o.candidate.address, time.monotonic() - o.started, waited=o.waited)
            self.trace = o.trace.build(o.candidate.address)
        reservation = self._outcome.reservation
        if reservation is not None:
            from modelplex._routing.attempts import settle

            used = self.usage.total if self.usage is not None else reservation.tokens
            await settle(self._router, reservation, used)
        o = self._outcome
        if o.held:  # the admitters' reservations for this attempt: settled with what it used
            assert o.admission is not None
            held, o.held = o.held, ()
            status: CallStatus = "ok" if self._finished and self.error is None else \
                "error" if self.error is not None else "cancelled"
            await o.admission.ended(held, o.candidate, status, self.error, self.usage, o.started)

