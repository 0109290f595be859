"""Rendering the dashboard's pages and fragments with Jinja2 (autoescaped: a model's name, an error
message or a provider's reply is text, never markup), each page inside the frame (``base.html``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from modelplex_gateway.ui.provider_rows import error_age
from modelplex_gateway.ui.security import csrf_token
from modelplex_gateway.ui.tabs import TABS

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["error_age"] = error_age


def price(value: Decimal | None) -> str:
    """A price in plain digits (``60``, not ``6E+1``); ``?`` when unknown, never zero."""
    return "?" if value is None else f"{value.normalize():f}"


TEMPLATES.env.filters["price"] = price


def root(request: Request) -> str:
    """Where the dashboard is mounted (``/ui``), for links."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def context(request: Request, **values: Any) -> dict[str, Any]:
    """What every template sees: the tabs, the mount point and the CSRF token, with ``values``."""
    return {"tabs": TABS, "root": root(request), "csrf_token": csrf_token(request), **values}


def page(request: Request, template: str, active: str, *, status: int = 200, **values: Any) -> Response:
    """A whole page (``template`` extends ``base.html``), with tab ``active`` marked."""
    return TEMPLATES.TemplateResponse(request, template, context(request, active=active, **values),
                                      status_code=status)


def fragment(request: Request, template: str, *, status: int = 200, **values: Any) -> Response:
    """A part of a page, for htmx to swap in."""
    return TEMPLATES.TemplateResponse(request, template, context(request, **values), status_code=status)
