"""Routing settings from the config file and the client's arguments: ``[routing]``, ``[limits.*]``,
``[chains.*]`` and ``redis``. Arguments win over the file, key by key.

::

    redis = "redis://127.0.0.1:6379/0"   # share limits and cool-downs (top of the file)

    [routing]                  # retries, deadline, limits' behaviour, cool-downs (RoutingPolicy)
    retries = 2
    deadline = 120

    [limits.openai]            # a provider ...
    rpm = 500
    concurrency = 20

    [limits."openai/gpt-4o"]   # ... or one model
    tpm = 30000

    [chains.mychain]
    models = ["openai/gpt-4o-mini", {model = "anthropic/claude-haiku-4-5", temperature = 0.2}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from modelplex._chains import Chain, parse_chain
from modelplex._ratelimit import RateLimits
from modelplex._retry import RoutingPolicy
from modelplex.errors import ConfigurationError

_POLICY_FIELDS = {a.name: a for a in attrs.fields(RoutingPolicy)}
_LIMIT_FIELDS = {a.name for a in attrs.fields(RateLimits)}


@attrs.frozen
class RoutingConfig:
    policy: RoutingPolicy
    policy_given: bool  # a [routing] table or argument: plain provider/model calls use it too
    chains: Mapping[str, Chain]
    limits: Mapping[str, RateLimits]
    redis: str | None = None
    prefix: str = "modelplex"


def _table(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where} must be a table")
    return value


def _number(where: str, key: str, value: Any, *, whole: bool = False) -> Any:
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigurationError(f"{where}: {key!r} must be a {'whole ' if whole else ''}number, "
                                 f"got {value!r}")
    return value


def parse_policy(value: Any, base: RoutingPolicy | None = None) -> RoutingPolicy:
    if isinstance(value, RoutingPolicy):
        return value
    table = _table("[routing]", value)
    unknown = sorted(set(table) - set(_POLICY_FIELDS))
    if unknown:
        raise ConfigurationError(f"[routing]: unknown key(s) {', '.join(unknown)} (known: "
                                 f"{', '.join(sorted(_POLICY_FIELDS))})")
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key in ("on_limit", "on_cooldown"):
            values[key] = raw
        else:
            values[key] = _number("[routing]", key, raw, whole=key in ("retries", "cooldown_after"))
    try:
        return attrs.evolve(base or RoutingPolicy(), **values)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"[routing]: {exc}") from None


def parse_limits(name: str, value: Any) -> RateLimits:
    if isinstance(value, RateLimits):
        return value
    where = f"[limits.{name}]"
    table = _table(where, value)
    unknown = sorted(set(table) - _LIMIT_FIELDS)
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(unknown)} (known: "
                                 f"{', '.join(sorted(_LIMIT_FIELDS))})")
    for key, raw in table.items():
        _number(where, key, raw, whole=key != "window")
    try:
        return RateLimits(**table)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


def load_routing(file: Mapping[str, Any], *, chains: Mapping[str, Any] | None = None,
                 limits: Mapping[str, Any] | None = None, routing: Any = None,
                 redis: str | None = None) -> RoutingConfig:
    """The routing settings: the config file's, then the client's arguments over them."""
    policy = RoutingPolicy()
    given = False
    if "routing" in file:
        table = _table("[routing]", file["routing"])
        if set(table) != {"tasks"}:  # [routing.tasks] alone (modelplex._agents) sets no policy
            policy, given = parse_policy({k: v for k, v in table.items() if k != "tasks"}), True
    if routing is not None:
        policy = routing if isinstance(routing, RoutingPolicy) else parse_policy(routing, policy)
        given = True
    found_chains = {name: parse_chain(str(name), v)
                    for name, v in _table("[chains]", file.get("chains", {})).items()}
    found_chains.update({name: parse_chain(name, v) for name, v in (chains or {}).items()})
    found_limits = {str(name): parse_limits(str(name), v)
                    for name, v in _table("[limits]", file.get("limits", {})).items()}
    found_limits.update({name: parse_limits(name, v) for name, v in (limits or {}).items()})
    url = redis if redis is not None else file.get("redis")
    prefix = file.get("redis_prefix", "modelplex")
    if url is not None and not isinstance(url, str):
        raise ConfigurationError(f"'redis' must be a URL such as 'redis://127.0.0.1:6379/0', got {url!r}")
    if not isinstance(prefix, str) or not prefix:
        raise ConfigurationError("'redis_prefix' must be a non-empty string")
    return RoutingConfig(policy=policy, policy_given=given, chains=found_chains,
                         limits={k: v for k, v in found_limits.items() if not v.empty},
                         redis=url or None, prefix=prefix)
