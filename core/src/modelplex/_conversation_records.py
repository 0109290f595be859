"""What a conversation is made of (its record, its messages, a listing's summary) and where it is kept:
the :class:`ConversationStore` protocol a plugin's ``modelplex_conversation_store`` hook gives (the usage
store, ``modelplex-store``, implements it), found for a client by :func:`conversation_store`. The
conversation objects themselves are in :mod:`modelplex._conversation`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import attrs

from modelplex._catalog.cost import Cost
from modelplex._json import JSON
from modelplex._messages import Message, Part, Role, TextPart
from modelplex._responses import Usage
from modelplex.errors import ConfigurationError

if TYPE_CHECKING:
    from modelplex._client import AsyncClient

NO_STORE = ("conversations are kept by the usage store, which is not installed or is turned off: "
            "pip install modelplex-store (from a checkout: uv pip install -e plugins/store), or turn it "
            "on ([store] enabled = true in the config file, MODELPLEX_STORE unset)")


def now() -> float:
    """``time.time()`` to the microsecond: what the store keeps, so that a message reads back equal."""
    return round(time.time(), 6)


def new_id() -> str:
    """A time-ordered id: 12 hex digits of milliseconds since the epoch, then 12 random ones
    (``os.urandom``: ``secrets`` would import OpenSSL for this)."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(6).hex()}"


@attrs.frozen(kw_only=True)
class ConversationMessage:
    """One stored message: ``role``, ``parts``; ``parent_id`` (the message before it on its branch) and
    ``sibling`` (0 for the first child of that parent); for a reply, ``provider``, ``requested`` (the
    address asked for), ``model`` (the resolved model that answered), ``usage``, ``cost`` and ``call_id``
    (the usage row, when the store recorded the call). ``created_at`` is ``time.time()``, to the
    microsecond."""

    id: str
    role: Role
    parts: tuple[Part, ...]
    parent_id: str | None = None
    sibling: int = 0
    provider: str | None = None
    requested: str | None = None
    model: str | None = None
    usage: Usage | None = None
    cost: Cost | None = None
    call_id: str | None = None
    created_at: float = 0.0

    @property
    def message(self) -> Message:
        """The message as it is sent again."""
        return Message(role=self.role, parts=self.parts)

    @property
    def text(self) -> str:
        """The text parts, joined."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def label(self) -> str | None:
        """``provider/model`` of the model that produced the message; ``None`` for a user's."""
        return f"{self.provider}/{self.model}" if self.provider and self.model else None


@attrs.frozen(kw_only=True)
class ConversationRecord:
    """A conversation's own fields, as stored: ``model`` the address later messages go to, ``head`` the
    last message of the active branch, times as ``time.time()``, to the microsecond."""

    id: str
    title: str | None = None
    model: str | None = None
    system: str | None = None
    options: Mapping[str, JSON] = attrs.field(factory=dict)
    head: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


@attrs.frozen(kw_only=True)
class ConversationSummary:
    """A line of ``conversations list``: the record, its message count and its replies' total cost in
    dollars (``None`` when some reply's price is unknown)."""

    record: ConversationRecord
    messages: int = 0
    cost: Decimal | None = None


class ConversationStore(Protocol):
    """What a plugin's ``modelplex_conversation_store`` hook returns. Synchronous (the async
    conversation runs it in a worker thread); ``id`` arguments take a unique prefix of an id too."""

    def save(self, record: ConversationRecord) -> None:
        """Create or update the conversation's own fields."""

    def append(self, conversation_id: str, messages: Sequence[ConversationMessage],
               record: ConversationRecord) -> list[ConversationMessage]:
        """Add ``messages`` and save ``record`` in one transaction; returns them with ``call_id`` filled
        from the usage rows tagged with their ids."""

    def load(self, id: str) -> tuple[ConversationRecord, list[ConversationMessage]]:
        """The conversation and every message of every branch, oldest first; raises
        :class:`~modelplex.errors.ConfigurationError` naming ``id`` when there is none (or several)."""

    def latest(self) -> str | None:
        """The id of the conversation updated last, ``None`` when there is none."""

    def list(self, limit: int = 20) -> list[ConversationSummary]:
        """The conversations updated last, newest first."""

    def delete(self, id: str) -> str:
        """Delete the conversation and its messages (usage rows stay); returns the full id."""


def conversation_store(client: AsyncClient) -> ConversationStore | None:
    """The store a plugin provides for ``client``'s configuration, ``None`` when no plugin does."""
    store: ConversationStore | None = client.registry.pm.hook.modelplex_conversation_store(
        config=client.config, env=client._env)
    return store


def required_store(client: AsyncClient) -> ConversationStore:
    """:func:`conversation_store`, or :class:`ConfigurationError` saying what to install."""
    store = conversation_store(client)
    if store is None:
        raise ConfigurationError(NO_STORE)
    return store


def active_path(messages: Sequence[ConversationMessage], head: str | None) -> list[ConversationMessage]:
    """The messages from the first to ``head``, following ``parent_id``."""
    by_id = {m.id: m for m in messages}
    path: list[ConversationMessage] = []
    current = by_id.get(head) if head is not None else None
    while current is not None:
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    path.reverse()
    return path
