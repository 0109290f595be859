"""The generic provider's config: its URL builder (``<base_url>/<endpoint>`` and a ``query`` table)
and what it says about itself. Light: the plugin module reads it at discovery."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from modelplex_openai_compat import CompatConfig, base_url

from modelplex import ProviderContext
from modelplex.errors import ConfigurationError


def _query(ctx: ProviderContext) -> str:
    table: Any = ctx.settings.options.get("query")
    if table is None:
        return ""
    if not isinstance(table, Mapping) or not all(isinstance(v, str | int) for v in table.values()):
        raise ConfigurationError(f"provider {ctx.name!r}: 'query' must be a table of strings")
    return urlencode({str(k): str(v) for k, v in table.items()})


def generic_url(ctx: ProviderContext, endpoint: str, model: str | None) -> str:
    """``<base_url>/<endpoint>``, with the configured ``query`` table appended."""
    query = _query(ctx)
    url = f"{base_url(ctx)}/{endpoint}"
    return f"{url}?{query}" if query else url


CONFIG = CompatConfig(
    name="OpenAI-compatible server",
    description="any OpenAI-compatible server (LM Studio, vLLM, llama.cpp, Ollama, hosted APIs): "
                "[providers.NAME] plugin = \"openai-like\", base_url = ...",
    url=generic_url,
    requires_api_key=False,
    # Its name before the rename, and the one PRODUCT.md's shared config uses: it must keep working.
    aliases=("openai-compatible",),
)
