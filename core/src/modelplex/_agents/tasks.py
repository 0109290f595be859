"""``[routing.tasks]``: a task's name and the model or chain that serves it.

Four tasks have a route without configuration (:data:`BUILTIN_TASKS`); a configured route replaces the
built-in one of the same name, and any other name may be added. A task nobody routed is an error naming
the known ones, never a silent default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelplex._agents.profiles import where
from modelplex.errors import ConfigurationError

#: The routes of tasks the config does not name: cost tiers and the machine's own models.
BUILTIN_TASKS: Mapping[str, str] = {
    "reasoning": "tier/premium",
    "coding": "tier/premium",
    "summarization": "tier/economy",
    "local": "chain/local",
}


def parse_tasks(value: Any, path: Path | None = None) -> dict[str, str]:
    """``[routing.tasks]``: task name to address (``provider/model``, ``chain/NAME``, ``tier/NAME`` or an
    alias), each a non-empty string; what it points at is checked when the task is first used."""
    place = where(path, "routing.tasks")
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{place} must be a table of TASK = \"provider/model\"")
    out = {}
    for name, target in value.items():
        if not isinstance(target, str) or not target:
            raise ConfigurationError(f"{place} {name}: expected an address such as \"openai/gpt-4o-mini\", "
                                     f"\"chain/NAME\" or \"tier/economy\", got {target!r}")
        out[str(name)] = target
    return out


def task_routes(configured: Mapping[str, str]) -> dict[str, str]:
    """Every task's route: the built-in ones with the configured ones over them."""
    return {**BUILTIN_TASKS, **configured}
