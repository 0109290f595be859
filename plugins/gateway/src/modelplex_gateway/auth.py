"""Who is calling: the seam every route goes through before it makes a call.

With no virtual keys configured the gateway is one user's, on their own machine: requests from the
loopback interface pass as the ``local`` principal and any other is refused (binding ``--host 0.0.0.0``
without keys must not open the user's provider keys to the network). Virtual keys
(:mod:`modelplex_gateway.keys`) replace the authenticator; every call passes the principal's ``caller``
and ``tags`` to the client, so budgets, policies and the usage log see the key.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

import attrs
from starlette.requests import Request

from modelplex_gateway.errors import GatewayError

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_EMPTY: Mapping[str, str] = MappingProxyType({})


def _frozen_tags(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True, slots=True)
class Principal:
    """A caller the gateway admitted.

    ``caller`` is passed to every call as ``caller=`` (the usage log's and budgets' key scope);
    ``scopes`` are the addresses it may use (``provider/model``, ``provider/*``, ``chain/NAME``,
    ``agent/NAME``; ``None`` means every one); ``tags`` are added to every call's tags; ``key_id``
    names the virtual key (never the key itself); ``admin`` may use the administrative routes.
    """

    caller: str
    scopes: frozenset[str] | None = None
    tags: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_frozen_tags)
    key_id: str | None = None
    admin: bool = False

    def allows(self, address: str) -> bool:
        """Whether this principal may call ``address`` (``provider/model``, ``chain/NAME``, ...)."""
        scopes = self.scopes
        if scopes is None or address in scopes:
            return True
        # Scopes are globs (a virtual key's ``openai/gpt-4o*``); ``provider/*`` and ``*`` among them.
        return any(fnmatch.fnmatchcase(address, scope) for scope in scopes)

    def call_tags(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The tags a call made for this principal carries: ``extra``'s (the request's), then its own."""
        # The principal's own tags win over the request's: a caller naming another key or team in its
        # request's tags must not escape the budgets scoped on its key's tags.
        tags = dict(extra or {})
        tags.update(self.tags)
        if self.key_id is not None:
            tags["gateway_key"] = self.key_id
        return tags


#: The principal of a request from this machine when no keys are configured.
LOCAL = Principal(caller="local", admin=True)

Authenticator = Callable[[Request], Awaitable[Principal]]


async def authenticate_local(request: Request) -> Principal:
    """The authenticator with no keys configured: loopback requests pass as :data:`LOCAL`."""
    client = request.client
    if client is not None and client.host in _LOOPBACK:
        return LOCAL
    raise GatewayError(401, "authentication_error",
                       "this gateway has no keys configured and serves only its own machine; create one "
                       "with 'modelplex gateway keys create'", code="no_keys_configured")


async def authenticate(request: Request) -> Principal:
    """The principal of ``request``, by the application's authenticator (``app.state.authenticate``);
    raises :class:`~modelplex_gateway.errors.GatewayError` (401/403) when it is refused."""
    check: Authenticator = request.app.state.authenticate
    return await check(request)


def require_scope(principal: Principal, address: str) -> None:
    """Refuse (403) a call to ``address`` that ``principal``'s scopes do not allow."""
    if not principal.allows(address):
        raise GatewayError(403, "permission_error", f"this key may not use {address!r}",
                           code="model_not_allowed", param="model")
