"""The frame's own routes: ``/ui`` (to the first tab), the login form, the vendored static files, and
the answer of a tab whose module is not installed."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from modelplex_gateway.ui.render import page, root
from modelplex_gateway.ui.security import admitted, session_cookie
from modelplex_gateway.ui.tabs import Tab


async def index(request: Request) -> Response:
    """``/ui``: the Providers tab."""
    return RedirectResponse(f"{root(request)}/providers", 303)


def _next(request: Request, given: str | None) -> str:
    # Only a path of this dashboard: an open redirect would let a link log the admin into another site.
    base = root(request)
    if given and given.startswith(f"{base}/") and not given.startswith("//"):
        return given
    return f"{base}/providers"


async def login(request: Request) -> Response:
    """The admin key, asked once; a session cookie from then on."""
    if request.method == "GET":
        return page(request, "login.html", "", next=_next(request, request.query_params.get("next")),
                    problem=None)
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (fields.get("key") or [""])[0].strip()
    target = _next(request, (fields.get("next") or [""])[0])
    # The key is checked by the gateway's own authenticator, as if sent in the Authorization header.
    headers = [(k, v) for k, v in request.scope["headers"]
               if k.lower() not in (b"authorization", b"x-api-key")]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode("latin-1", "replace")))
    probe = Request({**request.scope, "headers": headers})
    del key, fields
    if await admitted(probe) is None:
        return page(request, "login.html", "", next=target, status=401,
                    problem="that is not the admin key")
    response = RedirectResponse(target, 303)
    response.headers.append("set-cookie", session_cookie(request.scope))
    return response


def missing(tab: Tab) -> Route:
    """The route of a tab whose module is not installed."""
    async def answer(request: Request) -> Response:
        return page(request, "missing.html", tab.slug, tab=tab, status=404)

    return Route(f"/{tab.slug}", answer, methods=["GET"])


def routes() -> list[BaseRoute]:
    """The frame's routes, under ``/ui``."""
    return [Route("/", index, methods=["GET"]), Route("/login", login, methods=["GET", "POST"]),
            Mount("/static", app=StaticFiles(packages=[("modelplex_gateway.ui", "static")]), name="static")]
