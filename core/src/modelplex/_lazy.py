"""Names a package exports that load on first use: the one ``__getattr__``/``__dir__`` pair for all.

A package says where each public name lives; the first access of any of them imports that module and
binds every listed name of it in the package, so that later accesses are plain attribute lookups.
The core, the test kit and the plugins all export this way, so that importing a package (as
discovering a plugin does) costs almost nothing. This module imports nothing heavy, not even
``typing`` (4 ms at start): ``import modelplex`` stays about a millisecond.
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know the name
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_exports(package: str, where: Mapping[str, str], *, public_module: bool = False
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose lazily loaded names live where ``where`` says.

    :param where: ``{name: "submodule"}``, or ``{name: "submodule:attr"}`` where the name differs there.
    :param public_module: objects from the package's private modules (``package._x``) show as
        ``package.Name``: their ``__module__`` is set to ``package``, after resolving an attrs
        class's or a dataclass's string annotations, which the renamed module could no longer resolve.
    """
    by_module: dict[str, list[tuple[str, str]]] = {}
    for name, spec in where.items():
        module, _, attr = spec.partition(":")
        by_module.setdefault(module, []).append((name, attr or name))
    private = f"{package}._"

    def __getattr__(name: str) -> Any:
        spec = where.get(name)
        if spec is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = spec.partition(":")[0]
        source = importlib.import_module(f"{package}.{module}")
        namespace = vars(sys.modules[package])
        for public, attr in by_module[module]:
            obj = getattr(source, attr)
            if public_module and getattr(obj, "__module__", "").startswith(private):
                _rename(obj, package)
            namespace[public] = obj
        return namespace[name]

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__


def _rename(obj: Any, package: str) -> None:
    import contextlib  # here, not at the top: only the first access of a name pays for it

    if hasattr(obj, "__attrs_attrs__"):
        import attrs  # loaded already: the module that defines an attrs class imported it

        attrs.resolve_types(obj)
    elif isinstance(obj, type) and "__dataclass_fields__" in vars(obj):
        import typing

        # What attrs.resolve_types does, for a dataclass: each field's type, evaluated (cattrs reads
        # them, and evaluates a string in the module __module__ names).
        hints = typing.get_type_hints(obj)
        for field in vars(obj)["__dataclass_fields__"].values():
            field.type = hints.get(field.name, field.type)
    with contextlib.suppress(AttributeError, TypeError):  # a constant, a builtin: left as they are
        obj.__module__ = package
