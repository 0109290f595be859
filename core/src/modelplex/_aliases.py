"""Names that stand for an address: ``[aliases]`` in the config file, and a provider's ``default_model``.

``client.chat("fast", ...)`` with ``[aliases] fast = "groq/llama-3.1-8b-instant"`` calls that model;
``client.chat("ollama", ...)`` with ``[providers.ollama] default_model = "llama3.2"`` calls
``ollama/llama3.2``. Only a name without ``/`` is looked up (an alias never shadows an address), an alias
first, then a provider's default model; anything else is left for the address check to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelplex.errors import ConfigurationError

if TYPE_CHECKING:
    from modelplex._client import AsyncClient

ALIAS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")


def check_alias_name(name: str) -> str:
    """``name`` if it can be an alias (no ``/``: an alias never shadows an address), else an error."""
    if not ALIAS_NAME.fullmatch(name):
        raise ConfigurationError(f"{name!r} cannot be an alias: use letters, digits, '.', '_', ':', '-' "
                                 f"and no '/' (an alias never shadows a provider/model address)")
    return name


def check_target(name: str, target: object) -> str:
    """An alias's address: a ``provider/model`` or ``chain/NAME`` string."""
    if not isinstance(target, str):
        raise ConfigurationError(f"[aliases] {name}: expected an address string, got {target!r}")
    provider, slash, model = target.partition("/")
    if not slash or not provider or not model:
        raise ConfigurationError(f"[aliases] {name} = {target!r}: the address must be provider/model or "
                                 f"chain/NAME")
    return target


def aliases_of(config: Mapping[str, Any]) -> dict[str, str]:
    """The config file's ``[aliases]``, checked."""
    table = config.get("aliases") or {}
    if not isinstance(table, Mapping):
        raise ConfigurationError("[aliases] must be a table of NAME = \"provider/model\"")
    return {check_alias_name(str(name)): check_target(str(name), target) for name, target in table.items()}


def expand(client: AsyncClient, name: str) -> str:
    """The address a bare ``name`` stands for (``name`` itself when it stands for none)."""
    target = aliases_of(client.config).get(name)
    if target is not None:
        return target
    settings = client.settings
    for table in (settings.explicit.get(name), settings.file.get(name)):
        model = (table or {}).get("default_model")
        if isinstance(model, str) and model:
            return f"{name}/{model}"
    return name
