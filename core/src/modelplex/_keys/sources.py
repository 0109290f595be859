"""Where a provider's key comes from, in the order :class:`~modelplex._config.Settings` looks: for
``keys list``, ``providers list|test`` and the warning of ``keys set`` when another source wins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex.errors import ModelplexError

if TYPE_CHECKING:
    from modelplex._config import Settings
    from modelplex._provider import ProviderInfo


def key_source(settings: Settings, name: str, info: ProviderInfo) -> str | None:
    """The source of ``name``'s key, in words (``"$OPENAI_API_KEY"``, ``"the key store"``), or ``None``."""
    explicit, file = settings.explicit.get(name, {}), settings.file.get(name, {})
    if explicit.get("api_key") is not None:
        return "the client's providers= argument"
    envs = tuple(e for e in (explicit.get("api_key_env"), file.get("api_key_env")) if e) or info.api_key_env
    found = next((e for e in envs if settings.env.get(e)), None)
    if found is not None:
        return f"${found}"
    if file.get("api_key") is not None:
        where = f"config file {settings.file_path}" if settings.file_path is not None else "the config file"
        return f"api_key in [providers.{name}] of {where}"
    if settings.keys is None:
        return None
    try:
        stored = settings.keys(name)
    except ModelplexError:  # kept in a keyring that cannot be read now: the call will say why
        return "the key store (not readable now)"
    return "the key store" if stored is not None else None
