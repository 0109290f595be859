"""Conversations that keep their models: ``client.conversation()`` / ``client.conversation(id)``.

A conversation has an id, a title, its current ``model`` (settable: a switch affects only the messages
that come after it), a system prompt and default options. Each message keeps the provider, the address
asked for and the resolved model that produced it, its usage and cost, and the id of its usage row
(``call_id``): each call is tagged ``conversation``/``message`` with the conversation's and the reply's
ids, which the usage store records, so the store links the two. What a new model cannot take (another
provider's reasoning) is left to the plugins' hand-off rules, which drop it with a warning on the
response.

Branches: each message has a ``parent_id``; :meth:`AsyncConversation.regenerate` adds a sibling to the
last reply and :meth:`AsyncConversation.edit` a sibling to a user message; the conversation's ``head``
is the last message of the branch the next message continues (:meth:`AsyncConversation.branch` moves it).

Storage comes from a plugin (``modelplex-store``) through the ``modelplex_conversation_store`` hook, so
the core imports no database. A new conversation is stored with its first exchange (a first call that
fails leaves nothing behind); after that, each exchange and each change of its fields at once. Without
a store, ``client.conversation()`` is kept in memory only (``saved`` is false) and
``client.conversation(id)`` raises :class:`~modelplex.errors.ConfigurationError` saying what to install.
The store is synchronous: an :class:`AsyncConversation` writes in a worker thread, but opening one by id
(``client.conversation(id)``) reads it in the calling thread (milliseconds on SQLite).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._conversation_records import (
    NO_STORE,
    ConversationMessage,
    ConversationRecord,
    ConversationStore,
    ConversationSummary,
    active_path,
    conversation_store,
    new_id,
    now,
    required_store,
)
from modelplex._json import JSON
from modelplex._messages import Message, Part
from modelplex.errors import ConfigurationError

if TYPE_CHECKING:
    from modelplex._client import AsyncClient
    from modelplex._events import StreamEvent
    from modelplex._responses import ChatResponse
    from modelplex._stream import ChatStream
    from modelplex._sync import Client, SyncChatStream

__all__ = ["NO_STORE", "AsyncConversation", "AsyncConversationStream", "Conversation", "ConversationMessage",
           "ConversationRecord", "ConversationStore", "ConversationStream", "ConversationSummary",
           "active_path", "conversation_store", "new_id", "open_conversation", "required_store"]

#: How much of the first message makes an untitled conversation's title.
TITLE_LENGTH = 60


class _Conversation:
    """The state both conversation classes share: the record, every message, the store."""

    def __init__(self, store: ConversationStore | None, record: ConversationRecord,
                 messages: Sequence[ConversationMessage] = ()) -> None:
        self._store = store
        self._record = record
        self._all = list(messages)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, model={self.model!r}, messages={len(self.messages)})"

    @property
    def id(self) -> str:
        """The conversation's id."""
        return self._record.id

    @property
    def saved(self) -> bool:
        """Whether a store keeps the conversation (false: in memory only, no store installed)."""
        return self._store is not None

    @property
    def record(self) -> ConversationRecord:
        """The conversation's own fields as stored."""
        return self._record

    @property
    def title(self) -> str | None:
        """The title: set it, or the first user message's beginning is used."""
        return self._record.title

    @title.setter
    def title(self, value: str | None) -> None:
        self._update(title=value)

    @property
    def model(self) -> str | None:
        """The address the next message goes to; setting it leaves earlier messages as they are."""
        return self._record.model

    @model.setter
    def model(self, value: str | None) -> None:
        self._update(model=value)

    @property
    def system(self) -> str | None:
        """The system prompt sent before the messages."""
        return self._record.system

    @system.setter
    def system(self, value: str | None) -> None:
        self._update(system=value)

    @property
    def options(self) -> Mapping[str, JSON]:
        """Default chat options of every message (a call's own keyword options win)."""
        return self._record.options

    @options.setter
    def options(self, value: Mapping[str, JSON]) -> None:
        self._update(options=dict(value))

    @property
    def messages(self) -> tuple[ConversationMessage, ...]:
        """The messages of the active branch, first to last."""
        return tuple(active_path(self._all, self._record.head))

    @property
    def all_messages(self) -> tuple[ConversationMessage, ...]:
        """Every message of every branch, oldest first."""
        return tuple(self._all)

    def siblings(self, message_id: str) -> tuple[ConversationMessage, ...]:
        """The message ``message_id`` and the others sharing its parent, in ``sibling`` order."""
        parent = self._find(message_id).parent_id
        return tuple(sorted((m for m in self._all if m.parent_id == parent), key=lambda m: m.sibling))

    def _find(self, message_id: str) -> ConversationMessage:
        for message in self._all:
            if message.id == message_id:
                return message
        raise ConfigurationError(f"conversation {self.id}: no message {message_id!r}")

    def _update(self, **changes: Any) -> None:
        self._record = attrs.evolve(self._record, updated_at=now(), **changes)
        if self._store is not None and self._all:  # a new one is stored with its first exchange
            self._store.save(self._record)

    # -- one exchange: what is sent, and what is kept afterwards -----------------------------------------
    def _prepare(self, content: str | Part | Sequence[Part] | None, parent: str | None,
                 model: str | None, kwargs: dict[str, Any]) -> _Exchange:
        """The call's arguments: the branch up to ``parent``, the new user message (``None``:
        regenerate the reply to ``parent``), the options, the tags linking the usage row."""
        history = [m.message for m in active_path(self._all, parent)]
        user = None
        if content is not None:
            user = ConversationMessage(id=new_id(), role="user", parts=Message.user(content).parts,
                                       parent_id=parent, sibling=self._children(parent),
                                       created_at=now())
            history.append(user.message)
        reply_id = new_id()
        tags = {**(kwargs.pop("tags", None) or {}), "conversation": self.id, "message": reply_id}
        address = model if model is not None else self.model
        call = {"system": self.system, "tags": tags, **self.options, **kwargs}
        return _Exchange(address=address, history=history, user=user, reply_id=reply_id,
                         parent=user.id if user is not None else parent, call=call)

    def _children(self, parent: str | None) -> int:
        return sum(1 for m in self._all if m.parent_id == parent)

    def _kept(self, exchange: _Exchange, response: ChatResponse) -> tuple[list[ConversationMessage],
                                                                         ConversationRecord]:
        """The messages and the record to store once ``response`` came."""
        reply = ConversationMessage(
            id=exchange.reply_id, role="assistant", parts=response.parts, parent_id=exchange.parent,
            sibling=self._children(exchange.parent), provider=response.provider,
            requested=exchange.address or f"{response.provider}/{response.model}", model=response.model,
            usage=response.usage, cost=response.cost, created_at=now())
        new = [m for m in (exchange.user, reply) if m is not None]
        title = self.title
        if title is None and exchange.user is not None and not any(m.role == "user" for m in self._all):
            title = " ".join(exchange.user.text.split())[:TITLE_LENGTH] or None
        model = self.model or exchange.address
        record = attrs.evolve(self._record, head=reply.id, title=title, model=model, updated_at=now())
        return new, record

    def _keep(self, new: list[ConversationMessage], record: ConversationRecord) -> None:
        if self._store is not None:
            new = self._store.append(self.id, new, record)
        self._all.extend(new)
        self._record = record

    def _regenerate_parent(self) -> str | None:
        last = self.messages[-1] if self.messages else None
        if last is None or last.role != "assistant":
            raise ConfigurationError(f"conversation {self.id}: there is no reply to regenerate")
        return last.parent_id

    def _edit_parent(self, message_id: str) -> str | None:
        message = self._find(message_id)
        if message.role != "user":
            raise ConfigurationError(f"conversation {self.id}: only a user message can be edited")
        return message.parent_id

    def branch(self, message_id: str) -> None:
        """Continue from ``message_id``: the next message follows it (any message of any branch)."""
        self._find(message_id)
        self._update(head=message_id)


@attrs.frozen(kw_only=True)
class _Exchange:
    address: str | None
    history: list[Message]
    user: ConversationMessage | None
    reply_id: str
    parent: str | None
    call: dict[str, Any]


class AsyncConversation(_Conversation):
    """A conversation of an :class:`~modelplex.AsyncClient` (see the module's docstring)."""

    def __init__(self, client: AsyncClient, store: ConversationStore | None, record: ConversationRecord,
                 messages: Sequence[ConversationMessage] = ()) -> None:
        super().__init__(store, record, messages)
        self._client = client

    async def send(self, content: str | Part | Sequence[Part], *, model: str | None = None,
                   **kwargs: Any) -> ChatResponse:
        """Send a user message on the active branch and keep it with the reply. ``model``: for this
        message alone (set :attr:`model` to switch for good); other keywords as for
        :meth:`~modelplex.AsyncClient.chat`, over the conversation's default options."""
        return await self._exchange(self._prepare(content, self._record.head, model, kwargs))

    async def regenerate(self, *, model: str | None = None, **kwargs: Any) -> ChatResponse:
        """Ask again for the last reply: the new one is a sibling of it, and the active branch."""
        return await self._exchange(self._prepare(None, self._regenerate_parent(), model, kwargs))

    async def edit(self, message_id: str, content: str | Part | Sequence[Part], *, model: str | None = None,
                   **kwargs: Any) -> ChatResponse:
        """Replace the user message ``message_id`` by ``content`` on a new branch (a sibling of it) and
        get its reply."""
        return await self._exchange(self._prepare(content, self._edit_parent(message_id), model, kwargs))

    def stream(self, content: str | Part | Sequence[Part], *, model: str | None = None,
               **kwargs: Any) -> AsyncConversationStream:
        """As :meth:`send`, streamed: ``async with conversation.stream("...") as s: async for e in s``;
        the exchange is kept when the stream ends with its reply."""
        exchange = self._prepare(content, self._record.head, model, kwargs)
        inner = self._client.stream(exchange.address, exchange.history, **exchange.call)
        return AsyncConversationStream(self, exchange, inner)

    async def _exchange(self, exchange: _Exchange) -> ChatResponse:
        response = await self._client.chat(exchange.address, exchange.history, **exchange.call)
        await self._keep_async(exchange, response)
        return response

    async def _keep_async(self, exchange: _Exchange, response: ChatResponse) -> None:
        import anyio

        new, record = self._kept(exchange, response)
        await anyio.to_thread.run_sync(self._keep, new, record)


class AsyncConversationStream:
    """A streamed message of an :class:`AsyncConversation`: the events of the
    :class:`~modelplex.ChatStream` underneath; the exchange is kept on leaving when the reply came."""

    def __init__(self, conversation: AsyncConversation, exchange: _Exchange, inner: ChatStream) -> None:
        self._conversation = conversation
        self._exchange = exchange
        self.inner = inner

    async def __aenter__(self) -> AsyncConversationStream:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.inner.__aexit__(*exc)
        response = self.inner.response
        if exc[0] is None and response is not None:
            await self._conversation._keep_async(self._exchange, response)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self.inner.__aiter__()

    @property
    def response(self) -> ChatResponse | None:
        """The reply, once the stream has ended."""
        return self.inner.response


class Conversation(_Conversation):
    """A conversation of a :class:`~modelplex.Client`: as :class:`AsyncConversation`, synchronous."""

    def __init__(self, client: Client, store: ConversationStore | None, record: ConversationRecord,
                 messages: Sequence[ConversationMessage] = ()) -> None:
        super().__init__(store, record, messages)
        self._client = client

    def send(self, content: str | Part | Sequence[Part], *, model: str | None = None,
             **kwargs: Any) -> ChatResponse:
        """See :meth:`AsyncConversation.send`."""
        return self._exchange(self._prepare(content, self._record.head, model, kwargs))

    def regenerate(self, *, model: str | None = None, **kwargs: Any) -> ChatResponse:
        """See :meth:`AsyncConversation.regenerate`."""
        return self._exchange(self._prepare(None, self._regenerate_parent(), model, kwargs))

    def edit(self, message_id: str, content: str | Part | Sequence[Part], *, model: str | None = None,
             **kwargs: Any) -> ChatResponse:
        """See :meth:`AsyncConversation.edit`."""
        return self._exchange(self._prepare(content, self._edit_parent(message_id), model, kwargs))

    def stream(self, content: str | Part | Sequence[Part], *, model: str | None = None,
               **kwargs: Any) -> ConversationStream:
        """``with conversation.stream("...") as s: for event in s: ...``; see :meth:`send`."""
        exchange = self._prepare(content, self._record.head, model, kwargs)
        inner = self._client.stream(exchange.address, exchange.history, **exchange.call)
        return ConversationStream(self, exchange, inner)

    def _exchange(self, exchange: _Exchange) -> ChatResponse:
        response = self._client.chat(exchange.address, exchange.history, **exchange.call)
        self._keep(*self._kept(exchange, response))
        return response


class ConversationStream:
    """A streamed message of a :class:`Conversation` (see :class:`AsyncConversationStream`)."""

    def __init__(self, conversation: Conversation, exchange: _Exchange, inner: SyncChatStream) -> None:
        self._conversation = conversation
        self._exchange = exchange
        self.inner = inner

    def __enter__(self) -> ConversationStream:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)
        response = self.inner.response
        if exc[0] is None and response is not None:
            self._conversation._keep(*self._conversation._kept(self._exchange, response))

    def __iter__(self) -> Iterator[StreamEvent]:
        return iter(self.inner)

    @property
    def response(self) -> ChatResponse | None:
        """The reply, once the stream has ended."""
        return self.inner.response


def open_conversation(client: AsyncClient, id: str | None = None, *, model: str | None = None,
                      system: str | None = None, title: str | None = None,
                      options: Mapping[str, JSON] | None = None
                      ) -> tuple[ConversationStore | None, ConversationRecord, list[ConversationMessage]]:
    """A new conversation (``id`` ``None``; in memory when no store is installed) or the stored one
    ``id``; given fields override the stored ones (``model`` switches it)."""
    if id is None:
        store = conversation_store(client)
        moment = now()
        record = ConversationRecord(id=new_id(), title=title, model=model, system=system,
                                    options=dict(options or {}), created_at=moment, updated_at=moment)
        return store, record, []  # stored with its first exchange: a failed first call leaves nothing
    store = required_store(client)
    record, messages = store.load(id)
    changes: dict[str, Any] = {k: v for k, v in (("model", model), ("system", system), ("title", title),
                                                 ("options", options)) if v is not None}
    if changes:
        record = attrs.evolve(record, updated_at=now(), **changes)
        store.save(record)
    return store, record, messages
