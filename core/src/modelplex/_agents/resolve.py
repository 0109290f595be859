"""A call's ``agent=`` and ``task=`` turned into the plain arguments of the call path (address, system
prompt, options, tags), before the address is resolved; the precedence is in :mod:`modelplex._agents`.

What a profile or task points at is checked the first time it is used (and remembered for the client):
a provider no plugin serves, a model its provider's catalog does not list, a chain nobody defined, a cost
tier with no model, an unknown agent or task are typed errors naming what is available, with close names
suggested; nothing falls back to another model in silence.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from modelplex._agents.profiles import NO_OPTIONS, Agent
from modelplex._agents.tasks import task_routes
from modelplex._agents.tiers import COST_TIERS, TIER_PREFIX
from modelplex._options import ChatOptions
from modelplex._suggest import close_names
from modelplex.errors import ConfigurationError, UnknownModelError

if TYPE_CHECKING:
    from modelplex._client import AsyncClient
    from modelplex._messages import Message

# Addresses checked, by target (``provider/model``...) and by ("agent"|"task", name): a call made as an
# agent or for a task pays for one dict lookup after the first.
_CHECKED: weakref.WeakKeyDictionary[AsyncClient, dict[Any, str]] = weakref.WeakKeyDictionary()
_OPTION_DEFAULTS: dict[str, Any] = attrs.asdict(ChatOptions(), recurse=False)

Resolved = tuple[Any, Any, "str | None", ChatOptions | None, Mapping[str, Any], "Mapping[str, str] | None"]


def agents_of(client: AsyncClient) -> Mapping[str, Agent]:
    """The client's agents (``[agents.NAME]``, checked when the config file was read)."""
    found = client.config.get("agents")
    return found if isinstance(found, Mapping) else {}


def tasks_of(client: AsyncClient) -> dict[str, str]:
    """Every task's route: the built-in ones, with ``[routing.tasks]`` over them."""
    routing = client.config.get("routing")
    configured = routing.get("tasks") if isinstance(routing, Mapping) else None
    return task_routes(configured if isinstance(configured, Mapping) else {})


def _config_path(client: AsyncClient) -> str:
    path: Path | None = getattr(client.config, "path", None)
    return f"config file {path}" if path is not None else "the config file"


def _hint(name: str, known: Iterable[str]) -> str:
    near = close_names(name, known)
    return f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""


def find_agent(client: AsyncClient, name: str) -> Agent:
    """Agent ``name``, or a :class:`ConfigurationError` naming the agents there are."""
    agents = agents_of(client)
    found = agents.get(name)
    if found is not None:
        return found
    there = f"agents: {', '.join(sorted(agents))}" if agents else "no agent is defined"
    raise ConfigurationError(f"unknown agent {name!r}{_hint(name, agents)} ({there}; define it as "
                             f"[agents.{name}] in {_config_path(client)})")


def task_address(client: AsyncClient, task: str, place: str) -> str:
    """The checked address of ``task``'s route, or a :class:`ConfigurationError` naming the tasks;
    ``place`` (``agent 'x': ``, or empty for the call's own ``task=``) starts the message."""
    routes = tasks_of(client)
    target = routes.get(task)
    if target is None:
        raise ConfigurationError(f"{place}unknown task {task!r}{_hint(task, routes)} (tasks: "
                                 f"{', '.join(sorted(routes))}; route it as {task} = \"provider/model\" "
                                 f"under [routing.tasks] in {_config_path(client)})")
    return checked(client, target, f"{place}task {task!r} (= {target!r})")


def checked(client: AsyncClient, target: str, place: str) -> str:
    """``target`` (``provider/model``, ``chain/NAME``, ``tier/NAME`` or an alias) as the address to call,
    once known to be servable by something installed or configured; else a typed error that starts with
    ``place`` and names what is available."""
    return _memo(client, target, lambda: _check(client, target, place))


def _memo(client: AsyncClient, key: Any, check: Callable[[], str]) -> str:
    memo = _CHECKED.get(client)
    if memo is None:
        memo = _CHECKED.setdefault(client, {})
    found = memo.get(key)
    if found is None:
        found = memo[key] = check()
    return found


def _check(client: AsyncClient, target: str, place: str) -> str:
    from modelplex._aliases import aliases_of, expand

    address = target
    if "/" not in address:
        address = expand(client, target)
        if address == target:
            aliases = aliases_of(client.config)
            raise UnknownModelError(f"{place}: {target!r} is neither provider/model, chain/NAME, tier/NAME "
                                    f"nor an alias{_hint(target, aliases)} (aliases: "
                                    f"{', '.join(sorted(aliases)) or 'none'})", model=target)
    provider, _, model = address.partition("/")
    if provider == TIER_PREFIX:
        if model not in COST_TIERS:
            raise UnknownModelError(f"{place}: unknown cost tier {model!r}{_hint(model, COST_TIERS)} "
                                    f"(tiers: {', '.join(COST_TIERS)})", provider=provider, model=model)
        provider, address = "chain", f"chain/{model}"
    if provider == "chain":
        return _check_chain(client, address, model, place)
    _check_model(client, provider, model, place)
    return address


def _check_chain(client: AsyncClient, address: str, name: str, place: str) -> str:
    from modelplex._known_models import BUILTIN_CHAINS, LOCAL_CHAIN

    router = client.router
    known = {*router.config.chains, *BUILTIN_CHAINS, LOCAL_CHAIN}
    if name not in known:
        raise UnknownModelError(f"{place}: unknown chain {name!r}{_hint(name, known)} (chains: "
                                f"{', '.join(sorted(known))}; define it as [chains.{name}])",
                                provider="chain", model=name)
    route = router.route(address)
    if name != LOCAL_CHAIN and route is not None and route.chain is not None and not route.chain.entries:
        if name in COST_TIERS and name not in router.config.chains:
            priced = " with known prices" if name == "economy" else ""
            raise ConfigurationError(f"{place}: cost tier {name!r} has no model here: no installed provider "
                                     f"with a key has a chat model of the catalog tier {COST_TIERS[name]!r}"
                                     f"{priced}; set a key with 'modelplex keys set PROVIDER', or route to "
                                     f"a model")
        raise ConfigurationError(f"{place}: chain {name!r} has no model here: no installed provider has a "
                                 f"chat model of its catalog tier; install one, or route to a model")
    return address


def _check_model(client: AsyncClient, provider: str, model: str, place: str) -> None:
    from modelplex._catalog.merge import catalog_of, resolve

    registry, settings = client.registry, client.settings
    plugin_aliases = {a for r in registry.records.values() for a in r.info.aliases}
    known = {*registry.names, *settings.configured_names()}
    if provider not in known | plugin_aliases:
        raise UnknownModelError(f"{place}: unknown provider {provider!r}{_hint(provider, known)} "
                                f"(installed: {', '.join(sorted(registry.names)) or 'none'})",
                                provider=provider, model=model)
    if resolve(client, provider, model) is not None:
        return
    listed = [m.id for m in catalog_of(registry, client).models(provider)]
    if listed:  # a provider whose catalog knows its models, and not this one: a typo, most likely
        near = [f"{provider}/{n}" for n in close_names(model, listed)]
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise UnknownModelError(f"{place}: the catalog knows no model {provider}/{model}{hint} (see "
                                f"'modelplex models {provider}', or declare it under "
                                f"[models.\"{provider}/{model}\"])", provider=provider, model=model)


def merged(base: ChatOptions, options: ChatOptions | None, kwargs: Mapping[str, Any]) -> ChatOptions:
    """The agent's options with each the call sets over them (a value other than the option's default);
    ``extra`` tables merged, the call's keys winning."""
    if options is None and not kwargs:
        return base
    from modelplex._validate import build_options

    call = build_options(options, kwargs)
    over = {}
    for name, default in _OPTION_DEFAULTS.items():
        value = getattr(call, name)
        if value != default:
            over[name] = value
    if "extra" in over and base.extra:
        over["extra"] = {**base.extra, **over["extra"]}
    return attrs.evolve(base, **over) if over else base


def profiled(client: AsyncClient, address: Any, messages: str | Message | Sequence[Message] | None,
             system: str | None, options: ChatOptions | None, kwargs: Mapping[str, Any],
             tags: Mapping[str, str] | None, agent: str | None, task: str | None) -> Resolved:
    """The call's ``(address, messages, system, options, kwargs, tags)`` once ``agent`` and ``task`` are
    applied. With no ``messages``, the one positional argument (``client.chat("hi", agent="coder")``) is
    the conversation."""
    if messages is None:
        address, messages = None, address
    profile = find_agent(client, agent) if agent is not None else None
    named_task = task if task is not None else profile.task if profile is not None else None
    if address is None:
        if task is not None:
            address = _memo(client, ("task", task), lambda: task_address(client, task, ""))
        elif profile is not None and profile.model is not None:
            model = profile.model
            address = _memo(client, ("agent", profile.name), lambda: checked(
                client, model, f"agent {profile.name!r} (model = {model!r} in {_config_path(client)})"))
        elif profile is not None and profile.task is not None:
            name, routed = profile.name, profile.task
            address = _memo(client, ("agent", name),
                            lambda: task_address(client, routed, f"agent {name!r}: "))
        else:
            assert profile is not None  # a task was given, or an agent
            raise ConfigurationError(f"agent {profile.name!r} names no model and no task: add model = "
                                     f"\"provider/model\" or task = \"NAME\" to [agents.{profile.name}] in "
                                     f"{_config_path(client)}, or pass a model")
    added = profile.call_tags(named_task) if profile is not None else {"task": str(named_task)}
    all_tags = {**added, **tags} if tags else added
    if profile is None:
        return address, messages, system, options, kwargs, all_tags
    if system is None:
        system = profile.system
    if profile.options is not NO_OPTIONS:
        options, kwargs = merged(profile.options, options, kwargs), {}
    return address, messages, system, options, kwargs, all_tags

