"""The Modelplex gateway: ``modelplex serve``, an ASGI application (Starlette on uvicorn) that speaks the
OpenAI and Anthropic APIs and the product's own routes, and makes every call through the client library
(so routing, chains, retries, limits, cost, budgets, policies and the usage log all apply).

Nothing here is imported by ``import modelplex`` or by a client: the ``modelplex.plugins`` entry point
loads :mod:`modelplex_gateway.plugin`, which only adds commands. :func:`modelplex_gateway.app.create_app`
builds the application.
"""

from __future__ import annotations

__version__ = "0.1.0"
