"""What ``GET /providers`` and ``GET /v1/models`` say about providers and models: settings as configured
and the bundled catalog's facts, never a key (where a key comes from is not shown either: that is the
operator's business, not a caller's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import modelplex


def provider_names(client: modelplex.AsyncClient) -> list[str]:
    """Every installed provider plugin and every configured provider name, sorted."""
    return sorted({*client.registry.names, *client.settings.configured_names()})


def describe(client: modelplex.AsyncClient, name: str) -> dict[str, Any]:
    """One provider: its plugin, whether it is enabled and has what it needs to be called (a key where
    one is required), its default model, and the catalog's model ids."""
    from modelplex import ModelplexError
    from modelplex._catalog.lookup import catalog
    from modelplex._keys.sources import key_source

    settings = client.settings
    file = settings.file.get(name, {})
    row: dict[str, Any] = {"name": name, "plugin": settings.plugin_for(name),
                           "enabled": file.get("enabled", True) is not False, "configured": False,
                           "default_model": file.get("default_model"), "models": [], "problem": None}
    try:
        record = client.registry.owner(row["plugin"])
        row["plugin"] = record.name
        info = record.info
        row["configured"] = row["enabled"] and (not info.requires_api_key
                                                or key_source(settings, name, info) is not None)
        row["models"] = [m.id for m in catalog(client.registry, settings).models(name)]
    except ModelplexError as exc:
        row["problem"] = str(exc)
    return row


def model_facts(info: modelplex.ModelInfo) -> dict[str, Any]:
    """A catalog entry's facts as the extra fields of an OpenAI model object (prices per million
    tokens, as strings: money is never a float)."""
    from modelplex import unstructure

    prices = info.prices
    price = {k: str(v) for k in ("input", "output", "cache_read", "cache_write")
             if (v := getattr(prices, k, None)) is not None}
    return {"name": info.name, "tier": info.tier, "context_window": info.context_window,
            "max_output": info.max_output, "local": info.local, "prices_per_million": price or None,
            "capabilities": unstructure(info.capabilities)}
