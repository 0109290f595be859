"""Per-attempt admission: ``modelplex_before_attempt`` asked before each candidate a call tries, and the
reservations it hands out settled or released with that attempt's outcome (the contract is in
:mod:`modelplex.hookspecs`).

The router's attempt loop (:mod:`modelplex._routing.attempts`) calls it for routed chats, streams and
embeddings; :meth:`Admission.direct` wraps the direct branch's one attempt (a ``provider/model`` call
with no routing) the same way. A client without such a plugin never builds an :class:`Admission`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._call.lifecycle import CallInfo, CallOutcome, CallStatus, Lifecycle
from modelplex._sent import no_attempt

if TYPE_CHECKING:
    from modelplex._call.direct import Direct
    from modelplex._catalog.estimate import Estimate
    from modelplex._catalog.records import ModelInfo
    from modelplex._client import AsyncClient
    from modelplex._messages import Message
    from modelplex._options import ChatOptions
    from modelplex._responses import ProviderWarning, Usage
    from modelplex._routing.candidates import Candidate
    from modelplex.errors import ModelplexError

Held = Sequence[tuple[str, Any]]


@attrs.frozen(kw_only=True)
class AttemptInfo:
    """One candidate a call is about to try, as ``modelplex_before_attempt`` sees it.

    ``provider``, ``model`` and ``address`` (``provider/model``) name the candidate (a chain's model,
    or the one model of a direct call). ``number`` counts the call's attempts from 1; ``retry`` is true
    when the attempt before was to the same candidate. ``info`` is what is known of the model (the
    catalog, its provider's listing and the user's overrides merged: tier, capabilities, ``local``,
    prices), ``None`` when nothing is; ``estimate`` its worst case for this request (input tokens, the
    most output, the cost a budget reserves: ``estimate.cost.total`` is ``None`` when a price or the
    output bound is unknown, never 0). Both are worked out when first read: an admitter that needs
    neither pays for neither. For an embedding the estimate's ``output_tokens`` is 0.
    """

    provider: str
    model: str
    address: str
    number: int = 1
    retry: bool = False
    # Any, not AsyncClient: the public classes' annotations are resolved at runtime, and the client's
    # module is not one to import for that.
    _client: Any = attrs.field(alias="client", repr=False, eq=False)
    _request: tuple[Any, ...] = attrs.field(alias="request", repr=False, eq=False)

    # Worked out on first read, kept here: a plain property (not a cached_property, whose return type
    # attrs would resolve, importing the estimator with the call path) over a dict that may change.
    _memo: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False, eq=False)

    @property
    def info(self) -> ModelInfo | None:
        """The candidate's merged :class:`~modelplex.ModelInfo` (``None``: nothing known of it)."""
        if "info" not in self._memo:
            from modelplex._catalog.merge import model_info

            self._memo["info"] = model_info(self._client, self.provider, self.model)
        info: ModelInfo | None = self._memo["info"]
        return info

    @property
    def estimate(self) -> Estimate:
        """The worst case of this attempt (:meth:`~modelplex.AsyncClient.estimate`'s, for this model)."""
        if "estimate" not in self._memo:
            kind, payload, options = self._request
            if kind == "embed":
                self._memo["estimate"] = _embed_estimate(self, payload)
            else:
                from modelplex._catalog.estimate import estimate_model

                self._memo["estimate"] = estimate_model(self._client, self.address, payload, options)
        estimate: Estimate = self._memo["estimate"]
        return estimate


def _embed_estimate(attempt: AttemptInfo, inputs: Sequence[str]) -> Estimate:
    """An embedding's worst case: its inputs counted by the model's rule (as a chat's text is, with no
    message frames), priced as input; nothing comes out."""
    from modelplex._catalog.estimate import Estimate, rule_for, worst_cost
    from modelplex._options import ChatOptions

    info = attempt.info
    rule = rule_for(attempt._client.settings.plugin_for(attempt.provider),
                    info.id if info is not None else attempt.model)
    tokens = sum(rule.count(text) for text in inputs)
    return Estimate(model=attempt.address, input_tokens=tokens, estimated=not rule.exact, output_tokens=0,
                    cost=worst_cost(info, tokens, 0, ChatOptions()), tokenizer=rule.tokenizer)


def admission(client: AsyncClient, call: CallInfo, kind: str, payload: Sequence[Message] | Sequence[str],
              options: ChatOptions | None) -> Admission | None:
    """What the attempt loop asks before each attempt of ``call``; ``None`` when no plugin implements
    ``modelplex_before_attempt``."""
    lifecycle = client.registry.lifecycle
    return Admission(client, lifecycle, call, kind, payload, options) if lifecycle.attempt else None


def admitted(client: AsyncClient, call: CallInfo, kind: str, payload: Sequence[Message] | Sequence[str],
             options: ChatOptions | None, direct: Direct, warnings: Sequence[ProviderWarning] = (),
             **kwargs: Any) -> Awaitable[Any]:
    """``direct``'s one attempt (a chat or an embedding), admitted first."""
    hook = "modelplex_embed" if kind == "embed" else "modelplex_chat"
    return Admission(client, client.registry.lifecycle, call, kind, payload, options).direct(
        direct, hook, warnings, **kwargs)


class Admission:
    """The per-attempt admitters of one call, and what the attempt loop needs to ask them."""

    __slots__ = ("_count", "_last", "call", "client", "kind", "lifecycle", "options", "payload")

    def __init__(self, client: AsyncClient, lifecycle: Lifecycle, call: CallInfo, kind: str,
                 payload: Sequence[Message] | Sequence[str], options: ChatOptions | None) -> None:
        self.client, self.lifecycle, self.call = client, lifecycle, call
        self.kind, self.payload, self.options = kind, payload, options
        self._count = 0
        self._last: str | None = None

    async def admit(self, c: Candidate) -> Held:
        """The reservations every admitter holds for an attempt of ``c``; a refusal is raised (what the
        admitters before it reserved already released)."""
        no_attempt()  # cancelled while admitting: the attempt before's marker must not count as this one's
        self._count += 1
        retry, self._last = self._last == c.address, c.address
        options = c.options(self.options) if self.options is not None else None
        attempt = AttemptInfo(provider=c.provider, model=c.model, address=c.address, number=self._count,
                              retry=retry, client=self.client, request=(self.kind, self.payload, options))
        return await self.lifecycle.admit(self.call, attempt)

    async def direct(self, direct: Direct, hook: str, warnings: Sequence[ProviderWarning] = (),
                     **kwargs: Any) -> Any:
        """A ``provider/model`` call without routing (the direct branch's one attempt), admitted first:
        the attempt loop's rules for one candidate, without its cost (a trace builder, a deadline
        scope and a copy of the response: some 50 µs a call). A refusal is raised with a trace that
        records the skip."""
        from modelplex._routing.candidates import Candidate
        from modelplex._trace import TraceBuilder
        from modelplex.errors import ModelplexError

        c = Candidate(direct.address, direct.provider, direct.model)
        try:
            held = await self.admit(c)
        except ModelplexError as refusal:
            trace = TraceBuilder(direct.address)
            trace.candidates.append(direct.address)
            trace.skip(direct.address, refusal.message)
            refusal.trace = trace.build(None)  # type: ignore[attr-defined]
            raise
        started = time.monotonic()
        try:
            result = await direct.call(hook, warnings, **kwargs)
        except BaseException as exc:
            if held:
                await self.failed(held, c, exc, started)
            raise
        if held:
            await self.answered(held, c, result, started)
        return result

    async def answered(self, held: Held, c: Candidate, result: Any, started: float) -> None:
        """An attempt that answered: its reservations settled with its usage and cost."""
        await self.lifecycle.close(self.call, CallOutcome(
            status="ok", provider=c.provider, model=c.model, usage=getattr(result, "usage", None),
            duration=time.monotonic() - started, response=result, cost=getattr(result, "cost", None)), held)

    async def failed(self, held: Held, c: Candidate, exc: BaseException, started: float) -> None:
        """An attempt that failed (released) or was cancelled (settled with its input, estimated: the
        request may have reached the provider and be billed, as the call's own reservations are). An
        attempt gets here only once its plugin was called: cancelled while it was being admitted, the
        admitters gave back what they held (:meth:`Lifecycle.admit`)."""
        from modelplex._call.costs import cancelled_cost
        from modelplex.errors import ModelplexError

        duration = time.monotonic() - started
        if isinstance(exc, ModelplexError):
            outcome = CallOutcome(status="error", error=exc, provider=c.provider, model=c.model,
                                  duration=duration)
        else:
            usage = self._sent(c)
            outcome = CallOutcome(status="cancelled", provider=c.provider, model=c.model, usage=usage,
                                  partial=True, duration=duration,
                                  cost=cancelled_cost(self.client, c.address, usage))
        await self.lifecycle.close(self.call, outcome, held)

    async def ended(self, held: Held, c: Candidate, status: CallStatus, error: ModelplexError | None,
                    usage: Usage | None, started: float) -> None:
        """A stream's attempt (the one chosen, opened), at its end: settled with what it used, all of it;
        or, for a stream cut, cancelled or left early, ``partial``, the provider's last count, else its
        input estimated (its request reached the provider, which bills it)."""
        from modelplex._call.costs import costs

        partial = status != "ok"
        if usage is None and partial:
            usage = self._sent(c)
        cost = costs(self.client).cost(c.provider, c.model, usage, partial) if usage is not None else None
        await self.lifecycle.close(self.call, CallOutcome(
            status=status, error=error, provider=c.provider, model=c.model, usage=usage,
            partial=partial and usage is not None, duration=time.monotonic() - started, cost=cost), held)

    def _sent(self, c: Candidate) -> Usage:
        """The usage of an attempt cancelled before its answer: its input, estimated."""
        from modelplex._estimate import prompt_tokens, text_tokens
        from modelplex._responses import Usage

        if self.kind == "embed":
            return Usage(input=text_tokens(self.payload), estimated=True)  # type: ignore[arg-type]
        assert self.options is not None
        return Usage(input=prompt_tokens(self.payload, c.options(self.options)),  # type: ignore[arg-type]
                     estimated=True)
