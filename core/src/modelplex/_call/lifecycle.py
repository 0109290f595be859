"""The call lifecycle: what the ``modelplex_before_call``, ``modelplex_before_attempt`` and
``modelplex_after_call`` hooks receive, and the calling of them (see :mod:`modelplex.hookspecs` for the
contract; :mod:`modelplex._call.admission` for the per-attempt half).

A client whose plugins implement none of them pays nothing for them: :attr:`Lifecycle.active` is false
and the call path skips all of this.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Literal, Protocol

import attrs

# Imported, not only named for type checkers: the public classes' annotations are resolved at runtime.
from modelplex._call.admitters import Admitters, failed
from modelplex._call.decision import Decision
from modelplex._call.hooks import Hook, lifecycle_hooks
from modelplex._call.shield import shielded
from modelplex._catalog.cost import Cost
from modelplex._embeddings import EmbedRequest
from modelplex._estimate import request_tokens, text_tokens
from modelplex._options import ChatRequest
from modelplex._responses import Usage
from modelplex._trace import RoutingTrace
from modelplex.errors import ModelplexError

CallKind = Literal["chat", "stream", "embed", "rerank", "list_models"]
CallStatus = Literal["ok", "error", "cancelled"]


@attrs.frozen(kw_only=True, slots=False)
class CallInfo:
    """A call about to be made, as ``modelplex_before_call`` and ``modelplex_after_call`` see it.

    ``kind`` is ``chat``, ``stream``, ``embed``, ``rerank`` or ``list_models``; ``address`` what the caller
    asked for (``openai/gpt-4o``, ``chain/fast``, or the provider's name for ``list_models``);
    ``provider`` and ``model`` that address split (``chain`` and the chain's name for a chain; ``model``
    is ``None`` for ``list_models``). ``request`` is the validated :class:`~modelplex.ChatRequest` (its
    ``model`` the address's model), :class:`~modelplex.EmbedRequest` or :class:`~modelplex.RerankRequest`,
    ``None`` for ``list_models``.
    ``estimated_tokens`` is :mod:`modelplex._estimate`'s figure: the prompt plus the most the reply
    may take for a chat, the inputs for an embedding. ``tags`` and ``caller`` are what the caller passed
    (never sent to a provider). ``started`` is ``time.time()`` at the start of the call.
    """

    kind: CallKind
    address: str
    provider: str
    model: str | None
    request: ChatRequest | EmbedRequest | None = None
    tags: Mapping[str, str] = attrs.field(factory=dict)
    caller: str | None = None
    started: float = 0.0

    @functools.cached_property
    def decisions(self) -> list[Decision]:
        """The admission decisions taken for this call so far, in order: admitters (the policy, budgets)
        append a :class:`~modelplex.Decision` as they decide each candidate, and ``modelplex_after_call``
        observers (the usage log) read them. Made when first read: a call nobody decides about has none."""
        return []

    @functools.cached_property
    def estimated_tokens(self) -> int:
        """Worked out when first read: most observers never ask, and every call would pay for it."""
        request = self.request
        if isinstance(request, ChatRequest):
            return request_tokens(request.messages, request.options)
        if isinstance(request, EmbedRequest):
            return text_tokens(request.inputs)
        return 0


@attrs.frozen(kw_only=True, slots=False)
class CallOutcome:
    """How a call ended, as ``modelplex_after_call`` and reservations see it.

    ``status``: ``ok``; ``error`` (``error`` says which, typed; a refusal by an admitter included);
    ``cancelled`` (the task was cancelled, or the caller left a stream before its end). ``provider``
    and ``model`` are the model that answered (a chain's choice), ``None`` when none did. ``usage`` is
    the provider's count; for a stream cut or cancelled, what was seen so far, and for a call cancelled
    before its answer, its input (``partial`` is then true, and ``usage.estimated`` when the provider
    had not counted yet). Times are in seconds:
    ``duration`` the whole call, ``time_to_first_token`` until a stream's first content event.
    ``trace`` is the routing trace (``None`` for ``list_models`` and calls refused before routing);
    ``response`` the :class:`~modelplex.ChatResponse`, :class:`~modelplex.EmbedResponse` or model list;
    ``cost`` what ``usage`` cost (:class:`~modelplex.Cost`, ``partial`` for a cut stream), ``None`` where
    there was no usage.
    """

    status: CallStatus
    error: ModelplexError | None = None
    provider: str | None = None
    model: str | None = None
    usage: Usage | None = None
    partial: bool = False
    duration: float = 0.0
    time_to_first_token: float | None = None
    trace: RoutingTrace | None = None
    response: Any = None
    cost: Cost | None = None


class CallReservation(Protocol):
    """What an admitter may return from ``modelplex_before_call``: it is settled once the call has
    succeeded (or was cut or cancelled with usage to count), released when it failed. Either method
    may return an awaitable."""

    def settle(self, outcome: CallOutcome) -> Awaitable[None] | None:
        """The call used ``outcome.usage``: make the reservation final."""

    def release(self, outcome: CallOutcome) -> Awaitable[None] | None:
        """The call failed (``outcome.error``): give the reservation back."""


class Lifecycle(Admitters):
    """The lifecycle hooks of one registry's plugins, called without pluggy's dispatch (each on its
    own, so that one observer's failure does not keep the others from hearing)."""

    __slots__ = ("active", "after", "attempt", "before")

    def __init__(self, pm: Any) -> None:
        self.before = lifecycle_hooks(pm, "modelplex_before_call")
        self.attempt = lifecycle_hooks(pm, "modelplex_before_attempt")
        self.after = lifecycle_hooks(pm, "modelplex_after_call")
        self.active = bool(self.before or self.attempt or self.after)

    async def give_back(self, call: CallInfo, held: Sequence[tuple[str, Any]],
                        refusal: ModelplexError | None) -> None:
        """Release what ``held`` reserved: the call was refused (``refusal``), or cancelled (``None``)."""
        status: CallStatus = "cancelled" if refusal is None else "error"
        await self.close(call, CallOutcome(status=status, error=refusal), held)

    def report(self, call: CallInfo, outcome: CallOutcome,
               held: Sequence[tuple[str, Any]]) -> Awaitable[None] | None:
        """:meth:`close` with ``report``, without a coroutine where nothing is held and every observer
        answers at once (the common case: a log line, a counter): ``None`` then, else what to await.
        The observers after the first that answers with an awaitable are called once it is awaited,
        so that each runs after the one before it, as in :meth:`close`."""
        if held:
            return self.close(call, outcome, held, report=True)
        after = self.after
        for hook in after:  # no enumerate(): every call pays for it, the index is rarely wanted
            try:
                done = hook[1](call, outcome)
            except Exception as exc:
                failed(hook[0], "modelplex_after_call", exc)
                continue
            if done is not None and inspect.isawaitable(done):
                return self._observed(call, outcome, hook[0], done, after.index(hook) + 1)
        return None

    async def _observed(self, call: CallInfo, outcome: CallOutcome, plugin: str, done: Awaitable[Any],
                        rest: int) -> None:
        """Await ``done`` (``plugin``'s answer), then tell the observers from index ``rest`` on."""
        try:
            await shielded(done)
        except Exception as exc:
            failed(plugin, "modelplex_after_call", exc)
        if rest < len(self.after):
            await self._tell(call, outcome, self.after[rest:])

    async def close(self, call: CallInfo, outcome: CallOutcome, held: Sequence[tuple[str, Any]],
                    report: bool = False) -> None:
        """Settle (success, or usage to count) or release (failure) the reservations, last taken first,
        then, with ``report``, tell every observer. What they return to await is shielded from the
        call's cancellation: a cancelled call is still reported. Synchronous hooks cost no shield."""
        settle = outcome.status == "ok" or (outcome.partial and outcome.usage is not None)
        for plugin, reservation in reversed(held):
            method = getattr(reservation, "settle" if settle else "release", None)
            if method is None:
                continue
            try:
                done = method(outcome)
                if done is not None and inspect.isawaitable(done):
                    await shielded(done)
            except Exception as exc:
                failed(plugin, "settle" if settle else "release", exc)
        if report:
            await self._tell(call, outcome, self.after)

    async def _tell(self, call: CallInfo, outcome: CallOutcome, observers: Sequence[Hook]) -> None:
        """Call each of ``observers`` in turn, awaiting (shielded) what it returns before the next."""
        for plugin, function in observers:
            try:
                done = function(call, outcome)
                if done is not None and inspect.isawaitable(done):
                    await shielded(done)
            except Exception as exc:
                failed(plugin, "modelplex_after_call", exc)
