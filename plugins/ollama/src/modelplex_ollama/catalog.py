"""A catalog of popular Ollama library models, shipped as data (``catalog.json``): Ollama has no
search API. It answers ``modelplex ollama search`` and gives the size a pull will need."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

import attrs

_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?B)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"2.0 GB"`` -> 2_000_000_000 (decimal units, as Ollama's library shows them)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    return round(float(match.group(1)) * _UNITS[match.group(2).upper()])


@attrs.frozen(kw_only=True)
class CatalogModel:
    """A library model: its tags with their approximate download sizes in bytes."""

    name: str
    description: str
    capabilities: tuple[str, ...]
    default: str
    tags: Mapping[str, int]

    def size(self, tag: str | None = None) -> int | None:
        """The size of ``tag`` (``latest`` or none is the default tag), if known."""
        return self.tags.get(self.default if tag in (None, "", "latest") else str(tag))


def _model(data: Mapping[str, Any]) -> CatalogModel:
    return CatalogModel(name=data["name"], description=data["description"],
                        capabilities=tuple(data["capabilities"]), default=data["default"],
                        tags={tag: parse_size(size) for tag, size in data["tags"].items()})


@functools.cache
def catalog() -> tuple[CatalogModel, ...]:
    text = resources.files("modelplex_ollama").joinpath("catalog.json").read_text(encoding="utf-8")
    return tuple(_model(m) for m in json.loads(text)["models"])


def split_name(model: str) -> tuple[str, str | None]:
    """``"library/llama3.2:1b"`` -> ``("llama3.2", "1b")``; a registry or ``library/`` prefix goes."""
    name, _, tag = model.strip().partition(":")
    name = name.removeprefix("registry.ollama.ai/").removeprefix("library/")
    return name.lower(), (tag or None)


def lookup(model: str) -> CatalogModel | None:
    name, _ = split_name(model)
    return next((m for m in catalog() if m.name == name), None)


def known_size(model: str) -> int | None:
    """The approximate download size of ``model`` (``name`` or ``name:tag``), if the catalog has it."""
    found = lookup(model)
    return found.size(split_name(model)[1]) if found else None


def search(text: str) -> list[CatalogModel]:
    """Models whose name, description, capabilities or tags hold every word of ``text`` (any case);
    those whose name matches come first."""
    words = text.lower().split()

    def haystack(m: CatalogModel) -> str:
        return " ".join([m.name, m.description, *m.capabilities, *m.tags]).lower()

    found = [m for m in catalog() if all(w in haystack(m) for w in words)]
    return sorted(found, key=lambda m: (not any(w in m.name for w in words), m.name))
