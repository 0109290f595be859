"""httpx's command line, loaded when it runs rather than with httpx.

httpx's ``__init__`` imports its command line (``httpx._main``: click, rich and pygments, some sixty
modules) whenever all three are installed, and with ``modelplex`` (click) and ``modelplex-ollama``
(rich, and pygments through it) they are: a process that only makes calls paid some 65 ms for them on
its first call and kept every one of those modules in the heap its garbage collector walks.
:func:`defer` (``import modelplex`` calls it) adds a finder to ``sys.meta_path`` that answers the import
of ``httpx._main`` alone, with a stand-in: ``httpx.main`` (the ``httpx`` command) and any name read
from ``httpx._main`` load the real module then, and without its dependencies ``httpx.main`` says what
httpx itself says. Nothing is in ``sys.modules`` before httpx is imported.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: ``import modelplex`` runs this module, and typing costs it 4 ms
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any
else:
    ModuleType = type(sys)  # types.ModuleType, without importing types

_NAME = "httpx._main"
#: httpx's own words when its command line cannot be imported (httpx/__init__.py).
_MISSING = ("The httpx command line client could not run because the required dependencies were not "
            "installed.\nMake sure you've installed everything with: pip install 'httpx[cli]'")


class _Deferred(ModuleType):
    """Stands in for ``httpx._main`` until a name of it is read."""

    main: Any  # set on the instance: httpx's ``from ._main import main`` reads it without loading

    def __getattr__(self, name: str) -> Any:
        # The import system asks a module for __path__ and the like: not a use.
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(_load(), name)


class _Finder:
    """On ``sys.meta_path``: the stand-in for ``httpx._main``, nothing for any other module."""

    @staticmethod
    def find_spec(name: str, path: Sequence[str] | None = None, target: Any = None) -> ModuleSpec | None:
        if name != _NAME:
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(name, _Finder)  # type: ignore[arg-type]

    @staticmethod
    def create_module(spec: ModuleSpec) -> ModuleType:
        return _Deferred(spec.name, __doc__)

    @staticmethod
    def exec_module(module: _Deferred) -> None:
        module.main = main


def _load() -> ModuleType:
    """The real ``httpx._main``, imported now if it was not yet."""
    import contextlib
    import importlib

    with contextlib.suppress(ValueError):  # gone already: another thread took it out
        sys.meta_path.remove(_Finder)
    if isinstance(sys.modules.get(_NAME), _Deferred):
        sys.modules.pop(_NAME, None)

    return importlib.import_module(_NAME)


def main(*args: Any, **kwargs: Any) -> Any:
    """``httpx.main``: httpx's command line, imported on this first use."""
    try:
        real = _load()
    except ImportError:
        print(_MISSING)
        sys.exit(1)
    return real.main(*args, **kwargs)


def defer() -> None:
    """Add the finder, unless httpx (or its command line) is imported already."""
    if "httpx" in sys.modules or _NAME in sys.modules or _Finder in sys.meta_path:
        return
    sys.meta_path.insert(0, _Finder)
