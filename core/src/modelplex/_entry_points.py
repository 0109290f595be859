"""The entry points of one group, read from the installed distributions' ``entry_points.txt`` files.

``importlib.metadata.entry_points()`` costs about 18 ms of every program's start: importing it pulls in
``email``, ``zipfile``, ``csv`` and ``socket`` to parse metadata that discovery never needs. This reads
what it would read, in its order: each ``*.dist-info``/``*.egg-info`` directory of each ``sys.path``
entry, the first distribution of a (normalized) name winning, and ``METADATA`` only for the few
distributions that declare the group. Where ``importlib.metadata`` could see more than a directory scan
does (a zip file on ``sys.path``, an import hook that lists distributions), it is asked instead.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
_SEPARATORS = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryPoint:
    """One ``name = module:attr`` line of a group, with the distribution that declared it."""

    name: str
    value: str
    distribution: str | None
    version: str | None

    def load(self) -> Any:
        """Import the module and return the object named after the colon (the module without one)."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r}: {self.value!r} is not 'module' or 'module:attr'")
        obj: Any = importlib.import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            obj = getattr(obj, attr)
        return obj


def entry_points(group: str) -> list[EntryPoint]:
    """Every entry point of ``group`` declared by an installed distribution, in ``sys.path`` order."""
    if _needs_importlib_metadata():
        return _from_importlib_metadata(group)
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for stem, info in _metadata_dirs():
        name = _normalize(stem)
        if name in seen:  # the same distribution twice on sys.path: the first one is the one imported
            continue
        seen.add(name)
        text = _read(os.path.join(info, "entry_points.txt"))
        if text is None or f"[{group}]" not in text:
            continue
        distribution, version = _name_and_version(info)
        found.extend(EntryPoint(name=key, value=value, distribution=distribution, version=version)
                     for key, value in _section(text, group))
    return found


def _needs_importlib_metadata() -> bool:
    # A finder other than the path finder may list distributions of its own; a zip on sys.path holds
    # dist-info directories a directory listing cannot see.
    from importlib.machinery import PathFinder

    # The importlib_metadata backport's finder (installed by importing it, as keyring does) looks where
    # the path finder looks, and is no reason to leave the fast path.
    if any(getattr(finder, "find_distributions", None) is not None and finder is not PathFinder
           and type(finder).__module__ != "importlib_metadata" for finder in sys.meta_path):
        return True
    return any(entry and os.path.isfile(entry) for entry in sys.path)


def _from_importlib_metadata(group: str) -> list[EntryPoint]:
    from importlib import metadata

    found = []
    for ep in metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        meta = dist.metadata if dist is not None else None
        found.append(EntryPoint(name=ep.name, value=ep.value,
                                distribution=meta["Name"] if meta is not None else None,
                                version=meta["Version"] if meta is not None else None))
    return found


def _metadata_dirs() -> Iterator[tuple[str, str]]:
    """(name as spelled in the directory name, path) of each distribution's metadata directory."""
    for entry in sys.path:
        root = entry or "."
        try:
            children = os.listdir(root)
        except OSError:  # a missing directory on sys.path is common (python3XX.zip) and harmless
            continue
        for child in children:
            if child.lower().endswith((".dist-info", ".egg-info")):
                yield _stem_name(child), os.path.join(root, child)
        if root.lower().endswith(".egg") and "EGG-INFO" in children:  # an unpacked egg
            yield _stem_name(os.path.basename(root)), os.path.join(root, "EGG-INFO")


def _stem_name(basename: str) -> str:
    """``foo_bar-1.0.dist-info`` -> ``foo_bar``: the name is what comes before the first dash."""
    return basename.rpartition(".")[0].partition("-")[0]


def _normalize(name: str) -> str:
    return _SEPARATORS.sub("_", name).lower()


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, UnicodeDecodeError):  # one broken distribution must not stop discovery
        return None


def _section(text: str, group: str) -> Iterator[tuple[str, str]]:
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[]")  # as importlib.metadata reads a section name
        elif current == group and "=" in line:
            key, _, value = line.partition("=")
            yield key.strip(), value.strip()


def _name_and_version(info: str) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` from the headers of ``METADATA`` (``PKG-INFO`` for an egg-info)."""
    text = _read(os.path.join(info, "METADATA")) or _read(os.path.join(info, "PKG-INFO")) or ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line; the long description follows
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in fields:
            fields[key] = value.strip()
    return fields.get("Name"), fields.get("Version")
