"""Each kind of rule decides as written: what it matches (tags, agent, caller, model), each constraint
(models, providers, tiers, capabilities, privacy, retention, max_cost, required tags), the default,
and nothing exempt for want of data (an unknown tier, capability, retention note or price fails)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from modelplex import Capabilities, ModelInfo
from modelplex._policy.loading import load_policy
from modelplex._policy.matching import Candidate, Request, decide
from modelplex._policy.rules import Policy, Verdict

LOCAL = ModelInfo(id="llama3", provider="ollama", tier="local", local=True,
                  capabilities=Capabilities(chat=True, tools=False))
CLOUD = ModelInfo(id="gpt-4o", provider="openai", tier="standard", retention="Not used for training; 30 days",
                  capabilities=Capabilities(chat=True, tools=True))
BARE = ModelInfo(id="mystery", provider="acme")  # nothing known


def policy(text: str, tmp_path: Path) -> Policy:
    import tomllib

    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_policy(tomllib.loads(text)["policy"], path)


def verdict(p: Policy, info: ModelInfo, tags: dict[str, str] | None = None, caller: str | None = None,
            cost: Decimal | None = Decimal("0.01")) -> Verdict:
    return decide(p, Request(tags=tags or {}, caller=caller),
                  Candidate(info.address, info.provider, lambda: info, lambda: cost))


def test_match_by_tag_value_agent_caller_and_model(tmp_path: Path) -> None:
    p = policy('[policy]\n[[policy.rules]]\nname = "r"\nmatch = { tags = ["env=prod*"], agent = ["bot-*"], '
               'caller = ["svc"], model = ["openai/*"] }\ndeny = true\n', tmp_path)
    everything = {"env": "production", "agent": "bot-1"}
    assert not verdict(p, CLOUD, everything, "svc").allowed
    assert verdict(p, CLOUD, {**everything, "env": "dev"}, "svc").allowed  # each part must hold
    assert verdict(p, CLOUD, {**everything, "agent": "human"}, "svc").allowed
    assert verdict(p, CLOUD, everything, "other").allowed
    assert verdict(p, LOCAL, everything, "svc").allowed
    passed_over = verdict(p, CLOUD, {"env": "dev"}, "svc")
    assert passed_over.rule is None and passed_over.skipped[0][1] == "the request has no tag env=prod*"


@pytest.mark.parametrize(("rule", "info", "allowed"), [
    ('models = ["openai/gpt-4o*"]', CLOUD, True),
    ('models = ["openai/gpt-5*"]', CLOUD, False),
    ('deny_models = ["*/gpt-4o"]', CLOUD, False),
    ('providers = ["ollama"]', CLOUD, False),
    ('deny_providers = ["openai"]', LOCAL, True),
    ('tiers = ["standard"]', CLOUD, True),
    ('tiers = ["standard"]', BARE, False),           # tier not known
    ('capabilities = ["tools"]', CLOUD, True),
    ('capabilities = ["tools"]', LOCAL, False),      # known not to
    ('capabilities = ["tools"]', BARE, False),       # not known
    ('privacy = "local"', LOCAL, True),
    ('privacy = "local"', BARE, False),              # local only where something says so
    ('privacy = "remote"', LOCAL, False),
    ('retention = ["not used for training*"]', CLOUD, True),  # case-blind
    ('retention = ["*zero retention*"]', CLOUD, False),
    ('retention = ["*"]', BARE, False),              # no retention note known
    ('retention = ["*zero retention*"]', LOCAL, True),  # nothing leaves the machine
    ('allow = true', BARE, True),
])
def test_each_constraint(tmp_path: Path, rule: str, info: ModelInfo, allowed: bool) -> None:
    p = policy(f"[policy]\n[[policy.rules]]\n{rule}\n", tmp_path)
    result = verdict(p, info)
    assert result.allowed is allowed, result.reasons
    assert result.rule is not None and result.rule.index == 1
    assert bool(result.reasons) is not allowed


def test_max_cost_and_required_tags(tmp_path: Path) -> None:
    p = policy('[policy]\n[[policy.rules]]\nmax_cost = "0.05"\nrequire_tags = ["team"]\n', tmp_path)
    assert verdict(p, CLOUD, {"team": "x"}, cost=Decimal("0.05")).allowed
    dear = verdict(p, CLOUD, {"team": "x"}, cost=Decimal("0.0500001"))
    assert dear.reasons == ("its worst-case cost $0.0500001 is more than the $0.05 the rule allows",)
    unknown = verdict(p, CLOUD, {"team": "x"}, cost=None)
    assert not unknown.allowed and "not known" in unknown.reasons[0]
    untagged = verdict(p, CLOUD, {}, cost=Decimal(0))
    assert untagged.reasons == ("the request has no tag 'team', which the rule requires",)


def test_the_default_and_dry_run(tmp_path: Path) -> None:
    p = policy('[policy]\ndefault = "deny"\n[[policy.rules]]\nmatch = { tags = ["ok"] }\nallow = true\n',
               tmp_path)
    assert verdict(p, CLOUD, {"ok": ""}).allowed
    fallen = verdict(p, CLOUD)
    assert not fallen.allowed and fallen.rule is None and not fallen.dry_run
    assert p.default_where == f"{tmp_path / 'config.toml'}:2"
    dry = policy('[policy]\ndry_run = true\n[[policy.rules]]\ndeny = true\n', tmp_path)
    assert verdict(dry, CLOUD).dry_run and not verdict(dry, CLOUD).allowed
    rule_dry = policy('[policy]\n[[policy.rules]]\ndeny = true\ndry_run = true\n', tmp_path)
    assert verdict(rule_dry, CLOUD).dry_run


def test_a_rule_about_the_model_reads_its_info_and_one_about_tags_does_not(tmp_path: Path) -> None:
    read: list[str] = []

    def info() -> ModelInfo:
        read.append("info")
        return CLOUD

    p = policy('[policy]\n[[policy.rules]]\nmodels = ["openai/*"]\n', tmp_path)
    decide(p, Request(), Candidate(CLOUD.address, "openai", info, None))
    assert read == []  # a glob on the address needs no catalog lookup
    p = policy('[policy]\n[[policy.rules]]\ntiers = ["standard"]\n', tmp_path)
    decide(p, Request(), Candidate(CLOUD.address, "openai", info, None))
    assert read == ["info"]
