"""``modelplex policy check FILE`` and ``modelplex policy explain --model M [--tag T]...``: the governance
policy (:mod:`modelplex._policy`) validated with each problem's file and line, and the rule that decides a
request to a model, with why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from modelplex._cli.output import echo_json
from modelplex._cli.state import get_state


@click.group()
def policy() -> None:
    """Check the governance policy, and see which rule decides a request."""


@policy.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate the policy in FILE: a config file's [policy], or a policy file of its own.

    Prints each problem as FILE:LINE: message and exits with 1 when there is any.
    """
    from modelplex._policy.loading import check_file

    if not file.exists():
        raise click.UsageError(f"{file} does not exist")
    found, problems = check_file(file)
    for problem in problems:
        click.echo(problem, err=True)
    if problems or found is None:
        raise SystemExit(1)
    where = f" (rules from {found.source})" if found.source and found.source != str(file) else ""
    dry = ", dry run" if found.dry_run else ""
    click.echo(f"{file}: {len(found.rules)} rule(s), default {found.default}{dry}{where}: ok")


def _tags(values: tuple[str, ...], agent: str | None) -> dict[str, str]:
    tags = {}
    for value in values:
        name, _, rest = value.partition("=")
        if not name:
            raise click.UsageError(f"--tag {value!r}: give NAME or NAME=VALUE")
        tags[name] = rest
    if agent is not None:
        tags["agent"] = agent
    return tags


@policy.command()
@click.option("--model", "-m", "address", required=True, help="The model: provider/model.")
@click.option("--tag", "-t", "tag_values", multiple=True, help="A tag of the request: NAME or NAME=VALUE "
              "(repeat for more).")
@click.option("--agent", help="The request's agent.")
@click.option("--caller", help="The request's caller.")
@click.option("--file", "policy_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The policy to read (a config or policy file; default: the config file's [policy]).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.pass_context
def explain(ctx: click.Context, address: str, tag_values: tuple[str, ...], agent: str | None,
            caller: str | None, policy_file: Path | None, as_json: bool) -> None:
    """Say which rule decides a request to MODEL with these tags, agent and caller, and why.

    A rule's max_cost depends on each request (its worst-case estimate): it is named, not checked.
    Exits with 1 when the model is denied.
    """
    from modelplex._catalog.merge import model_info
    from modelplex._policy.loading import check_file
    from modelplex._policy.matching import Candidate, Request, decide
    from modelplex._policy.rules import Policy
    from modelplex._routing.address import split_model
    from modelplex._validate import check_address

    address = check_address(address)
    provider, model = split_model(address)
    tags = _tags(tag_values, agent)
    client = get_state(ctx).client
    if policy_file is not None:
        found, problems = check_file(policy_file)
        if problems or found is None:
            raise click.ClickException("the policy has problems (see 'modelplex policy check "
                                       f"{policy_file}'): {problems[0] if problems else ''}")
    else:
        configured = client.async_client.config.get("policy")
        if not isinstance(configured, Policy):
            click.echo("No policy is configured ([policy] in the config file): every model is allowed.")
            return
        found = configured
    candidate = Candidate(address, provider, lambda: model_info(client, provider, model), None)
    verdict = decide(found, Request(tags=tags, caller=caller), candidate)
    _show(verdict, found, address, as_json)
    if not verdict.allowed and not verdict.dry_run:
        ctx.exit(1)


def _show(verdict: Any, found: Any, address: str, as_json: bool) -> None:
    rule = verdict.rule
    outcome = "allowed" if verdict.allowed else "would be denied (dry run)" if verdict.dry_run else "denied"
    if as_json:
        echo_json({"model": address, "decision": outcome,
                   "rule": None if rule is None else {"index": rule.index, "name": rule.name,
                                                      "where": rule.where},
                   "reasons": list(verdict.reasons),
                   "max_cost": None if rule is None or rule.max_cost is None else str(rule.max_cost),
                   "skipped": [{"index": r.index, "name": r.name, "where": r.where, "why": why}
                               for r, why in verdict.skipped]})
        return
    for skipped, why in verdict.skipped:
        click.echo(f"rule {skipped.index} {_cited(skipped)}: does not match: {why}")
    who = f"rule {rule.index} {_cited(rule)}" if rule is not None else \
        f"no rule matches: the default ({found.default})"
    reasons = f": {'; '.join(verdict.reasons)}" if verdict.reasons else ""
    click.echo(f"{who} decides: {address} {outcome}{reasons}")
    if verdict.pending_cost and rule is not None:
        click.echo(f"  and each request must cost at most ${rule.max_cost} on it (its worst-case "
                   "estimate, checked per call)")


def _cited(rule: Any) -> str:
    name = f"{rule.name!r} " if rule.name else ""
    return f"{name}({rule.where})" if rule.where else name.strip() or "(no name)"
