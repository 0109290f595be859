"""Conversations kept in the usage store: :class:`~modelplex_store.conversations.store.SqlConversations`
implements the core's :class:`modelplex._conversation.ConversationStore` on the store's database (tables
``conversations`` and ``messages``, schema version 2), given to clients by the plugin's
``modelplex_conversation_store`` hook (:func:`for_config`)."""

from __future__ import annotations

from modelplex_store.conversations.store import SqlConversations, for_config

__all__ = ["SqlConversations", "for_config"]
