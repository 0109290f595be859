"""``[agents.NAME]``: one agent's profile, read and checked with the config file, so that a typo fails
when the file is read, naming the file, the table and the field. What the profile points at (a model, a
chain, a task) is checked when the agent is first used: see :mod:`modelplex._agents.resolve`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from modelplex._options import ChatOptions
from modelplex._suggest import close_names
from modelplex.errors import ConfigurationError, InvalidRequestError

_OPTION_NAMES = frozenset(a.name for a in attrs.fields(ChatOptions))
_PROFILE_KEYS = frozenset({"model", "task", "system", "tags", "budget", "description"})
# Options a profile cannot hold: raw bodies are a debugging switch of one call, not of an agent.
_NOT_IN_PROFILE = frozenset({"include_raw"})
KNOWN_KEYS = _PROFILE_KEYS | (_OPTION_NAMES - _NOT_IN_PROFILE)
#: The options of a profile that sets none (one shared object: ``is`` tells such a profile apart).
NO_OPTIONS = ChatOptions()


@attrs.frozen(kw_only=True)
class Agent:
    """An agent's profile: the model (``provider/model``, ``chain/NAME``, ``tier/NAME`` or an alias) or the
    task whose route it uses, its system prompt, its chat options, the tags its calls carry and the budget
    scope they count against (carried as the tag ``budget``). ``description`` is for listings."""

    name: str
    model: str | None = None
    task: str | None = None
    system: str | None = None
    options: ChatOptions = NO_OPTIONS
    tags: Mapping[str, str] = attrs.field(factory=dict)
    budget: str | None = None
    description: str | None = None

    def call_tags(self, task: str | None) -> dict[str, str]:
        """The tags a call made as this agent carries (the call's own are laid over them)."""
        out = dict(self.tags)
        out["agent"] = self.name
        if task is not None:
            out["task"] = task
        if self.budget is not None:
            out["budget"] = self.budget
        return out


def where(path: Path | None, table: str) -> str:
    """``config file PATH: [table]``, or the table alone for a config not read from a file."""
    return f"config file {path}: [{table}]" if path is not None else f"[{table}]"


def _text(place: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{place} {key}: expected a non-empty string, got {value!r}")
    return value


def _unknown(place: str, keys: list[str], known: frozenset[str]) -> ConfigurationError:
    key = keys[0]
    near = close_names(key, known)
    hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    return ConfigurationError(f"{place}: unknown key {key!r}{hint} (an agent takes "
                              f"{', '.join(sorted(_PROFILE_KEYS))} and the chat options "
                              f"{', '.join(sorted(_OPTION_NAMES - _NOT_IN_PROFILE))})")


def parse_agent(name: str, value: Any, path: Path | None = None) -> Agent:
    """One ``[agents.NAME]`` table as an :class:`Agent`, or a :class:`ConfigurationError` naming the file,
    the table and the field."""
    place = where(path, f"agents.{name}")
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{place} must be a table")
    unknown = sorted(set(value) - KNOWN_KEYS)
    if unknown:
        raise _unknown(place, unknown, KNOWN_KEYS)
    model = _text(place, "model", value["model"]) if "model" in value else None
    task = _text(place, "task", value["task"]) if "task" in value else None
    if model is not None and task is not None:
        raise ConfigurationError(f"{place}: give model or task, not both (a call's task= still wins over "
                                 f"the agent's model)")
    system = value.get("system")
    if system is not None and not isinstance(system, str):
        raise ConfigurationError(f"{place} system: expected a string, got {system!r}")
    tags = value.get("tags", {})
    if not isinstance(tags, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in tags.items()):
        raise ConfigurationError(f"{place} tags: expected a table of strings, such as tags = {{ team = "
                                 f"\"platform\" }}")
    budget = _text(place, "budget", value["budget"]) if "budget" in value else None
    description = _text(place, "description", value["description"]) if "description" in value else None
    raw = {k: v for k, v in value.items() if k in _OPTION_NAMES}
    return Agent(name=name, model=model, task=task, system=system, options=_options(place, raw),
                 tags=dict(tags), budget=budget, description=description)


def _options(place: str, raw: Mapping[str, Any]) -> ChatOptions:
    if not raw:
        return NO_OPTIONS
    from modelplex._validate import build_options

    try:
        return build_options(None, raw)
    except (InvalidRequestError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{place} {exc}") from None  # the error names the option


def parse_agents(value: Any, path: Path | None = None) -> dict[str, Agent]:
    """Every ``[agents.NAME]`` table, checked."""
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where(path, 'agents')} must hold [agents.NAME] tables")
    return {str(name): parse_agent(str(name), table, path) for name, table in value.items()}
