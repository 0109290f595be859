"""Rows of ``conversations`` and ``messages`` to the core's records and back: parts, usage, cost and
options as JSON through ``modelplex.unstructure``, times as microseconds, money also as nano-dollars."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN
from typing import Any

from modelplex._conversation import ConversationMessage, ConversationRecord

RECORD_COLUMNS = ("id", "title", "model", "system", "options", "head", "created_at", "updated_at")
MESSAGE_COLUMNS = ("id", "conversation_id", "parent_id", "sibling", "role", "parts", "provider", "requested",
                   "model", "usage", "cost", "cost_nanos", "call_id", "created_at")


def _micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


def _json(value: Any) -> str | None:
    from modelplex import unstructure

    return None if value is None else json.dumps(unstructure(value), ensure_ascii=False)


def record_row(record: ConversationRecord) -> tuple[Any, ...]:
    """The ``conversations`` row of ``record``, in :data:`RECORD_COLUMNS` order."""
    return (record.id, record.title, record.model, record.system, json.dumps(dict(record.options)),
            record.head, _micros(record.created_at), _micros(record.updated_at))


def record_of(row: Any) -> ConversationRecord:
    """The record of a ``conversations`` row read in :data:`RECORD_COLUMNS` order."""
    return ConversationRecord(id=row[0], title=row[1], model=row[2], system=row[3],
                              options=json.loads(row[4]) if row[4] else {}, head=row[5],
                              created_at=row[6] / 1e6, updated_at=row[7] / 1e6)


def message_row(conversation_id: str, message: ConversationMessage) -> tuple[Any, ...]:
    """The ``messages`` row of ``message``, in :data:`MESSAGE_COLUMNS` order."""
    total = message.cost.total if message.cost is not None else None
    nanos = None if total is None else int((total * 1_000_000_000).to_integral_value(ROUND_HALF_EVEN))
    parts = json.dumps([_unstructured(p) for p in message.parts], ensure_ascii=False)
    return (message.id, conversation_id, message.parent_id, message.sibling, message.role, parts,
            message.provider, message.requested, message.model, _json(message.usage), _json(message.cost),
            nanos, message.call_id, _micros(message.created_at))


def _unstructured(part: Any) -> Any:
    from modelplex import unstructure

    return unstructure(part)


def message_of(row: Any) -> ConversationMessage:
    """The message of a ``messages`` row read in :data:`MESSAGE_COLUMNS` order."""
    from modelplex import Cost, Usage, structure
    from modelplex._messages import Part

    parts: tuple[Part, ...] = tuple(structure(p, Part) for p in json.loads(row[5]))  # type: ignore[arg-type]
    return ConversationMessage(
        id=row[0], parent_id=row[2], sibling=row[3], role=row[4], parts=parts, provider=row[6],
        requested=row[7], model=row[8], usage=structure(json.loads(row[9]), Usage) if row[9] else None,
        cost=structure(json.loads(row[10]), Cost) if row[10] else None, call_id=row[12],
        created_at=row[13] / 1e6)
