"""The kit's documents cannot drift from the kit: docs/contract-kit.md carries the table of contract
groups generated from ``contract.GROUPS``, every test of ``ProviderContract`` is in it, and the worked
example of docs/recordings.md is a real fixture, byte for byte, that validates.

To regenerate the table after changing ``GROUPS``: ``python testing/tests/test_kit_docs.py``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from modelplex_testing.contract import FLAGS, GROUPS, ProviderContract
from modelplex_testing.recording import validate

REPO = Path(__file__).resolve().parents[2]
KIT_DOC = REPO / "docs" / "contract-kit.md"
FORMAT_DOC = REPO / "docs" / "recordings.md"
BEGIN, END = "<!-- groups: generated from contract.GROUPS -->", "<!-- end of groups -->"


def groups_table() -> str:
    """The markdown table of every contract group, as docs/contract-kit.md must carry it."""
    rows = ["| test | scenario | switched on by | a pass proves |", "| --- | --- | --- | --- |"]
    for group in GROUPS:
        scenario = f"`{group.scenario}`" if group.scenario else "(none)"
        flags = " and ".join(f"`{f}`" for f in group.flags) or "(always runs)"
        rows.append(f"| `{group.test}` | {scenario} | {flags} | {group.proves} |")
    return "\n".join(rows)


def test_every_contract_test_is_a_documented_group() -> None:
    tests = {name for name in dir(ProviderContract) if name.startswith("test_")}
    assert tests == {g.test for g in GROUPS}, "a test of ProviderContract is missing from GROUPS"
    doc = KIT_DOC.read_text(encoding="utf-8")
    between = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip() if BEGIN in doc else ""
    assert between == groups_table(), (
        "docs/contract-kit.md's group table is not the one contract.GROUPS gives: run "
        "python testing/tests/test_kit_docs.py")


def test_every_flag_is_declared_and_explained() -> None:
    declared = {n for n in vars(ProviderContract) if n.startswith("supports_")}
    assert declared == set(FLAGS)
    assert {f for g in GROUPS for f in g.flags} <= declared
    doc = KIT_DOC.read_text(encoding="utf-8")
    assert [f for f in FLAGS if f"`{f}`" not in doc.split(BEGIN, 1)[0]] == []


def test_the_worked_example_is_a_real_fixture() -> None:
    doc = FORMAT_DOC.read_text(encoding="utf-8")
    named = re.search(r"worked example is `([^`]+\.json)`", doc)
    assert named, "docs/recordings.md must name its worked example's file"
    path = REPO / named.group(1)
    block = doc.split(f"`{named.group(1)}`", 1)[1].split("```json\n", 1)[1].split("\n```", 1)[0]
    assert block == path.read_text(encoding="utf-8").rstrip("\n")
    assert validate(path) == json.loads(block)


if __name__ == "__main__":
    text = KIT_DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    KIT_DOC.write_text(f"{head}{BEGIN}\n{groups_table()}\n{END}{tail}", encoding="utf-8")
    sys.exit(0)
