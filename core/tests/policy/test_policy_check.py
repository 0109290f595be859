"""``modelplex policy check FILE`` (every problem with its file and line) and ``modelplex policy explain``
(which rule decides, and why), and a bad policy refused when the config file is read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import modelplex
from modelplex._cli import cli
from modelplex.errors import ConfigurationError

GOOD = """\
# the team's policy
[policy]
dry_run = false

[[policy.rules]]
name = "pii stays here"
match = { tags = ["pii"] }
privacy = "local"

[[policy.rules]]
name = "production"
match = { tags = ["env=prod"], model = ["openai/*"] }
tiers = ["fast", "standard"]
max_cost = "0.05"

[[policy.rules]]
deny = true
"""


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user config, keys or state from the developer's machine."""
    for name in list(os.environ):
        if name.startswith("MODELPLEX_") or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MODELPLEX_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def invoke(*args: str, config: Path | None = None) -> Result:
    env = {"MODELPLEX_CONFIG": str(config)} if config is not None else {}
    return CliRunner().invoke(cli, list(args), env=env)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_good_policy_checks_ok(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", GOOD)
    result = invoke("policy", "check", str(config))
    assert result.exit_code == 0, result.output
    assert result.output == f"{config}: 3 rule(s), default allow: ok\n"


def test_each_problem_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    bad = GOOD.replace('tiers = ["fast", "standard"]', 'tiers = ["fast", "speedy"]\ncolour = "red"')
    bad = bad.replace('max_cost = "0.05"', 'max_cost = "-1"').replace('privacy = "local"', 'privacy = "here"')
    bad = bad.replace("dry_run = false", 'dry_run = "no"').replace('match = { tags = ["pii"] }',
                                                                   'match = { tag = ["pii"] }')
    bad += "\n[[policy.rules]]\nname = \"does nothing\"\n"
    config = write(tmp_path / "config.toml", bad)
    result = invoke("policy", "check", str(config))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    text = config.read_text().splitlines()

    def at(needle: str, after: int = 0) -> str:
        return f"{config}:{next(n for n, line in enumerate(text, 1) if n > after and needle in line)}:"

    assert f"{at('dry_run')} dry_run must be true or false, not 'no'" in lines
    assert f"{at('match = {')} rule 1: match: unknown key 'tag' (known: tags, agent, caller, model)" in lines
    assert f"{at('privacy')} rule 1: privacy must be 'local' or 'remote', not 'here'" in lines
    assert f"{at('speedy')} rule 2: unknown tier 'speedy' (known: flagship, standard, fast, local)" in lines
    assert any(line.startswith(f"{at('colour')} rule 2: unknown key 'colour'") for line in lines)
    assert f"{at('max_cost')} rule 2: max_cost must be 0 dollars or more, not '-1'" in lines
    last = at("[[policy.rules]]", after=text.index('deny = true'))
    assert any(line.startswith(f"{last} rule 4: a rule must say what it decides") for line in lines)
    assert len(lines) == 7


def test_keys_in_a_rules_own_sub_tables_are_found(tmp_path: Path) -> None:
    text = ('[policy]\n\n[[policy.rules]]\nname = "a"\n\n[policy.rules.match]\ntags = "pii"\nagent = 3\n'
            '\n[[policy.rules]]\nallow = "yes"\n')
    config = write(tmp_path / "config.toml", text)
    result = invoke("policy", "check", str(config))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{config}:8: rule 1: agent must be a list of non-empty strings, not 3",
        f"{config}:11: rule 2: allow must be true or false, not 'yes'",
    ]


def test_a_policy_file_of_its_own_is_checked_with_its_own_lines(tmp_path: Path) -> None:
    own = write(tmp_path / "policy.toml", 'default = "deny"\n\n[[rules]]\nname = "x"\nproviders = "openai"\n'
                                          '\n[[rules]]\nmodels = [1]\n')
    config = write(tmp_path / "config.toml", '[policy]\nfile = "policy.toml"\n')
    assert invoke("policy", "check", str(config)).output.splitlines() == [
        f"{own}:8: rule 2: models must be a list of non-empty strings, not [1]"]
    assert invoke("policy", "check", str(own)).exit_code == 1
    write(own, 'default = "deny"\n[[rules]]\nproviders = ["openai"]\n')
    result = invoke("policy", "check", str(config))
    assert result.exit_code == 0
    assert result.output == f"{config}: 1 rule(s), default deny (rules from {own}): ok\n"


def test_a_file_that_is_not_toml_is_one_line_with_its_line(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", "[policy]\n[[policy.rules]\n")
    result = invoke("policy", "check", str(config))
    assert result.exit_code == 1
    assert result.output.startswith(f"error: policy file {config}:2: ") and "line 2" in result.output


def test_a_client_refuses_a_bad_policy_when_it_reads_the_config(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", GOOD.replace('privacy = "local"', 'privacy = "here"'))
    client = modelplex.AsyncClient(config_file=config, env={})
    with pytest.raises(ConfigurationError, match=rf"invalid policy: {config}:8: rule 1: privacy must be"):
        _ = client.config


def test_explain_names_the_deciding_rule_and_those_passed_over(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", GOOD)
    result = invoke("policy", "explain", "--model", "openai/gpt-4o-mini", "--tag", "env=prod", config=config)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"rule 1 'pii stays here' ({config}:5): does not match: the request has no tag pii",
        f"rule 2 'production' ({config}:10) decides: openai/gpt-4o-mini allowed",
        "  and each request must cost at most $0.05 on it (its worst-case estimate, checked per call)",
    ]
    denied = invoke("policy", "explain", "-m", "openai/gpt-4o", "-t", "pii", "--json", config=config)
    assert denied.exit_code == 1
    data = json.loads(denied.output)
    assert data["decision"] == "denied" and data["rule"] == {"index": 1, "name": "pii stays here",
                                                             "where": f"{config}:5"}
    assert data["reasons"] == ["it is not a model on this machine (the rule allows local models only)"]


def test_explain_reads_the_merged_tier_and_the_last_rule_catches_the_rest(tmp_path: Path) -> None:
    # the config file's override of the catalog's tier is what the policy sees
    config = write(tmp_path / "config.toml", GOOD + '[models."openai/gpt-4o"]\ntier = "flagship"\n')
    flagship = invoke("policy", "explain", "-m", "openai/gpt-4o", "-t", "env=prod", config=config)
    assert flagship.exit_code == 1
    assert "decides: openai/gpt-4o denied: its tier is flagship; the rule allows fast, standard" \
        in flagship.output
    other = invoke("policy", "explain", "-m", "anthropic/claude-haiku-4-5", "--agent", "a", config=config)
    assert other.exit_code == 1
    assert other.output.splitlines()[-1] == (f"rule 3 ({config}:16) decides: anthropic/claude-haiku-4-5 "
                                             "denied: the rule denies it")


def test_explain_without_a_policy_says_everything_is_allowed(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", "")
    result = invoke("policy", "explain", "-m", "openai/gpt-4o", config=config)
    assert result.exit_code == 0
    assert result.output == "No policy is configured ([policy] in the config file): every model is allowed.\n"


def test_a_config_file_without_a_policy_says_so(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", '[providers.openai]\nbase_url = "http://127.0.0.1:1/v1"\n')
    result = invoke("policy", "check", str(config))
    assert result.exit_code == 1
    assert result.output == f"{config}: no policy here: neither a [policy] table nor [[rules]]\n"
