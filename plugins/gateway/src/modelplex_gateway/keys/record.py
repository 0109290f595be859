"""A virtual key as the gateway knows it: its public id, what it may use, its budget and limits, its
expiry and revocation. The key itself is never part of it; its hash is kept out of its ``repr``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from modelplex_gateway.auth import Principal

#: Budget windows a key's budget may have (issue 15's windows that count money over time).
KEY_WINDOWS = ("hour", "day", "month", "total")


def _tags(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _scopes(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def check_scope(scope: str) -> str:
    """``scope`` if it is a usable address glob (``provider/model``, ``provider/*``, ``chain/NAME``,
    ``agent/NAME``, ``*``); ``ValueError`` otherwise."""
    text = scope.strip()
    if text != "*" and "/" not in text:
        raise ValueError(f"scope {scope!r}: expected provider/model (a glob), chain/NAME, agent/NAME or *")
    return text


@attrs.frozen(kw_only=True, slots=True)
class KeyRecord:
    """One virtual key (a ``gateway_keys`` row).

    ``scopes`` are globs on the addresses a request names (``None``: every one); ``budget`` is dollars
    per ``budget_window`` (``None``: none of the key's own; the ``[[budgets]]`` of the config file still
    apply, ``caller:<id>`` and ``key:<id>`` among them); ``rpm`` and ``concurrency`` limit its requests,
    ``tpm`` its tokens a minute (input and output, as the upstreams count them), across every gateway
    instance sharing the Redis server. Times are seconds since the epoch.
    """

    id: str
    hash: str = attrs.field(repr=False)
    name: str | None = None
    scopes: tuple[str, ...] | None = attrs.field(default=None, converter=_scopes)
    tags: Mapping[str, str] = attrs.field(factory=dict, converter=_tags)
    admin: bool = False
    budget: Decimal | None = None
    budget_window: str = "day"
    rpm: int | None = None
    tpm: int | None = None
    concurrency: int | None = None
    created_at: float = 0.0
    expires_at: float | None = None
    revoked_at: float | None = None

    def refusal(self, now: float) -> str | None:
        """Why the key may not be used at ``now`` (revoked, expired); ``None`` when it may."""
        if self.revoked_at is not None:
            return "this key has been revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "this key has expired"
        return None

    def principal(self) -> Principal:
        """The principal of a request made with this key: the key's id is its ``caller`` (the usage log's
        and budgets' key scope) and its ``key`` tag, over the key's own tags."""
        return Principal(caller=self.id, scopes=None if self.scopes is None else frozenset(self.scopes),
                         tags={**self.tags, "key": self.id}, key_id=self.id, admin=self.admin)

    def describe(self) -> dict[str, Any]:
        """The key as plain data for lists (``keys list --json``, ``GET /admin/keys``): never the key
        or its hash."""
        scopes = None if self.scopes is None else list(self.scopes)
        return {"id": self.id, "name": self.name, "scopes": scopes,
                "tags": dict(self.tags), "admin": self.admin,
                "budget": None if self.budget is None else str(self.budget),
                "budget_window": self.budget_window if self.budget is not None else None,
                "rpm": self.rpm, "tpm": self.tpm, "concurrency": self.concurrency,
                "created_at": self.created_at,
                "expires_at": self.expires_at, "revoked_at": self.revoked_at}
