"""``modelplex health``: providers and models, their failures, cool-downs and last errors.

Providers are probed through their model lists (free endpoints, never a billed completion) unless
``--no-probe``. With a ``redis`` URL configured, the cool-downs other processes recorded show too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from modelplex._cli.output import echo_json, echo_table
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex

UNHEALTHY = ("failing", "cooling_down")


def _age(when: float | None) -> str:
    if when is None:
        return ""
    seconds = max(0.0, time.time() - when)
    return f" ({seconds:.0f}s ago)" if seconds < 3600 else f" ({seconds / 3600:.1f}h ago)"


def _row(status: modelplex.HealthStatus) -> list[str]:
    cooling = f"{status.cooling_down_for:.1f}s" if status.cooling_down_for else "-"
    error = f"{status.last_error}{_age(status.last_error_at)}" if status.last_error else "-"
    return [status.target, status.state.replace("_", " "), str(status.consecutive_failures), cooling,
            " ".join(error.split())]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of health statuses.")
@click.option("--no-probe", is_flag=True,
              help="Do not ask the providers for their model lists; show what is recorded only.")
@click.pass_context
def health(ctx: click.Context, as_json: bool, no_probe: bool) -> None:
    """Show each provider's and model's health: failures, cool-downs and the last error.

    Exits with 1 when any provider or model is failing or cooling down.
    """
    from modelplex import unstructure

    client = get_state(ctx).client
    statuses = client.health(probe=not no_probe)
    if as_json:
        echo_json([unstructure(s) for s in statuses])
    elif statuses:
        echo_table(["TARGET", "STATE", "FAILURES", "COOL-DOWN", "LAST ERROR"], [_row(s) for s in statuses])
    else:
        click.echo("No providers (see 'modelplex plugins').")
    if any(s.state in UNHEALTHY for s in statuses):
        ctx.exit(1)
