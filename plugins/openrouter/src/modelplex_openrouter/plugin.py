"""The ``openrouter`` plugin (entry point ``openrouter = "modelplex_openrouter.plugin:PLUGIN"``): a
declaration. Importing it imports no HTTP library; the provider and its stages are built on the
first call."""

from __future__ import annotations

from modelplex_openai_compat import compat_plugin

from modelplex_openrouter.config import CONFIG, PROFILE, stages

PLUGIN = compat_plugin(CONFIG, PROFILE, stages)
