"""Where a secret is still reachable from an object: :func:`find_secrets`, for tests of errors and reprs.

It looks where a person (or a log line, or an error reporter) would: the ``str`` and ``repr`` of the
object and of everything reachable from it through its arguments, attributes (``__dict__`` and slots),
containers, ``__cause__``, ``__context__``, ``__notes__`` and an exception group's members, to a bounded
depth. Code, frames and tracebacks are not followed: they are the program, not its data.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["find_secrets"]

_SKIPPED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
            types.FrameType, types.TracebackType, types.CodeType)


def find_secrets(obj: object, secrets: Iterable[str], *, depth: int = 12) -> list[str]:
    """Every place (``"err.__cause__.request.headers[x-api-key]"``) where one of ``secrets`` shows,
    reached from ``obj``. An empty list means none does."""
    walker = _Walker(tuple(secrets), depth)
    walker.visit(obj, "obj", 0)
    return walker.found


class _Walker:
    def __init__(self, secrets: tuple[str, ...], depth: int) -> None:
        self.secrets = secrets
        self.depth = depth
        self.found: list[str] = []
        self.seen: set[int] = set()

    def check(self, text: str, where: str) -> None:
        self.found.extend(f"{where}: {s!r}" for s in self.secrets if s in text)

    def visit(self, obj: Any, path: str, depth: int) -> None:
        if isinstance(obj, str):
            self.check(obj, path)
            return
        if isinstance(obj, bytes | bytearray):
            self.check(bytes(obj).decode("utf-8", "replace"), path)
            return
        if isinstance(obj, _SKIPPED) or id(obj) in self.seen or depth > self.depth:
            return
        self.seen.add(id(obj))
        for show in (str, repr):
            try:
                self.check(show(obj), f"{show.__name__}({path})")
            except Exception:  # noqa: S112 (an object whose repr fails shows nothing)
                continue
        for name, value in self.children(obj):
            self.visit(value, f"{path}{name}", depth + 1)

    def children(self, obj: Any) -> Iterable[tuple[str, Any]]:
        if isinstance(obj, BaseException):
            yield ".args", obj.args
            yield ".__cause__", obj.__cause__
            yield ".__context__", obj.__context__
            yield ".__notes__", getattr(obj, "__notes__", None)
            if isinstance(obj, BaseExceptionGroup):
                yield ".exceptions", obj.exceptions
        if isinstance(obj, Mapping):
            try:
                items = list(obj.items())
            except Exception:
                items = []
            for key, value in items:
                yield f"[{key!r}].key", key
                yield f"[{key!r}]", value
        elif isinstance(obj, list | tuple | set | frozenset):
            for i, value in enumerate(obj):
                yield f"[{i}]", value
        yield from ((f".{k}", v) for k, v in getattr(obj, "__dict__", {}).items())
        for cls in type(obj).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                if name not in ("__dict__", "__weakref__"):
                    try:
                        yield f".{name}", getattr(obj, name)
                    except AttributeError:
                        continue
