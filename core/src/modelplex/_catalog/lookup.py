"""The catalog: what every installed plugin's catalog file says of its models, looked up by the name a
user configured and the model id a provider returned.

One per :class:`~modelplex._plugins.Registry` (so per client), built on first use: a plugin's file is
read when a model of that plugin is first looked up (or all of them, to list every model), never at
``import modelplex`` nor when a client is made. Nothing here touches the network.

How a model id finds its entry, first match wins (``Catalog.resolve`` says which):

``exact``
    the entry's own id.
``alias``
    one of an entry's ``aliases`` (``claude-sonnet-4-5`` for ``claude-sonnet-4-5-20250929``).
``dated snapshot``
    the id less a date or version suffix (``-2024-08-06``, ``-20250929``, ``@20250929``, Gemini's
    ``-001``) finds an entry by id or alias: ``gpt-4o-2024-11-20`` finds ``gpt-4o`` when it has no
    entry of its own. A snapshot with its own entry (``gpt-4o-2024-05-13``, priced apart) finds that.
``tag``
    the id less an Ollama tag (``llama3.3:70b``, ``qwen2.5:latest``) finds a local model's entry (a
    remote provider's ``:free`` or ``:extended`` is another product, at another price: unknown).
``deployment``
    the provider's configured ``deployments`` table (Azure's ``{my-gpt4o = "gpt-4o"}``) names the
    model a user-named deployment serves, and that model is looked up by the rules above.
"""

from __future__ import annotations

import re
import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._catalog.data import CatalogDataWarning, CatalogFile, load_resource
from modelplex._catalog.records import ModelInfo
from modelplex._logging import log
from modelplex.errors import ConfigurationError

if TYPE_CHECKING:
    from modelplex._config import Settings
    from modelplex._plugins import Registry

# The suffix of a dated or numbered snapshot; the base must then name an entry.
_SNAPSHOT = re.compile(r"^(?P<base>.+?)(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-\d{3})$")
_MEMO_LIMIT = 4096  # resolutions kept per catalog view; ids come from calls, so bounded in practice

Resolution = tuple[ModelInfo, str]


@attrs.frozen(kw_only=True)
class _Table:
    """One plugin's entries, by id and by alias."""

    entries: tuple[ModelInfo, ...]
    by_name: Mapping[str, tuple[ModelInfo, str]]  # id -> (entry, "exact"); alias -> (entry, "alias")


def _table(file: CatalogFile) -> _Table:
    by_name: dict[str, tuple[ModelInfo, str]] = {}
    for info in file.models:
        by_name[info.id] = (info, "exact")
        for alias in info.aliases:
            by_name.setdefault(alias, (info, "alias"))
    return _Table(entries=file.models, by_name=by_name)


class _Tables:
    """Every plugin's table of one registry, each read on its first use and kept."""

    def __init__(self) -> None:
        self.tables: dict[str, _Table | None] = {}
        self.views: weakref.WeakKeyDictionary[Settings, Catalog] = weakref.WeakKeyDictionary()
        self.plain: Catalog | None = None
        self.lock = threading.Lock()

    def get(self, registry: Registry, plugin: str) -> _Table | None:
        if plugin in self.tables:
            return self.tables[plugin]
        record = registry.records.get(plugin)
        spec = None if record is None else record.info.catalog
        table = None
        if spec is not None:
            file = load_resource(plugin, spec)
            for problem in file.problems:
                # A third party's file may be wrong; its good entries and the other plugins' stay.
                log("warning", "catalog_entry_skipped", plugin=problem.plugin, file=problem.file,
                    model=problem.model, field=problem.field, reason=problem.message)
                warnings.warn(CatalogDataWarning(problem), stacklevel=4)
            table = _table(file)
        with self.lock:
            return self.tables.setdefault(plugin, table)


_BY_REGISTRY: weakref.WeakKeyDictionary[Registry, _Tables] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def catalog(registry: Registry, settings: Settings | None = None) -> Catalog:
    """The catalog of ``registry``'s plugins, built once per registry and kept with it.

    ``settings`` (a client's :attr:`~modelplex.AsyncClient.settings`) maps configured provider names
    to their plugins (``[providers.work] plugin = "openai"`` reads OpenAI's entries as ``work/...``)
    and gives Azure-style ``deployments`` tables; without it a provider name is a plugin's name or
    one of its aliases. From a client: ``catalog(client.registry, client.settings)``.
    """
    with _LOCK:
        tables = _BY_REGISTRY.get(registry)
        if tables is None:
            tables = _BY_REGISTRY[registry] = _Tables()
        view = tables.plain if settings is None else tables.views.get(settings)
        if view is None:
            view = Catalog(registry, tables, settings)
            if settings is None:
                tables.plain = view
            else:
                tables.views[settings] = view
    return view


class Catalog:
    """Look-ups in the bundled catalog, by configured provider name and model id (see the module's
    doc for how an id is resolved). Made by :func:`catalog`."""

    def __init__(self, registry: Registry, tables: _Tables, settings: Settings | None) -> None:
        self._registry = registry
        self._tables = tables
        self._settings = settings
        self._memo: dict[tuple[str, str], Resolution | None] = {}

    def __repr__(self) -> str:
        return f"Catalog(plugins={sorted(self._registry.records)!r})"

    def plugin(self, provider: str) -> str:
        """The registered plugin that serves configured provider ``provider``."""
        name = provider
        if self._settings is not None:
            try:
                name = self._settings.plugin_for(provider)
            except ConfigurationError:  # a malformed 'plugin' key is the call path's to report
                return provider
        return self._registry.canonical(name)

    def get(self, provider: str, model: str) -> ModelInfo | None:
        """The entry for ``model`` as provider ``provider`` (a configured name) calls it, addressed
        ``provider/<entry id>``; ``None`` when the catalog does not know it."""
        found = self.resolve(provider, model)
        return None if found is None else found[0]

    def resolve(self, provider: str, model: str) -> Resolution | None:
        """The entry for ``model`` and how its name was resolved: ``exact``, ``alias``, ``dated
        snapshot``, ``tag`` or ``deployment``; ``None`` when the catalog does not know it."""
        key = (provider, model)
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = self._resolve(provider, model)
        if found is not None:
            found = (self._override(attrs.evolve(found[0], provider=provider)), found[1])
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = found
        return found

    def _resolve(self, provider: str, model: str) -> Resolution | None:
        table = self._tables.get(self._registry, self.plugin(provider))
        if table is None:
            return None
        found = _by_name(table, model)
        if found is not None:
            return found
        base = self._deployments(provider).get(model)
        if isinstance(base, str):
            found = _by_name(table, base)
            return None if found is None else (found[0], "deployment")
        return None

    def _deployments(self, provider: str) -> Mapping[str, Any]:
        if self._settings is None:
            return {}
        for source in (self._settings.explicit, self._settings.file):
            table = source.get(provider, {}).get("deployments")
            if isinstance(table, Mapping):
                return table
        return {}

    def _override(self, info: ModelInfo) -> ModelInfo:
        """Where the config's ``[models."provider/model"]`` overrides will apply (issue 13, item 2);
        until then the catalog's entry as it is."""
        return info

    def models(self, provider: str | None = None) -> Iterator[ModelInfo]:
        """Every entry of ``provider`` (a configured name), or of every installed plugin under its own
        name and under each configured name that serves it, in the files' order."""
        for name in ([provider] if provider is not None else self._names()):
            table = self._tables.get(self._registry, self.plugin(name))
            if table is not None:
                for info in table.entries:
                    yield self._override(attrs.evolve(info, provider=name))

    def _names(self) -> list[str]:
        names = list(self._registry.names)
        if self._settings is not None:
            names += sorted(n for n in self._settings.configured_names()
                            if n not in self._registry.records and self.plugin(n) in self._registry.records)
        return names


def _by_name(table: _Table, model: str) -> Resolution | None:
    found = table.by_name.get(model)
    if found is not None:
        return found
    name, sep, _tag = model.rpartition(":")
    if sep and name and "/" not in _tag:
        found = table.by_name.get(name)
        # Only a local model's tags are sizes and quantizations of one free model; a remote
        # provider's ":free" or ":extended" is another product at another price.
        if found is not None and found[0].local:
            return found[0], "tag"
    match = _SNAPSHOT.match(model)
    if match is not None:
        found = table.by_name.get(match["base"])
        if found is not None:
            return found[0], "dated snapshot"
    return None
