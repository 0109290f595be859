"""Who may see the dashboard, and the protection of its forms against cross-site requests.

Access: the gateway's own authenticator decides (``app.state.authenticate``): with no keys configured,
requests from the machine itself pass (``modelplex ui`` binds 127.0.0.1 only); otherwise only the
admin, by its key. A browser cannot send the admin key on every request, so ``/ui/login`` takes it once
and sets a session cookie: an expiry signed with HMAC-SHA256. The signing secret is the admin key's hash
when there is one (every worker of the gateway derives the same one, and changing the admin key ends
every session), else a random secret of this process.

Cross-site requests: every state-changing request (POST, PUT, PATCH, DELETE) must carry the CSRF token
of the browser's session (the ``modelplex_ui_csrf`` cookie, ``SameSite=Strict``) in the
``x-csrf-token`` header (htmx sends it from the page's ``hx-headers``) or in a ``csrf_token`` form
field, and an ``Origin`` (when the browser sends one) naming this server. A page of another site can
neither read the token nor make the browser send the cookie with its request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelplex_gateway.auth import Principal
from modelplex_gateway.errors import GatewayError

CSRF_COOKIE = "modelplex_ui_csrf"
SESSION_COOKIE = "modelplex_ui_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
#: How long a login lasts.
SESSION_SECONDS = 12 * 3600
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths under /ui anyone may fetch: the login form and the vendored scripts (no secret in them).
_OPEN = ("/login", "/static/")
_PROCESS_SECRET = secrets.token_bytes(32)


def _signing_key(scope: Scope) -> bytes:
    admin_hash = getattr(scope["app"].state.authenticate, "admin_hash", None)
    if isinstance(admin_hash, str) and admin_hash:
        return hashlib.sha256(b"modelplex-ui-session:" + admin_hash.encode()).digest()
    return _PROCESS_SECRET


def session_value(scope: Scope, now: float | None = None) -> str:
    """A signed session cookie's value, valid for :data:`SESSION_SECONDS`."""
    expires = str(int((time.time() if now is None else now) + SESSION_SECONDS))
    mac = hmac.new(_signing_key(scope), expires.encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{mac}"


def valid_session(scope: Scope, value: str | None) -> bool:
    """Whether ``value`` is a session this server signed and that has not expired."""
    if not value or "." not in value:
        return False
    expires, _, mac = value.partition(".")
    good = hmac.new(_signing_key(scope), expires.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, good) and expires.isdigit() and int(expires) > time.time()


def csrf_token(request: Request) -> str:
    """The browser's CSRF token: its cookie's, or a new one that :class:`Guard` sets on the response."""
    token = request.scope.get("modelplex_ui.csrf")
    if isinstance(token, str):
        return token
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.scope["modelplex_ui.csrf"] = token
    return token


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # browsers send an Origin with every cross-site POST; the token is checked anyway
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that gives it again to the route."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def admitted(request: Request) -> Principal | None:
    """The admin principal of ``request`` by the gateway's authenticator, or ``None``."""
    check: Callable[[Request], Awaitable[Principal]] = request.app.state.authenticate
    try:
        principal = await check(request)
    except GatewayError:
        return None
    return principal if principal.admin else None


class Guard:
    """ASGI middleware in front of every ``/ui`` route: access, then the CSRF check, then the route; sets
    the CSRF cookie on responses to browsers that have none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        path = scope.get("path", "")[len(scope.get("root_path", "")):] or "/"
        refused = await self._refusal(request, path)
        if refused is not None:
            await refused(scope, receive, send)
            return
        if request.method in _UNSAFE:
            checked = await self._check_csrf(request, receive, scope, send)
            if checked is None:
                return
            receive = checked
        fresh = request.cookies.get(CSRF_COOKIE) is None

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and fresh and "modelplex_ui.csrf" in scope:
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", _cookie(CSRF_COOKIE, scope["modelplex_ui.csrf"], scope)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _refusal(self, request: Request, path: str) -> Response | None:
        if path.startswith(_OPEN):
            return None
        if valid_session(request.scope, request.cookies.get(SESSION_COOKIE)):
            return None
        if await admitted(request) is not None:
            return None
        if request.method == "GET" and "hx-request" not in request.headers:
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            return RedirectResponse(f"{request.scope.get('root_path', '')}/login?next={target}", 303)
        return PlainTextResponse("the dashboard needs the admin key: log in at /ui/login", 401)

    async def _check_csrf(self, request: Request, receive: Receive, scope: Scope,
                          send: Send) -> Receive | None:
        """``receive`` (the body kept for the route) when the request passes, else ``None`` once it has
        been refused."""
        expected = request.cookies.get(CSRF_COOKIE)
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"):
            body, receive = await _buffered(receive)
            given = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [None])[0]
        problem = None
        if not _same_origin(request):
            problem = "this request comes from another site (its Origin is not this server)"
        elif not expected or not given or not hmac.compare_digest(expected, given):
            problem = "this form has no valid CSRF token; reload the page and try again"
        if problem is None:
            return receive
        await PlainTextResponse(problem, 403)(scope, receive, send)
        return None


def _cookie(name: str, value: str, scope: Scope, max_age: int | None = None) -> bytes:
    secure = "; Secure" if scope.get("scheme") == "https" else ""
    age = f"; Max-Age={max_age}" if max_age is not None else ""
    return f"{name}={value}; Path=/ui; HttpOnly; SameSite=Strict{secure}{age}".encode("latin-1")


def session_cookie(scope: Scope) -> str:
    """The ``set-cookie`` header value of a new login session."""
    return _cookie(SESSION_COOKIE, session_value(scope), scope, SESSION_SECONDS).decode("latin-1")
