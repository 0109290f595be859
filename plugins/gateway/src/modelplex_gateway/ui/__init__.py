"""The dashboard (issue 18), served at ``/ui`` by the gateway and by ``modelplex ui``: server-rendered
pages (Jinja2), htmx for partial updates, uPlot for charts, both vendored in ``static/`` (no build step, no
network). Each tab is a module of this package (:mod:`modelplex_gateway.ui.tabs`); every route is behind
:class:`~modelplex_gateway.ui.security.Guard` (the admin, or the machine itself with no keys; CSRF).

Importing this package imports no web framework (``modelplex ui`` is listed with the other commands);
:func:`routes` does, when the gateway builds its application.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute


def _tab_routes() -> list[BaseRoute]:
    from modelplex_gateway.ui import frame
    from modelplex_gateway.ui.tabs import TABS

    out: list[BaseRoute] = []
    for tab in TABS:
        try:
            module = importlib.import_module(tab.module)
        except ModuleNotFoundError as exc:
            if exc.name != tab.module:  # a broken import inside a tab must show
                raise
            out.append(frame.missing(tab))
            continue
        out.extend(module.routes())
    return out


def routes() -> list[BaseRoute]:
    """The dashboard, mounted at ``/ui``."""
    from starlette.routing import Mount, Router

    from modelplex_gateway.ui import frame
    from modelplex_gateway.ui.security import Guard

    return [Mount("/ui", app=Guard(Router(routes=[*frame.routes(), *_tab_routes()])), name="ui")]
