"""Plugin discovery and routing: entry points in, one pluggy manager, calls routed to the owning plugin."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import FunctionType, MemberDescriptorType, MethodType, ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from modelplex import hookspecs
from modelplex._entry_points import EntryPoint, entry_points
from modelplex._logging import log
from modelplex._provider import ProviderInfo
from modelplex.errors import (
    PluginConflictError,
    PluginError,
    PluginIncompatibleError,
    PluginLoadError,
    UnknownProviderError,
)

if TYPE_CHECKING:
    from modelplex._call.lifecycle import Lifecycle

GROUP = "modelplex.plugins"
ALLOW_ENV = "MODELPLEX_PLUGINS"
DENY_ENV = "MODELPLEX_DISABLE_PLUGINS"
_PROVIDER_HOOKS = ("modelplex_chat", "modelplex_chat_stream", "modelplex_embed", "modelplex_rerank",
                   "modelplex_list_models", "modelplex_tool_codec")
# A plugin implementing only these owns no provider name (modelplex_budget_alert: a notifier, a dashboard;
# modelplex_conversation_store: where conversations are kept).
_LIFECYCLE_HOOKS = ("modelplex_before_call", "modelplex_before_attempt", "modelplex_after_call",
                    "modelplex_budget_alert", "modelplex_conversation_store")


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginRecord:
    """A loaded plugin: the provider name it owns, where it came from, and what it declared."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    info: ProviderInfo
    hooks: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleRecord:
    """A loaded plugin of the call lifecycle alone (no provider): where it came from, which hooks."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    hooks: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Implementation:
    """A plugin's hook function and the hook arguments it takes, in its order (pluggy passes them so)."""

    function: Callable[..., Any]
    argnames: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginFailure:
    """A plugin that was not loaded. ``kind``: load, incompatible, conflict or disabled."""

    name: str
    kind: str
    reason: str
    distribution: str | None = None
    version: str | None = None


def _names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {n.strip() for n in value.split(",") if n.strip()}


class _Manager(pluggy.PluginManager):
    """pluggy's manager, told that no hook is a dunder and that an unmarked value is no hook.

    ``register`` looks up every name of ``dir(plugin)`` with ``inspect.getattr_static`` (some 10 µs a
    name); a plugin object's ~27 dunders are more than half its names and never a hook. Skipping them
    took discovery of twenty plugins from 16 to 9 ms. Of the names left (343 for the installed plugins),
    those whose value, read from the dictionary or slot that holds it, carries no hook marker are
    answered here: 221 lookups remain, nearly all of them hooks, and registering the installed plugins
    (warm) takes ~1.5 ms less. Every name is given the options pluggy would give it
    (``test_every_name_of_every_kind_of_plugin_is_read_as_pluggy_reads_it``).
    """

    _impl = hookspecs.PROJECT + "_impl"  # the attribute pluggy's ``HookimplMarker`` sets on a hook

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        if name[:2] == "__" and name[-2:] == "__":
            return None
        # A marked value, or one found only through ``getattr_static`` (a metaclass), is pluggy's to read.
        raw = _raw(plugin, name)
        if isinstance(raw, MemberDescriptorType) and not isinstance(plugin, type):
            try:  # a slot: pluggy takes its value as it is (reading one runs no user code)
                raw = raw.__get__(plugin, type(plugin))
            except AttributeError:  # unset: pluggy finds the descriptor, no hook
                return None
        if raw is not _ABSENT and not _marked(raw, self._impl):
            return None
        return super().parse_hookimpl_opts(plugin, name)


_ABSENT = object()


def _marked(raw: object, marker: str) -> bool:
    """Whether ``raw`` (a function, a static or class method, a bound method) carries the hook marker
    ``marker`` where pluggy's ``_get_marker_opts`` looks for it: on ``raw`` or on its ``__func__``. Any
    other value is never a hook."""
    if not isinstance(raw, FunctionType | staticmethod | classmethod | MethodType):
        return False
    return (getattr(raw, marker, None) is not None
            or getattr(getattr(raw, "__func__", None), marker, None) is not None)


def _raw(plugin: object, name: str) -> object:
    """What an attribute lookup of ``name`` on ``plugin`` finds, read from the dictionary that holds it
    without running it (a property is not evaluated), or :data:`_ABSENT` (then ask
    ``inspect.getattr_static``, which is slower)."""
    if type(plugin) is ModuleType:
        return plugin.__dict__.get(name, _ABSENT)
    if isinstance(plugin, type):
        classes = plugin.__mro__
    else:
        try:
            own = object.__getattribute__(plugin, "__dict__")
        except AttributeError:  # slotted
            own = {}
        if name in own:
            return own[name]
        classes = type(plugin).__mro__
    for klass in classes:
        raw = klass.__dict__.get(name, _ABSENT)
        if raw is not _ABSENT:
            return raw
    return _ABSENT


def _refuse_async(name: str, plugin: object) -> None:
    for attr in dir(plugin):
        if not attr.startswith("modelplex_"):
            continue
        # Read as pluggy reads a hook: without running it (a property named like a hook is no hook,
        # and evaluating it at discovery ran a plugin's code, or raised out of registration).
        fn = _raw(plugin, attr)
        if fn is _ABSENT:
            fn = inspect.getattr_static(plugin, attr, None)
        if isinstance(fn, (staticmethod, classmethod)):
            fn = fn.__func__
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            raise PluginIncompatibleError(
                f"plugin {name!r}: hook {attr} is 'async def'; hooks must be plain 'def' functions "
                "because pluggy cannot await them (a coroutine is never None, so it would win every "
                "call). Return an awaitable or an async context manager instead.",
                plugin=name,
            )


class Registry:
    """The plugins of one client: discovered from entry points and/or given explicitly.

    ``plugins`` maps provider names to plugin objects (modules, instances); with ``autoload=False``
    only those are used, which is how tests and embedding applications pin exactly what runs.
    """

    def __init__(self, plugins: Mapping[str, object] | None = None, *, autoload: bool = True,
                 env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self._allow = _names(env.get(ALLOW_ENV))
        self._deny = _names(env.get(DENY_ENV)) or set()
        self.pm: pluggy.PluginManager = _Manager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        #: Plugins of the call lifecycle alone, by name (they own no provider).
        self.lifecycle_plugins: dict[str, LifecycleRecord] = {}
        self._lifecycle: Lifecycle | None = None
        self.failures: dict[str, PluginFailure] = {}
        self._callers: dict[tuple[str, str], Callable[..., Any]] = {}
        if autoload:
            self._discover()
        for name, plugin in (plugins or {}).items():
            self.register(name, plugin)

    # -- loading ---------------------------------------------------------------------------------
    def _wanted(self, name: str) -> str | None:
        if self._allow is not None and name not in self._allow:
            return f"not in {ALLOW_ENV}"
        if name in self._deny:
            return f"listed in {DENY_ENV}"
        return None

    def _discover(self) -> None:
        by_name: dict[str, list[EntryPoint]] = {}
        # Not importlib.metadata: importing it costs ~18 ms of every program's start (see _entry_points).
        for ep in entry_points(GROUP):
            claimants = by_name.setdefault(ep.name, [])
            # The same distribution can be seen twice on sys.path (an editable install and a copy).
            if ep.distribution is None or ep.distribution not in {o.distribution for o in claimants}:
                claimants.append(ep)
        for name, eps in sorted(by_name.items()):
            why_not = self._wanted(name)
            dist, version = eps[0].distribution, eps[0].version
            if why_not:
                self.failures[name] = PluginFailure(name=name, kind="disabled", reason=why_not,
                                                    distribution=dist, version=version)
                continue
            if len(eps) > 1:
                owners = " and ".join(f"{ep.distribution} {ep.version} ({ep.value})"
                                    for ep in sorted(eps, key=lambda e: e.distribution or ""))
                reason = f"provider name {name!r} is claimed by two distributions: {owners}"
                self.failures[name] = PluginFailure(name=name, kind="conflict", reason=reason,
                                                    distribution=dist, version=version)
                log("warning", "plugin_conflict", plugin=name, reason=reason)
                continue
            try:
                plugin = eps[0].load()
            except Exception as exc:  # a plugin's import may fail in any way; it must not stop the others
                reason = f"import of {eps[0].value!r} failed: {type(exc).__name__}: {exc}"
                self._fail(name, "load", reason, dist, version)
                continue
            try:
                self._register(name, plugin, dist, version, module=eps[0].value)
            except PluginError as exc:
                kind = "incompatible" if isinstance(exc, PluginIncompatibleError) else "load"
                self._fail(name, kind, exc.message, dist, version)

    def _fail(self, name: str, kind: str, reason: str, dist: str | None, version: str | None) -> None:
        self.failures[name] = PluginFailure(name=name, kind=kind, reason=reason, distribution=dist,
                                            version=version)
        log("warning", "plugin_skipped", plugin=name, distribution=dist, reason=reason)

    def register(self, name: str, plugin: object) -> PluginRecord | LifecycleRecord:
        """Register ``plugin`` as the owner of provider ``name`` (or, for a plugin of the call lifecycle
        alone, under that name); raises :class:`PluginError` if unfit."""
        if name in self.records or name in self.lifecycle_plugins:
            raise PluginConflictError(f"provider name {name!r} is already registered by "
                                      f"{self._module(name)}", plugin=name)
        self.failures.pop(name, None)
        module = getattr(plugin, "__name__", type(plugin).__name__)
        return self._register(name, plugin, None, None, module=module)

    def _module(self, name: str) -> str:
        record = self.records.get(name) or self.lifecycle_plugins.get(name)
        return record.module if record is not None else "?"

    def _register(self, name: str, plugin: object, dist: str | None, version: str | None,
                  module: str) -> PluginRecord | LifecycleRecord:
        _refuse_async(name, plugin)
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginLoadError(f"plugin {name!r} could not be registered: {exc}", plugin=name,
                                  distribution=dist) from exc
        self._lifecycle = None
        # A plugin owning no provider may implement any lifecycle hook, only commands, or nothing at all
        # (a store turned off, budgets not configured): it is kept as an extension, listed with its hooks.
        if not self._implements(name, "modelplex_provider_info") and not any(
                self._implements(name, h) for h in _PROVIDER_HOOKS):
            lifecycle = tuple(h for h in (*_LIFECYCLE_HOOKS, "modelplex_register_commands")
                              if self._implements(name, h))
            try:
                self.pm.check_pending()
            except pluggy.PluginValidationError as exc:
                self._unregister(name)
                raise PluginLoadError(f"plugin {name!r}: {exc}", plugin=name, distribution=dist) from exc
            extension = LifecycleRecord(name=name, distribution=dist, version=version, module=module,
                                        hooks=lifecycle)
            self.lifecycle_plugins[name] = extension
            return extension
        try:
            self.pm.check_pending()
            info = self._caller(name, "modelplex_provider_info")()
            if not isinstance(info, ProviderInfo):
                raise PluginLoadError(f"plugin {name!r} must implement modelplex_provider_info() "
                                      "returning a ProviderInfo", plugin=name, distribution=dist)
            if info.spec_version not in hookspecs.SUPPORTED_SPEC_VERSIONS:
                raise PluginIncompatibleError(
                    f"plugin {name!r} speaks plugin contract version {info.spec_version}; this modelplex "
                    f"supports {sorted(hookspecs.SUPPORTED_SPEC_VERSIONS)}", plugin=name,
                    distribution=dist)
        except pluggy.PluginValidationError as exc:
            self._unregister(name)
            raise PluginLoadError(f"plugin {name!r}: {exc}", plugin=name, distribution=dist) from exc
        except PluginError:
            self._unregister(name)
            raise
        hooks = tuple(h for h in _PROVIDER_HOOKS if self._implements(name, h))
        record = PluginRecord(name=name, distribution=dist, version=version, module=module, info=info,
                              hooks=hooks)
        self.records[name] = record
        return record

    def _unregister(self, name: str) -> None:
        self._lifecycle = None
        self.pm.unregister(name=name)
        self._callers = {k: v for k, v in self._callers.items() if k[0] != name}

    def _implements(self, name: str, hook: str) -> bool:
        plugin = self.pm.get_plugin(name)
        return any(impl.plugin is plugin for impl in getattr(self.pm.hook, hook).get_hookimpls())

    # -- routing ---------------------------------------------------------------------------------
    def _caller(self, name: str, hook: str) -> Callable[..., Any]:
        key = (name, hook)
        caller = self._callers.get(key)
        if caller is None:
            owner = self.pm.get_plugin(name)
            others = [p for p in self.pm.get_plugins() if p is not owner]
            caller = self.pm.subset_hook_caller(hook, remove_plugins=others)
            self._callers[key] = caller
        return caller

    def call(self, name: str, hook: str, **kwargs: Any) -> Any:
        """Call ``hook`` on the plugin that owns ``name`` only; ``None`` if it does not implement it."""
        self.owner(name)
        return self._caller(name, hook)(**kwargs)

    def implementation(self, name: str, hook: str) -> Implementation | None:
        """The owner's one plain implementation of ``hook``, to call without pluggy's dispatch.

        The subset caller would call that implementation alone anyway; calling it directly saves pluggy's
        per-call work on the hot path (hook-call monitoring set on :attr:`pm` does not see such calls).
        ``None`` when the owner implements ``hook`` more than once or through a wrapper (then
        :meth:`call` runs them as pluggy does) or not at all.
        """
        self.owner(name)
        plugin = self.pm.get_plugin(name)
        impls = [i for i in getattr(self.pm.hook, hook).get_hookimpls() if i.plugin is plugin]
        if len(impls) != 1 or impls[0].hookwrapper or impls[0].wrapper:
            return None
        return Implementation(function=impls[0].function, argnames=tuple(impls[0].argnames))

    def canonical(self, name: str) -> str:
        """The name a plugin is registered under for ``name``: itself, or the plugin that lists it
        among its :attr:`~modelplex.ProviderInfo.aliases` (a loaded plugin's own name wins)."""
        if name in self.records:
            return name
        for record in self.records.values():
            if name in record.info.aliases:
                return record.name
        return name

    def owner(self, name: str) -> PluginRecord:
        record = self.records.get(name)
        if record is None:
            record = self.records.get(self.canonical(name))
        if record is not None:
            return record
        failure = self.failures.get(name)
        if failure is not None:
            error = PluginConflictError if failure.kind == "conflict" else PluginLoadError
            raise error(f"provider {name!r} is not available: {failure.reason}", plugin=name,
                        distribution=failure.distribution)
        from modelplex._suggest import close_names  # only for this message

        close = close_names(name, self.records, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (
            f"; install the plugin, for example: pip install modelplex-{name}")
        raise UnknownProviderError(name, tuple(sorted(self.records)), hint)

    @property
    def lifecycle(self) -> Lifecycle:
        """The call-lifecycle hooks of every registered plugin, worked out once (and again after a
        registration)."""
        lifecycle = self._lifecycle
        if lifecycle is None:
            from modelplex._call.lifecycle import Lifecycle

            lifecycle = self._lifecycle = Lifecycle(self.pm)
        return lifecycle

    def broadcast(self, hook: str, **kwargs: Any) -> list[Any]:
        """Call a non-provider hook (``modelplex_register_commands``) on every loaded plugin."""
        result: list[Any] = getattr(self.pm.hook, hook)(**kwargs)
        return result

    @property
    def names(self) -> Iterable[str]:
        return sorted(self.records)
