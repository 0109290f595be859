"""Editing a chain in the config file (``[chains.NAME]``, through the config writer that keeps the
file's comments and layout, and checks the result loads before it lands): move an entry, add one,
remove one, or copy a built-in chain into the file to make it editable. Entries keep their options
(``{model = "...", temperature = 0.2}``) wherever they move."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modelplex.errors import ConfigurationError


def _models(doc: Any, name: str) -> Any:
    """The tomlkit array of ``[chains.NAME]``'s models (a table with ``models``, or a bare list)."""
    chains = doc.get("chains")
    if chains is None or name not in chains:
        raise ConfigurationError(f"the config file has no [chains.{name}]; copy the built-in chain first")
    chain = chains[name]
    return chain["models"] if hasattr(chain, "items") else chain


def _rewrite(doc: Any, name: str, items: Sequence[Any]) -> None:
    import tomlkit

    if not items:
        raise ConfigurationError(f"chain {name!r} needs at least one model; remove the chain instead")
    array = tomlkit.array()
    for item in items:
        array.append(item)
    chains = doc["chains"]
    if hasattr(chains[name], "items"):
        chains[name]["models"] = array
    else:
        chains[name] = array


def move(path: Path, name: str, index: int, step: int) -> None:
    """Move entry ``index`` of chain ``name`` by ``step`` places (-1: earlier, 1: later)."""
    from modelplex._config_write import editing

    with editing(path) as doc:
        items = list(_models(doc, name))
        target = index + step
        if not (0 <= index < len(items) and 0 <= target < len(items)):
            raise ConfigurationError(f"chain {name!r} has no entry {index} to move there")
        items[index], items[target] = items[target], items[index]
        _rewrite(doc, name, items)


def add(path: Path, name: str, address: str) -> None:
    """Append ``address`` to chain ``name``."""
    from modelplex._config_write import editing

    with editing(path) as doc:
        items = list(_models(doc, name))
        _rewrite(doc, name, [*items, address])


def remove(path: Path, name: str, index: int) -> None:
    """Remove entry ``index`` of chain ``name``."""
    from modelplex._config_write import editing

    with editing(path) as doc:
        items = list(_models(doc, name))
        if not 0 <= index < len(items):
            raise ConfigurationError(f"chain {name!r} has no entry {index}")
        del items[index]
        _rewrite(doc, name, items)


def copy(path: Path, name: str, models: Sequence[str]) -> None:
    """Write a built-in chain's current models as ``[chains.NAME]``, which then replaces it."""
    import tomlkit

    from modelplex._config_write import editing, table

    with editing(path) as doc:
        section = table(doc, "chains", name)
        if "models" in section:
            raise ConfigurationError(f"[chains.{name}] is in the config file already")
        array = tomlkit.array()
        for model in models:
            array.append(model)
        section["models"] = array
