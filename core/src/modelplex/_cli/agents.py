"""``modelplex agents``: the ``[agents.NAME]`` profiles and ``[routing.tasks]`` routes, each with the address
it resolves to here (a chain with its models) or why it cannot be used. Nothing is sent."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.output import echo_json, echo_table
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    from collections.abc import Callable

    from modelplex._client import AsyncClient


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the agents and the tasks as one JSON object.")
@click.pass_context
def agents(ctx: click.Context, as_json: bool) -> None:
    """List agents ([agents.NAME]) and task routes ([routing.tasks]), and what each resolves to.

    Use them with 'modelplex chat --agent NAME' or '--task TASK'. A task not in the config file is a
    built-in route; the cost tiers (tier/premium, tier/standard, tier/economy) are the chains of the
    same names, built from the catalog's tiers and prices over the providers with keys.
    """
    from modelplex._agents.resolve import agents_of, checked, task_address, tasks_of

    client = get_state(ctx).client.async_client
    routing = client.config.get("routing")
    configured = routing.get("tasks", {}) if isinstance(routing, dict) else {}
    agent_rows: list[dict[str, Any]] = []
    for name, agent in sorted(agents_of(client).items()):
        if agent.model is not None:
            route, resolved = agent.model, _resolved(client, partial(checked, client, agent.model, ""))
        elif agent.task is not None:
            route = f"task {agent.task}"
            resolved = _resolved(client, partial(task_address, client, agent.task, ""))
        else:
            route, resolved = "-", {"error": "names no model and no task"}
        agent_rows.append({"name": name, "route": route, "resolves_to": resolved, "budget": agent.budget,
                           "description": agent.description})
    task_rows: list[dict[str, Any]] = [
        {"name": name, "route": target, "source": "config" if name in configured else "built-in",
         "resolves_to": _resolved(client, partial(checked, client, target, ""))}
        for name, target in sorted(tasks_of(client).items())]
    if as_json:
        echo_json({"agents": agent_rows, "tasks": task_rows})
        return
    if agent_rows:
        echo_table(["AGENT", "ROUTE", "RESOLVES TO", "DESCRIPTION"],
                   [[r["name"], r["route"], _shown(r["resolves_to"]), r["description"] or ""]
                    for r in agent_rows])
    else:
        click.echo("no agents; define one as [agents.NAME] in the config file", err=True)
    click.echo()
    echo_table(["TASK", "ROUTE", "SOURCE", "RESOLVES TO"],
               [[r["name"], r["route"], r["source"], _shown(r["resolves_to"])] for r in task_rows])


def _resolved(client: AsyncClient, address_of: Callable[[], str]) -> dict[str, Any]:
    """``{"address": ..., "models": [...]}`` (``models`` for a chain), or ``{"error": ...}``."""
    from modelplex.errors import ModelplexError

    try:
        address = address_of()
    except ModelplexError as exc:
        return {"error": str(exc).removeprefix(": ")}  # the row names what failed: no place before it
    out: dict[str, Any] = {"address": address}
    if address.startswith("chain/"):
        route = client.router.route(address)
        if route is not None and route.chain is not None:
            out["models"] = [e.model for e in route.chain.entries]
    return out


def _shown(resolved: dict[str, Any]) -> str:
    if "error" in resolved:
        return f"unavailable: {resolved['error']}"
    models = resolved.get("models")
    if models is None:
        return str(resolved["address"])
    return f"{resolved['address']} ({', '.join(models) or 'found at call time'})"
