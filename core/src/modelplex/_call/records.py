"""The records the call lifecycle's hooks receive: :class:`CallInfo` (a call about to be made) and
:class:`CallOutcome` (how it ended), and :data:`build`, which the call path makes them with."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

import attrs

# Imported, not only named for type checkers: the fields' annotations are strings here, and
# typing.get_type_hints(CallOutcome) (cattrs, documentation tools) resolves them against these names.
from modelplex._call.decision import Decision
from modelplex._catalog.cost import Cost
from modelplex._embeddings import EmbedRequest
from modelplex._estimate import request_tokens, text_tokens
from modelplex._options import ChatRequest
from modelplex._responses import Usage
from modelplex._trace import RoutingTrace
from modelplex.errors import ModelplexError

CallKind = Literal["chat", "stream", "embed", "rerank", "list_models"]
CallStatus = Literal["ok", "error", "cancelled"]


class _Record(tuple):  # type: ignore[type-arg]
    """What :class:`CallInfo` and :class:`CallOutcome` share: immutable records built on a tuple.

    A call a lifecycle plugin hears builds one of each, and in the call path, among the transport's
    work, the object model is most of what such a plugin costs: an attrs instance (its ``__dict__``
    filled on the keys its class's instances share, or its slots set one descriptor call at a time)
    cost 2-3 µs a call in place against the bench server, a tuple well under one (``docs/hot-paths.md``).
    So they are named tuples: each field read by name at C speed, set once. Built by keyword, like the
    attrs classes they were; the call path builds them positionally (``tuple.__new__(cls, values)``,
    see :data:`build`). Not slotted: the instance ``__dict__``, made only when first written, holds
    the cached properties. Equal only to a record of the same class with equal fields (not to a bare
    tuple); frozen as attrs' are (``attrs.exceptions.FrozenInstanceError``); ``_replace`` is their
    ``attrs.evolve``.
    """

    __slots__ = ()

    # False, not NotImplemented, for another class: Python would then ask the other side, and a bare
    # tuple of the same values would say equal.
    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return tuple.__hash__(self)

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError


class _CallInfoFields(NamedTuple):
    kind: CallKind
    address: str
    provider: str
    model: str | None
    request: ChatRequest | EmbedRequest | None
    tags: Mapping[str, str]
    caller: str | None
    started: float


class CallInfo(_Record, _CallInfoFields):
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
    An immutable record on a tuple (see :class:`_Record` for why): read its fields by name.
    """

    def __new__(cls, *, kind: CallKind, address: str, provider: str, model: str | None,
                request: ChatRequest | EmbedRequest | None = None, tags: Mapping[str, str] | None = None,
                caller: str | None = None, started: float = 0.0) -> CallInfo:
        return _new(cls, (kind, address, provider, model, request, {} if tags is None else tags, caller,
                          started))

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


class _CallOutcomeFields(NamedTuple):
    status: CallStatus
    error: ModelplexError | None
    provider: str | None
    model: str | None
    usage: Usage | None
    partial: bool
    duration: float
    time_to_first_token: float | None
    trace: RoutingTrace | None
    response: Any
    cost: Cost | None


class CallOutcome(_Record, _CallOutcomeFields):
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
    An immutable record on a tuple (see :class:`_Record` for why): read its fields by name.
    """

    def __new__(cls, *, status: CallStatus, error: ModelplexError | None = None, provider: str | None = None,
                model: str | None = None, usage: Usage | None = None, partial: bool = False,
                duration: float = 0.0, time_to_first_token: float | None = None,
                trace: RoutingTrace | None = None, response: Any = None, cost: Cost | None = None
                ) -> CallOutcome:
        return _new(cls, (status, error, provider, model, usage, partial, duration, time_to_first_token,
                          trace, response, cost))


#: ``build(CallInfo, (kind, address, ...))``: a record from every field, positionally, in the class's
#: order (``CallInfo._fields``), without a Python frame: what the call path builds its records with.
build = tuple.__new__
_new = build
