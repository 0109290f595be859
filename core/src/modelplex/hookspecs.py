"""The plugin contract: the one module a provider-plugin author must read.

A plugin is a module (or any object) named by an entry point in the group ``modelplex.plugins``::

    [project.entry-points."modelplex.plugins"]
    acme = "modelplex_acme.plugin"

The entry point's name (``acme``) is the provider name users type (``acme/some-model``). Keep the module
light: import your HTTP and parsing code inside the hook functions or in the objects they return, so that
discovering plugins stays fast.

Implement hooks with :data:`hookimpl`::

    from modelplex.hookspecs import SPEC_VERSION, hookimpl

    @hookimpl
    def modelplex_provider_info():
        return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=("ACME_API_KEY",))

Rules the core enforces:

* Hooks are plain ``def`` functions, cheap and free of I/O. pluggy cannot await: an ``async def``
  hookimpl would return a coroutine, never ``None``, and so would win every ``firstresult`` call.
  Such a hookimpl is refused at registration. Asynchronous work lives in what hooks *return*:
  awaitables, async context managers, objects with async methods.
* A call for provider ``acme`` reaches only the plugin registered as ``acme``; there is no need (and no
  way) to check the provider name in your hooks.
* Raise errors from :mod:`modelplex.errors`. Anything else escaping a hook or what it returns is wrapped
  by the core into a :class:`~modelplex.errors.ResponseParseError` naming your plugin.
* A plugin of the call lifecycle alone (a usage log, budgets, a policy, OpenTelemetry) implements only
  :func:`modelplex_before_call`, :func:`modelplex_before_attempt` and/or :func:`modelplex_after_call`, and no
  :func:`modelplex_provider_info`: it is registered the same ways (an entry point, or
  ``AsyncClient(plugins={"usage": plugin})``) and owns no provider name.
* :data:`SPEC_VERSION` changes only when this contract changes incompatibly. Depend on the core with a
  range (``modelplex>=0.1,<1``), never an exact pin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from modelplex._call.admission import AttemptInfo
    from modelplex._call.lifecycle import CallInfo, CallOutcome, CallReservation
    from modelplex._catalog.records import ModelInfo
    from modelplex._codec import ToolCodec
    from modelplex._embeddings import EmbedRequest, EmbedResponse
    from modelplex._events import StreamEvent
    from modelplex._options import ChatRequest
    from modelplex._provider import ProviderContext, ProviderInfo
    from modelplex._rerank import RerankRequest, RerankResponse
    from modelplex._responses import ChatResponse

PROJECT = "modelplex"
SPEC_VERSION = 1
SUPPORTED_SPEC_VERSIONS = frozenset({1})

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def modelplex_provider_info() -> ProviderInfo | None:
    """Register the provider: say which contract version the plugin speaks and how it is configured.

    :returns: a :class:`~modelplex.ProviderInfo`. Every provider plugin must implement this hook.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def modelplex_chat(
    ctx: ProviderContext, request: ChatRequest
) -> Awaitable[ChatResponse] | None:
    """Answer one chat request without streaming.

    :param ctx: the configured provider: ``ctx.settings``, ``ctx.http`` (a pooled ``httpx.AsyncClient``
        to send every request through, so timeouts, transports and closing work), ``ctx.api_key()``.
    :param request: the provider's own model id (the part after ``provider/``), the canonical messages
        and the options. Options the provider cannot honour produce a
        :class:`~modelplex.ProviderWarning` on the response, never a silent drop.
    :returns: an awaitable (typically a coroutine) resolving to a :class:`~modelplex.ChatResponse`
        built for this call, with no ``trace``: the client sets the routing trace on it.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def modelplex_chat_stream(
    ctx: ProviderContext, request: ChatRequest
) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]] | None:
    """Answer one chat request as a stream of typed events.

    :param ctx: as for :func:`modelplex_chat`.
    :param request: as for :func:`modelplex_chat`.
    :returns: an async context manager whose value is an async iterator of stream events
        (``contextlib.asynccontextmanager`` around an ``httpx`` streaming response is the usual shape).
        Leaving the context must close the HTTP response. Yield :class:`~modelplex.Finished` when the
        provider says the reply is complete; if the stream ends without it, raise
        :class:`~modelplex.errors.StreamInterruptedError` (the core does so for you if you don't).
        Emit :class:`~modelplex.ToolCallEnded` for each tool call with its parsed arguments.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def modelplex_embed(
    ctx: ProviderContext, request: EmbedRequest
) -> Awaitable[EmbedResponse] | None:
    """Embed ``request.inputs``; one vector per input, in order.

    A provider without embeddings may leave this hook out: the core then raises
    :class:`~modelplex.errors.UnsupportedFeatureError`. The response is built for this call, with no
    ``trace`` (the client sets it), as for :func:`modelplex_chat`.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def modelplex_rerank(
    ctx: ProviderContext, request: RerankRequest
) -> Awaitable[RerankResponse] | None:
    """Order ``request.documents`` by their relevance to ``request.query`` (``client.rerank``).

    :param ctx: as for :func:`modelplex_chat`.
    :param request: a :class:`~modelplex.RerankRequest`: the provider's own model id, the ``query``, the
        ``documents`` (non-empty, checked by the client), ``top_n`` (``None``: every document) and
        ``extra`` (provider settings Modelplex has no name for, to send as they are).
    :returns: an awaitable resolving to a :class:`~modelplex.RerankResponse`: one
        :class:`~modelplex.RerankResult` per document kept, most relevant first, each with its ``index``
        into ``request.documents``; ``search_units`` as the provider billed them (``None`` if it does not
        say) and ``usage`` for tokens it counted. No ``trace`` or ``cost``: the client sets them. A
        provider without a rerank endpoint leaves this hook out: the core then raises
        :class:`~modelplex.errors.UnsupportedFeatureError`.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def modelplex_list_models(
    ctx: ProviderContext,
) -> Awaitable[Sequence[ModelInfo]] | None:
    """List the models this provider offers, with what is known of each.

    Use free endpoints only (a model list, never a billed completion).

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def modelplex_tool_codec(ctx: ProviderContext) -> ToolCodec | None:
    """Give the codec that translates canonical tools, tool choice, tool calls and tool results to and
    from this provider's wire format (see :class:`~modelplex.ToolCodec`).

    Stops at first non-None result.
    """


@hookspec
def modelplex_register_commands(cli: Any) -> None:
    """Add commands to the ``modelplex`` command line. ``cli`` is the ``click.Group``.

    Unlike the provider hooks, this one is called on every loaded plugin.
    """


@hookspec(firstresult=True)
def modelplex_conversation_store(config: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    """Give the store that keeps conversations (``client.conversation()``, ``modelplex chat -c``), for a
    client whose config file holds ``config`` and whose environment is ``env``; ``None`` to leave it to
    another plugin. The usage store (``modelplex-store``) implements it; without any, conversations live
    in memory and cannot be continued.

    :returns: an object with the methods of :class:`~modelplex.ConversationStore` (``save``,
        ``append``, ``load``, ``latest``, ``list``, ``delete``; synchronous), or ``None``.
    Stops at first non-None result.
    """


# -- the call lifecycle ------------------------------------------------------------------------------
# Unlike the provider hooks, these three are called on every plugin that implements them, each on its
# own: pluggy's order (``tryfirst`` implementations first, then the most recently registered first,
# ``trylast`` ones last). One raising does not keep the others from being called.


@hookspec
def modelplex_before_call(call: CallInfo) -> Awaitable[CallReservation | None] | CallReservation | None:
    """Admit a call, or refuse it, before anything is sent to a provider.

    Called once per call (chat, stream, embedding, model listing) on every plugin that implements it,
    in the order above, after the request was validated and before the first attempt; for a stream,
    when its ``async with`` block is entered.

    :param call: a :class:`~modelplex.CallInfo`: the kind of call, the address, its provider and model,
        the validated request, the estimated tokens, the caller's ``tags`` and ``caller`` identity.
    :returns: ``None``; or a reservation (any object with ``settle(outcome)`` and/or
        ``release(outcome)`` methods, see :class:`~modelplex.CallReservation`), which is settled with the
        outcome when the call succeeds (or is cut or cancelled with usage to count) and released when it
        fails; or an awaitable resolving to either (asynchronous work is done there, not in the hook).
    :raises ModelplexError: to refuse the call (a budget spent, a policy broken): the call fails with
        this error, nothing is sent, and the reservations of the plugins admitted before are released.
        Any other exception is logged (scrubbed of secrets) and the call goes on: an admitter that must
        fail closed (a budget whose counter store is down) catches its failure and raises a
        :class:`~modelplex.errors.ModelplexError`.
    """


@hookspec
def modelplex_after_call(call: CallInfo, outcome: CallOutcome) -> Awaitable[None] | None:
    """Hear how a call ended: exactly once for each call that reached :func:`modelplex_before_call`
    (a refused one included), after its reservations were settled or released.

    :param call: the :class:`~modelplex.CallInfo` the admitters saw.
    :param outcome: a :class:`~modelplex.CallOutcome`: ``ok``, ``error`` (typed) or ``cancelled``; the
        model that answered, the usage (partial, and marked so, for a stream cut or cancelled), the
        duration and a stream's time to first token, the routing trace, the response.
    :returns: ``None``, or an awaitable (it is awaited before the call returns to its caller, and
        shielded from the call's cancellation: keep it short). What it raises is logged and ignored.
    """


@hookspec
def modelplex_before_attempt(call: CallInfo, attempt: AttemptInfo
                             ) -> Awaitable[CallReservation | None] | CallReservation | None:
    """Admit one candidate model of a call, or refuse it, before anything is sent to it: the place for
    budgets and policies, which must act per model (a chain skips a model it may not afford or use and
    moves on; it never falls back into a forbidden one).

    Called on every plugin that implements it, in the order above, before each attempt of a chat, a
    stream or an embedding: the one model of a ``provider/model`` call, each model of a chain in turn
    as it comes to be tried, and again before each retry of the same model (the reservation of the
    attempt before was settled or released when it ended, so a retry must fit again; ``attempt.retry``
    says it is one). A model the chain skipped for another reason (not configured, cooling down, no
    tools) is never asked about. Model listings have no attempts. A client whose plugins do not
    implement this hook pays nothing for it.

    :param call: the :class:`~modelplex.CallInfo` of the whole call (the address asked for, ``tags``,
        ``caller``; the same object ``modelplex_before_call`` and ``modelplex_after_call`` see).
    :param attempt: an :class:`~modelplex.AttemptInfo`: the candidate's ``provider``, ``model`` and
        ``address``, ``number`` (1 for the call's first attempt) and ``retry``; its merged
        :class:`~modelplex.ModelInfo` (``info``: tier, capabilities, ``local``, prices; ``None`` if
        nothing is known of it) and its worst-case :class:`~modelplex.Estimate` (``estimate``: the
        input tokens, the most output, ``estimate.cost``, whose ``total`` is ``None`` when a price
        or the output bound is unknown). Both are worked out when first read, once per attempt.
    :returns: ``None``; or a reservation (``settle(outcome)`` and/or ``release(outcome)``, see
        :class:`~modelplex.CallReservation`) held for this attempt alone: settled, exactly once, with
        the attempt's :class:`~modelplex.CallOutcome` when it answered (``usage``, ``cost``), or was cancelled
        or its stream cut or left early (``partial`` usage and cost: what was used, or for a request
        cancelled before its answer, its input, estimated); released when the attempt failed
        (``outcome.error``) or a later admitter refused it. The attempt's outcome is that attempt's
        alone: ``trace`` is ``None``, ``provider`` and ``model`` are the candidate's. Or an awaitable
        resolving to either.
    :raises ModelplexError: to refuse this candidate, typically :class:`~modelplex.errors.PolicyDenied`
        (naming the rule) or :class:`~modelplex.errors.BudgetExceeded` (naming the budget); a budget
        whose counter store cannot be reached raises one too, to fail closed. Nothing is sent to the
        candidate; the reservations of the admitters before are released; the routing trace records
        a skip of the candidate with the error's message, and the call moves on to the next
        candidate. When none is left: a call to one model fails with the refusal itself (its
        ``trace`` set); a chain whose every candidate was refused or skipped, none tried, fails
        with :class:`~modelplex.errors.AdmissionRefused` (``refusals``: each one); a chain where some
        model was tried and failed fails with :class:`~modelplex.errors.RoutingError`, whose message
        and trace name the refusals among the skips. Any other exception is logged and the
        attempt goes on.
    """


@hookspec
def modelplex_budget_alert(alert: Any) -> None:
    """Hear that a budget crossed one of its alert thresholds (by default 50%, 80% and 100% of its limit).

    Called on every plugin that implements it (a dashboard, a notifier), once per budget, counter and
    window across every process sharing the budget's ledger: the process that recorded the crossing
    first calls it, the others do not. Keep it short and free of I/O (queue the notification).

    :param alert: a :class:`modelplex_store.budgets.BudgetAlert`: ``budget`` (its name), ``scope``,
        ``subject`` (the agent, caller... of a per-value budget, else ``""``), ``threshold`` (percent),
        ``limit`` and ``spent`` (:class:`~decimal.Decimal` dollars), ``window_start`` and ``resets_at``
        (``time.time()`` seconds; ``None``: never), ``hard`` (false: a soft budget, never enforced), ``at``.
        Its type lives with the ledger that fires it (the store); take it as any object with these fields.
    :returns: nothing; what it raises is logged and ignored.
    """
