"""The administrative routes of virtual keys, for the admin key (or a key made with ``--admin``; the
one local user when no key exists): ``POST /admin/keys`` makes a key and shows it once, ``GET
/admin/keys`` lists keys (never a key or its hash), ``DELETE /admin/keys/{id}`` revokes one."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from modelplex_gateway.auth import Principal, authenticate
from modelplex_gateway.errors import GatewayError, invalid
from modelplex_gateway.keys.expiry import expires_at
from modelplex_gateway.keys.store import KeyStore


async def _admin(request: Request) -> KeyStore:
    principal: Principal = await authenticate(request)
    if not principal.admin:
        raise GatewayError(403, "permission_error", "this route needs the admin key", code="admin_only")
    store: KeyStore | None = getattr(request.app.state, "key_store", None)
    if store is None:
        raise GatewayError(404, "not_found_error", "virtual keys need modelplex-store", code="no_key_store")
    return store


def _options(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object")
    known = {"name", "scopes", "tags", "admin", "budget", "budget_window", "rpm", "tpm", "concurrency",
             "expires"}
    unknown = set(body) - known
    if unknown:
        raise invalid(f"unknown field(s) {sorted(unknown)}; known: {', '.join(sorted(known))}")
    out = {k: body[k] for k in ("name", "scopes", "tags", "admin", "budget_window", "rpm", "tpm",
                                "concurrency") if body.get(k) is not None}
    if body.get("budget") is not None:
        try:
            out["budget"] = Decimal(str(body["budget"]))
        except InvalidOperation:
            raise invalid("budget must be an amount in dollars", "budget") from None
    if body.get("expires") is not None:
        try:
            out["expires_at"] = expires_at(str(body["expires"]))
        except ValueError as exc:
            raise invalid(str(exc), "expires") from None
    return out


async def create(request: Request) -> Response:
    """Make a key; the response holds it, the only time it is shown."""
    import anyio

    store = await _admin(request)
    options = _options(await request.json())
    try:
        key, record = await anyio.to_thread.run_sync(lambda: store.create(**options))
    except (TypeError, ValueError) as exc:
        raise invalid(str(exc)) from None
    return JSONResponse({"key": key, **record.describe()}, status_code=201)


async def listing(request: Request) -> Response:
    """Every key, revoked ones with ``?revoked=true``."""
    import anyio

    store = await _admin(request)
    revoked = request.query_params.get("revoked", "").lower() in ("1", "true", "yes")
    records = await anyio.to_thread.run_sync(lambda: store.list(revoked=revoked))
    return JSONResponse({"keys": [r.describe() for r in records]})


async def revoke(request: Request) -> Response:
    """Revoke a key by id."""
    import anyio

    store = await _admin(request)
    key_id = request.path_params["key_id"]
    record = await anyio.to_thread.run_sync(lambda: store.revoke(key_id))
    forget = getattr(request.app.state.authenticate, "forget", None)
    if forget is not None:
        forget(key_id)
    if record is None:
        raise GatewayError(404, "not_found_error", f"no key {key_id!r}", code="key_not_found")
    return JSONResponse(record.describe())


def routes() -> list[BaseRoute]:
    """The administrative routes."""
    return [Route("/admin/keys", create, methods=["POST"]),
            Route("/admin/keys", listing, methods=["GET"]),
            Route("/admin/keys/{key_id}", revoke, methods=["DELETE"])]
