"""What the Providers tab shows of each provider: its settings as configured, where its key comes from
and the key's last four characters (never more), and its health as the serving client knows it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import attrs

from modelplex_gateway.ui.masking import ending

if TYPE_CHECKING:
    import modelplex
    from modelplex import HealthStatus


@attrs.frozen(kw_only=True, slots=True)
class ProviderRow:
    """One provider as the tab shows it. ``key_ending`` is the key's last four characters;
    ``headers`` values of credential-named headers are masked the same way. ``health`` is the
    provider's own (its test connections); ``model_health`` its models' that have failed lately (the
    router counts a call's failure against the model called)."""

    name: str
    plugin: str
    configured: bool
    enabled: bool
    needs_key: bool
    key_from: str | None
    key_ending: str | None
    base_url: str | None
    default_model: str | None
    headers: tuple[tuple[str, str], ...]
    problem: str | None
    health: HealthStatus | None
    model_health: tuple[HealthStatus, ...]
    lists_models: bool
    in_config: bool

    @property
    def cooling_down(self) -> bool:
        """Whether chains skip it now."""
        return self.health is not None and self.health.state == "cooling_down"

    @property
    def statuses(self) -> tuple[HealthStatus, ...]:
        """The provider's health and its models' that say something (failures, a cool-down, an error)."""
        # "not configured" is the card's own badge already; "unknown" says nothing.
        said = self.health is not None and self.health.state not in ("unknown", "not_configured")
        own = (self.health,) if said and self.health is not None else ()
        return own + self.model_health


def error_age(status: HealthStatus) -> str | None:
    """How long ago ``status``'s last error was, in words."""
    at = status.last_error_at
    if at is None:
        return None
    seconds = max(0.0, time.time() - at)
    return f"{seconds:.0f}s ago" if seconds < 120 else f"{seconds / 60:.0f} min ago"


def provider_names(client: modelplex.AsyncClient) -> list[str]:
    """Every installed provider plugin and every configured name, sorted."""
    return sorted({*client.registry.names, *client.settings.configured_names()})


def row(client: modelplex.AsyncClient, name: str, health: dict[str, HealthStatus]) -> ProviderRow:
    """``name``'s row, read from ``client``'s configuration, with its part of ``health`` (by target)."""
    from modelplex import ModelplexError
    from modelplex._keys.sources import key_source
    from modelplex._secret import is_secret_name

    settings = client.settings
    file = settings.file.get(name, {})
    values: dict[str, Any] = {
        "name": name, "plugin": settings.plugin_for(name), "configured": False,
        "enabled": file.get("enabled", True) is not False, "needs_key": False, "key_from": None,
        "key_ending": None, "base_url": file.get("base_url"), "default_model": file.get("default_model"),
        "headers": tuple((str(k), ending(str(v)) if is_secret_name(str(k)) else str(v))
                         for k, v in dict(file.get("headers") or {}).items()),
        "problem": None, "health": health.get(name), "lists_models": False,
        "model_health": tuple(h for target, h in sorted(health.items())
                              if target.startswith(f"{name}/") and (h.consecutive_failures or h.last_error)),
        "in_config": name in settings.file}
    try:
        record = client.registry.owner(values["plugin"])
        info = record.info
        values.update(plugin=record.name, needs_key=info.requires_api_key,
                      key_from=key_source(settings, name, info),
                      lists_models="modelplex_list_models" in record.hooks)
        resolved = settings.resolve(name, info, plugin=record.name)
        values["base_url"] = resolved.base_url
        key = resolved.api_key
        if key is not None:
            values["key_ending"] = ending(key.reveal())
        values["configured"] = values["enabled"] and (not info.requires_api_key or key is not None)
    except ModelplexError as exc:
        values["problem"] = str(exc)
    return ProviderRow(**values)
