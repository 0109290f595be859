"""``[agents.NAME]`` and ``[routing.tasks]`` read with the config file: checked, and kept parsed in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelplex._agents.profiles import parse_agents
from modelplex._agents.tasks import parse_tasks


def parse_config(data: dict[str, Any], path: Path | None) -> None:
    """Replace ``data``'s ``agents`` and ``routing.tasks`` tables by their checked forms (``Agent``
    objects by name; task name to address), or raise a :class:`~modelplex.errors.ConfigurationError`
    naming the file, the table and the field."""
    if "agents" in data:
        data["agents"] = parse_agents(data["agents"], path)
    routing = data.get("routing")
    if isinstance(routing, dict) and "tasks" in routing:
        routing["tasks"] = parse_tasks(routing["tasks"], path)
