"""The call lifecycle's hooks as the core calls them: found once per registry, in pluggy's order, each
bound to the arguments it takes (pluggy lets an implementation take fewer than the spec names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Hook = tuple[str, Callable[..., Any]]


def _bound(function: Callable[..., Any], argnames: tuple[str, ...], second: str | None) -> Callable[..., Any]:
    """``function`` called as ``f(call)`` (``second`` ``None``, a before_call hook) or ``f(call, x)``
    (``second`` names ``x``: ``outcome`` or ``attempt``), whatever subset of those arguments it takes
    (pluggy lets an implementation take fewer), worked out once rather than on every call."""
    if argnames == ("call",) and second is None:
        return function  # a before_call hook is called as f(call): nothing to adapt
    if argnames == ("call",):
        return lambda call, other=None: function(call)
    if second is not None and argnames == ("call", second):
        return function
    return lambda call, other=None: function(**{n: {"call": call, second or "": other}[n] for n in argnames})


_SECOND = {"modelplex_before_call": None, "modelplex_before_attempt": "attempt",
           "modelplex_after_call": "outcome"}


def lifecycle_hooks(pm: Any, name: str) -> tuple[Hook, ...]:
    """``name``'s implementations in the order pluggy calls them (tryfirst ones, then the latest
    registered first, trylast ones last), each with its plugin's name."""
    impls = getattr(pm.hook, name).get_hookimpls()
    return tuple((impl.plugin_name, _bound(impl.function, tuple(impl.argnames), _SECOND[name]))
                 for impl in reversed(impls))
