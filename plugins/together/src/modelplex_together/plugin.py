"""The ``together`` plugin (entry point ``together = "modelplex_together.plugin:PLUGIN"``): a
declaration. Importing it imports no HTTP library; the provider is built on the first call."""

from __future__ import annotations

from modelplex_openai_compat import compat_plugin

from modelplex_together.config import CONFIG, PROFILE

PLUGIN = compat_plugin(CONFIG, PROFILE)
