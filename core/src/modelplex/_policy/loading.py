"""Reading a policy: ``[policy]`` of the config file or a policy file of its own, every value checked, every
problem reported with its file and line.

``tomllib`` gives no line numbers, so the lines are found by scanning the text (:class:`Locator`): the
``[[policy.rules]]`` (or ``[[rules]]``) headers in order, and a key's ``name =`` line within its rule's
lines (or its table's). A key written where the scan does not look (a whole rule as an inline table)
is cited at its rule's header, or at the file alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from modelplex._catalog.records import TIERS, Capabilities
from modelplex._policy.rules import Match, Policy, Rule
from modelplex.errors import ConfigurationError

_MATCH_KEYS = {"tags": "tags", "agent": "agents", "caller": "callers", "model": "models"}
_LISTS = ("models", "deny_models", "providers", "deny_providers", "tiers", "capabilities", "retention",
          "require_tags")
_RULE_KEYS = frozenset({"name", "match", "allow", "deny", "privacy", "max_cost", "dry_run", *_LISTS})
_TOP_KEYS = frozenset({"rules", "default", "dry_run", "file"})
_CAPABILITIES = tuple(a.name for a in attrs.fields(Capabilities))
_HEADER = re.compile(r"^\s*\[")


class Locator:
    """Lines of a policy's text: each rule's header, and the line of a key within a rule or the top
    table. ``prefix`` is ``policy.`` in a config file, empty in a policy file of its own."""

    def __init__(self, text: str, prefix: str) -> None:
        self.lines = text.splitlines()
        dotted = r"\s*\.\s*".join(map(re.escape, f"{prefix}rules".split(".")))
        rules = re.compile(rf"^\s*\[\[\s*{dotted}\s*\]\]")
        self.rules = [n for n, line in enumerate(self.lines) if rules.match(line)]
        self.prefix = prefix
        self.top: int | None = None
        if prefix:
            table = re.compile(rf"^\s*\[\s*{re.escape(prefix.rstrip('.'))}\s*\]")
            self.top = next((n for n, line in enumerate(self.lines) if table.match(line)), None)
        else:
            self.top = -1  # the file's top, before its first header

    def _span(self, start: int, own: str | None) -> range:
        """From ``start`` to the next header that is not one of this rule's sub-tables (``own``)."""
        end = start + 1
        while end < len(self.lines):
            line = self.lines[end]
            if _HEADER.match(line) and not (own and line.strip().startswith(f"[{own}.")):
                break
            end += 1
        return range(max(start, 0), end)

    def rule(self, index: int) -> int | None:
        """The line (from 1) of rule ``index`` (from 1)'s header."""
        return self.rules[index - 1] + 1 if 0 < index <= len(self.rules) else None

    def key(self, index: int | None, *names: str) -> int | None:
        """The line of the first of ``names`` written in rule ``index`` (``None``: the top table); else
        the rule's header line."""
        if index is None:
            if self.top is None:
                return None
            span = self._span(self.top, None)
        elif 0 < index <= len(self.rules):
            span = self._span(self.rules[index - 1], f"{self.prefix}rules")
        else:
            return None
        for name in names:
            pattern = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
            for n in span:
                if pattern.match(self.lines[n]):
                    return n + 1
        return None if index is None else self.rule(index)


class Problems:
    """Every problem found in a policy, each with its file and line."""

    def __init__(self, path: Path | None, locator: Locator | None) -> None:
        self.path, self.locator = path, locator
        self.found: list[str] = []

    def where(self, index: int | None, *keys: str) -> str | None:
        """``file:line`` of ``keys`` in rule ``index`` (or the top table), as far as it is known."""
        if self.path is None:
            return None
        line = self.locator.key(index, *keys) if self.locator is not None and keys else (
            self.locator.rule(index) if self.locator is not None and index is not None else None)
        return f"{self.path}:{line}" if line else str(self.path)

    def add(self, index: int | None, keys: tuple[str, ...], message: str) -> None:
        place = self.where(index, *keys)
        what = f"rule {index}: " if index is not None else ""
        self.found.append(f"{place}: {what}{message}" if place else f"{what}{message}")


def _strings(value: Any, problems: Problems, index: int | None, key: str, *at: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(index, (*at, key), f"{key} must be a list of non-empty strings, not {value!r}")
        return ()
    return tuple(value)


def _money(value: Any, problems: Problems, index: int) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(index, ("max_cost",), f"max_cost must be an amount in dollars (\"0.05\"), not {value!r}")
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        problems.add(index, ("max_cost",), f"max_cost must be 0 dollars or more, not {value!r}")
        return None
    return amount


def _rule(raw: Any, index: int, problems: Problems) -> Rule | None:
    if not isinstance(raw, Mapping):
        problems.add(index, (), f"a rule must be a table, not {raw!r}")
        return None
    before = len(problems.found)
    unknown = sorted(set(raw) - _RULE_KEYS)
    for key in unknown:
        problems.add(index, (key,), f"unknown key {key!r} (known: {', '.join(sorted(_RULE_KEYS))})")
    values: dict[str, Any] = {}
    name = raw.get("name")
    if name is not None and not (isinstance(name, str) and name):
        problems.add(index, ("name",), f"name must be a non-empty string, not {name!r}")
    values["name"] = name if isinstance(name, str) and name else None
    match = raw.get("match", {})
    if not isinstance(match, Mapping):
        problems.add(index, ("match",), f"match must be a table (tags, agent, caller, model), not {match!r}")
        match = {}
    for key in sorted(set(match) - set(_MATCH_KEYS)):
        problems.add(index, (key, "match"), f"match: unknown key {key!r} (known: tags, agent, caller, model)")
    values["match"] = Match(**{field: _strings(match[key], problems, index, key, "match")
                               for key, field in _MATCH_KEYS.items() if key in match})
    for flag in ("allow", "deny", "dry_run"):
        if flag in raw and not isinstance(raw[flag], bool):
            problems.add(index, (flag,), f"{flag} must be true or false, not {raw[flag]!r}")
    if raw.get("allow") is True and raw.get("deny") is True:
        problems.add(index, ("deny", "allow"), "a rule cannot both allow and deny")
    values["deny"] = raw.get("deny") is True
    values["dry_run"] = raw.get("dry_run") is True
    for key in _LISTS:
        if key in raw:
            values[key] = _strings(raw[key], problems, index, key)
    for tier in values.get("tiers", ()):
        if tier not in TIERS:
            problems.add(index, ("tiers",), f"unknown tier {tier!r} (known: {', '.join(TIERS)})")
    for capability in values.get("capabilities", ()):
        if capability not in _CAPABILITIES:
            problems.add(index, ("capabilities",),
                         f"unknown capability {capability!r} (known: {', '.join(_CAPABILITIES)})")
    if "privacy" in raw:
        if raw["privacy"] not in ("local", "remote"):
            problems.add(index, ("privacy",), f"privacy must be 'local' or 'remote', not {raw['privacy']!r}")
        else:
            values["privacy"] = raw["privacy"]
    if "max_cost" in raw:
        values["max_cost"] = _money(raw["max_cost"], problems, index)
    constrained = values["deny"] or any(values.get(k) for k in (*_LISTS, "privacy")) or \
        values.get("max_cost") is not None
    if not constrained and raw.get("allow") is not True and len(problems.found) == before:
        problems.add(index, (), "a rule must say what it decides: allow = true, deny = true, or a constraint "
                                "(models, providers, tiers, capabilities, privacy, retention, max_cost, "
                                "require_tags)")
    if len(problems.found) != before:
        return None
    return Rule(index=index, where=problems.where(index), **values)


def parse(table: Any, path: Path | None, locator: Locator | None) -> tuple[Policy | None, list[str]]:
    """The policy of ``table`` (``[policy]``, or a policy file's top level), and every problem in it."""
    problems = Problems(path, locator)
    if not isinstance(table, Mapping):
        problems.add(None, (), f"[policy] must be a table, not {table!r}")
        return None, problems.found
    for key in sorted(set(table) - _TOP_KEYS):
        problems.add(None, (key,), f"unknown key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    default = table.get("default", "allow")
    if default not in ("allow", "deny"):
        problems.add(None, ("default",), f"default must be \"allow\" or \"deny\", not {default!r}")
    dry_run = table.get("dry_run", False)
    if not isinstance(dry_run, bool):
        problems.add(None, ("dry_run",), f"dry_run must be true or false, not {dry_run!r}")
    raw_rules = table.get("rules", [])
    if not isinstance(raw_rules, list):
        problems.add(None, ("rules",), "rules must be an array of tables ([[policy.rules]])")
        raw_rules = []
    rules = [_rule(raw, n, problems) for n, raw in enumerate(raw_rules, start=1)]
    if problems.found:
        return None, problems.found
    return Policy(rules=tuple(r for r in rules if r is not None), default=default, dry_run=dry_run,
                  source=str(path) if path is not None else None,
                  default_where=problems.where(None, "default") if "default" in table else None), []


def read(path: Path, prefix: str) -> tuple[Any, Locator]:
    """``path``'s TOML and its locator; a file that cannot be read or parsed is a ConfigurationError."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        at = re.search(r"\(at line (\d+)", str(exc))  # tomllib says where, in its message only
        raise ConfigurationError(f"policy file {path}{':' + at[1] if at else ''}: {exc}") from None
    except OSError as exc:
        raise ConfigurationError(f"policy file {path}: cannot read it: {exc.strerror or exc}") from None
    return data, Locator(text, prefix)


def collect(table: Any, path: Path | None) -> tuple[Policy | None, list[str]]:
    """The policy of ``[policy]`` read from the config file ``path`` (following its ``file``), and
    every problem, each with its file and line."""
    locator = None
    if path is not None:
        try:
            locator = Locator(path.read_text(encoding="utf-8"), "policy.")
        except (OSError, UnicodeDecodeError):
            locator = None
    if isinstance(table, Mapping) and "file" in table:
        problems = Problems(path, locator)
        named = table["file"]
        extra = sorted(set(table) - {"file", "dry_run"})
        for key in extra:
            problems.add(None, (key,), f"{key!r} belongs in the policy file when [policy] names one")
        if not isinstance(named, str) or not named:
            problems.add(None, ("file",), f"file must be a path, not {named!r}")
            return None, problems.found
        own = Path(named).expanduser()
        if not own.is_absolute() and path is not None:
            own = path.parent / own
        if not own.exists():
            problems.add(None, ("file",), f"policy file {own} does not exist")
            return None, problems.found
        data, own_locator = read(own, "")
        policy, found = parse(data, own, own_locator)
        if policy is not None and isinstance(table.get("dry_run"), bool):
            policy = attrs.evolve(policy, dry_run=table["dry_run"])  # the config file's word wins
        return policy, problems.found + found
    return parse(table, path, locator)


def load_policy(table: Any, path: Path | None) -> Policy:
    """``[policy]`` read with the config file: checked now, a problem raised with its file and line."""
    policy, problems = collect(table, path)
    if problems or policy is None:
        raise ConfigurationError("invalid policy: " + "; ".join(problems))
    return policy


def check_file(path: Path) -> tuple[Policy | None, list[str]]:
    """``modelplex policy check``: a config file's ``[policy]`` (if it has one) or a policy file's rules."""
    data, locator = read(path, "")
    if "policy" in data and not ({"rules", "default"} & set(data)):
        return collect(data["policy"], path)
    if not _TOP_KEYS & set(data):  # a config file without a policy, say
        return None, [f"{path}: no policy here: neither a [policy] table nor [[rules]]"]
    return parse(data, path, locator)
