"""The dashboard's six tabs, in the order of its navigation, and the module serving each.

A tab's module has ``routes()``: Starlette routes under ``/ui`` (its page at ``/<slug>``, its fragments
and forms below it). A module not installed yet leaves its tab in the navigation, answering that it is
not available, so the frame never breaks for want of one tab.
"""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True, slots=True)
class Tab:
    """One tab: its path under ``/ui`` (``slug``), its title, and the module serving it."""

    slug: str
    title: str
    module: str


TABS = (
    Tab(slug="providers", title="Providers", module="modelplex_gateway.ui.providers"),
    Tab(slug="models", title="Models", module="modelplex_gateway.ui.models"),
    Tab(slug="chains", title="Chains & routing", module="modelplex_gateway.ui.chains"),
    Tab(slug="usage", title="Usage & costs", module="modelplex_gateway.ui.usage"),
    Tab(slug="conversations", title="Conversations", module="modelplex_gateway.ui.conversations"),
    Tab(slug="ollama", title="Local models", module="modelplex_gateway.ui.ollama"),
)
