"""The compatibility matrix's page, made from the result files that :mod:`modelplex_testing.matrix` writes.

``python -m modelplex_testing.matrix_page --results .nox/matrix --root . --packages core openai ...``
checks docs/compatibility.md and the README's table (between ``<!-- matrix:start -->`` and
``<!-- matrix:end -->``) against what the results show, and fails (exit 1), printing the difference, when
either differs: a page claiming a ✓ that no passing test shows is a failure. ``--write`` writes them
instead. It refuses (exit 2) when a package named by ``--packages`` has no result file or only a partial
run's.

A cell is ✗ when a test backing it failed, else ✓ when one passed, else ? when one was skipped for
another reason than a capability flag that is off (a scenario not given, a program missing) or no test
backs it at all, else — (every backing test says the provider does not support it: a contract test
skipped by a capability flag, or a test marked ``unsupported=`` showing that the plugin does without).
"""

from __future__ import annotations

import argparse
import difflib
import enum
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from modelplex_testing.matrix import FEATURES

PAGE = Path("docs") / "compatibility.md"
README = Path("README.md")
START = "<!-- matrix:start -->"
END = "<!-- matrix:end -->"


class State(enum.Enum):
    """A cell's verdict; the value is what the table shows."""

    PASSED = "✓"
    FAILED = "✗"
    UNSUPPORTED = "—"
    UNTESTED = "?"


@attrs.frozen(kw_only=True)
class Result:
    """One test's outcome for one provider (a line of a result file)."""

    nodeid: str
    provider: str
    features: tuple[str, ...]
    file: str
    line: int
    outcome: str
    reason: str | None = None
    unsupported: tuple[str, ...] = ()

    @property
    def state(self) -> State:
        """What this test alone says about its features."""
        if self.outcome not in ("passed", "skipped"):
            return State.FAILED  # failed, or collected and never run
        if self.unsupported:  # skipped by a capability flag, or showing the plugin does without
            return State.UNSUPPORTED
        return State.PASSED if self.outcome == "passed" else State.UNTESTED

    @property
    def why(self) -> str:
        """The outcome in words, for the page."""
        if self.unsupported:
            return f"not supported: {', '.join(self.unsupported)}"
        if self.outcome == "skipped":
            return f"skipped: {self.reason}"
        return self.outcome


@attrs.frozen(kw_only=True)
class Cell:
    """One provider's feature: the verdict and the tests behind it (best evidence first)."""

    state: State
    tests: tuple[Result, ...] = ()


class Incomplete(Exception):
    """Some package's tests have no complete result file: the page cannot be checked."""


# The order in which a cell's tests decide it, and are listed.
_RANK = {State.FAILED: 0, State.PASSED: 1, State.UNTESTED: 2, State.UNSUPPORTED: 3}


def cell(tests: Iterable[Result]) -> Cell:
    """The verdict of the tests backing one provider's feature."""
    ordered = tuple(sorted(tests, key=lambda t: (_RANK[t.state], t.nodeid)))
    return Cell(state=ordered[0].state if ordered else State.UNTESTED, tests=ordered)


def load(results: Path, packages: Sequence[str]) -> list[Result]:
    """The results of ``packages`` (result files named after their directories); raises
    :class:`Incomplete` naming each package whose file is missing or from a partial run."""
    found: list[Result] = []
    gaps = []
    for package in packages:
        path = results / f"{package}.json"
        if not path.is_file():
            gaps.append(f"{package}: no results in {path}")
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if not data["complete"]:
            gaps.append(f"{package}: the last run in {data['directory']} ran only some tests")
        found.extend(Result(nodeid=t["nodeid"], provider=t["provider"], features=tuple(t["features"]),
                            file=t["file"], line=t["line"], outcome=t["outcome"], reason=t["reason"],
                            unsupported=tuple(t["unsupported"])) for t in data["tests"])
    if gaps:
        raise Incomplete("; ".join(gaps))
    return found


def cells(results: Iterable[Result]) -> dict[str, dict[str, Cell]]:
    """Provider to feature to cell, every feature present for every provider seen."""
    by: dict[str, dict[str, list[Result]]] = {}
    for r in results:
        row = by.setdefault(r.provider, {f: [] for f in FEATURES})
        for feature in r.features:
            row[feature].append(r)
    return {p: {f: cell(tests) for f, tests in row.items()} for p, row in sorted(by.items())}


def _link(result: Result, root: Path, base: str) -> str:
    # The file, not its line: a line anchor would make every edit above a test a change of the checked
    # page, failing CI on a claim that did not change. The test's node id is in the title or beside it.
    path = Path(result.file).resolve().relative_to(root.resolve()).as_posix()
    return f"{base}{path}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace('"', "'").replace("\n", " ")


def _table_cell(c: Cell, root: Path, base: str) -> str:
    if not c.tests:
        return State.UNTESTED.value
    first = c.tests[0]
    passing = sum(t.state is State.PASSED for t in c.tests)
    title = f"{passing} passing test(s)" if c.state is State.PASSED else first.why
    if c.state is State.FAILED:  # which one, since the link shows only its class
        title = f"{first.outcome}: {first.nodeid.split('::', 1)[-1]}"
    return f'[{c.state.value}]({_link(first, root, base)} "{_escape(title)}")'


def table(matrix: Mapping[str, Mapping[str, Cell]], root: Path, base: str, details: str) -> str:
    """The markdown table; links are relative to ``root`` with ``base`` before them (``../`` from docs/),
    a provider's name links to its section of the page at ``details``."""
    lines = ["| Provider | " + " | ".join(FEATURES.values()) + " |",
             "|---|" + "---|" * len(FEATURES)]
    for provider, row in matrix.items():
        lines.append(f"| [{provider}]({details}#{provider}) | "
                     + " | ".join(_table_cell(row[f], root, base) for f in FEATURES) + " |")
    return "\n".join(lines)


LEGEND = ("✓ a test showing it passed; ✗ a test showing it failed; — the provider does not support it "
          "(the plugin's contract switches the capability off, or a test shows the plugin does without "
          "it); ? no test shows it (a scenario not recorded yet, or a test skipped). Each mark links to "
          "the test behind it.")


# How a plugin's tests become marks, for the authors of plugins (the page's second paragraph).
EVIDENCE = (
    "A provider plugin's contract tests (`ProviderContract`, see [the contract kit](contract-kit.md)) "
    "back the cells by themselves: which group backs which feature is the `CONTRACT` table in "
    "`modelplex_testing/matrix.py`, and a group skipped by a capability flag that is off reads —. For "
    "what the contract does not cover (vision, cost, reasoning replay), mark a test of the plugin "
    "`@pytest.mark.feature(\"vision\", provider=\"acme\")` (`provider` defaults to the test class's); a "
    "test showing that the plugin deliberately does without a feature adds `unsupported=\"why\"`.",
)


def page(matrix: Mapping[str, Mapping[str, Cell]], root: Path) -> str:
    """docs/compatibility.md: the table, then every provider's tests feature by feature."""
    out = ["# Compatibility", "",
           "Which feature works with which provider, as the last test run shows: written by "
           "`nox -s matrix -- --write` from the results the `tests` sessions record (the contract tests "
           "every provider plugin runs against recorded traffic, and the tests marked "
           "`@pytest.mark.feature`). Do not edit it: `nox -s matrix`, which CI runs after the tests, fails "
           "when this page differs from what they showed.", "",
           LEGEND, "", table(matrix, root, "../", ""), "", *EVIDENCE, ""]
    for provider, row in matrix.items():
        out += [f"## {provider}", ""]
        for feature, title in FEATURES.items():
            c = row[feature]
            if not c.tests:
                out.append(f"- {State.UNTESTED.value} **{title}**: no test")
                continue
            out.append(f"- {c.state.value} **{title}**:")
            # The link names the file; the node id's path part would only repeat it.
            out += [f"  - {t.state.value} [`{t.nodeid.split('::', 1)[-1]}`]({_link(t, root, '../')}) "
                    f"({_escape(t.why)})" for t in c.tests]
        out.append("")
    return "\n".join(out)


def readme_block(matrix: Mapping[str, Mapping[str, Cell]], root: Path) -> str:
    """What goes between the README's markers: the table, links relative to the repository's root."""
    return "\n".join([START, "", LEGEND + f" The tests behind each cell: [{PAGE.as_posix()}]"
                      f"({PAGE.as_posix()}).", "", table(matrix, root, "", PAGE.as_posix()), "", END])


def with_block(readme: str, block: str) -> str:
    """``readme`` with the text between the markers (included) replaced by ``block``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {START} ... {END} block")
    return readme[:start] + block + readme[end + len(END):]


def expected(root: Path, results: Iterable[Result]) -> dict[Path, str]:
    """Each generated file and the text the results say it must hold."""
    matrix = cells(results)
    readme = (root / README).read_text(encoding="utf-8")
    return {root / PAGE: page(matrix, root) + "\n",
            root / README: with_block(readme, readme_block(matrix, root))}


def differences(files: Mapping[Path, str]) -> list[str]:
    """A unified diff of each file against what it must hold (none when all agree)."""
    out: list[str] = []
    for path, text in files.items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            out.extend(difflib.unified_diff(current.splitlines(keepends=True), text.splitlines(keepends=True),
                                            f"{path} (committed)", f"{path} (from the last test run)"))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Check (or with ``--write``, write) the page and the README block; the exit status says how."""
    parser = argparse.ArgumentParser(prog="python -m modelplex_testing.matrix_page", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True, help="the directory of result files")
    parser.add_argument("--root", type=Path, default=Path(), help="the repository (links are relative to it)")
    parser.add_argument("--packages", nargs="+", required=True,
                        help="the packages whose result files must be there (by directory name)")
    parser.add_argument("--write", action="store_true",
                        help="write the files (by default: write nothing, fail when one differs)")
    args: Any = parser.parse_args(argv)
    try:
        files = expected(args.root, load(args.results, args.packages))
    except Incomplete as exc:
        print(f"matrix: incomplete results: {exc}", file=sys.stderr)
        return 2
    if args.write:
        for path, text in files.items():
            path.write_text(text, encoding="utf-8")
        return 0
    diff = differences(files)
    if diff:
        sys.stdout.writelines(diff)
        print(f"\nmatrix: {' and '.join(str(p) for p in files)} differ from what the last test run shows: "
              "run `nox -s matrix -- --write` and commit what it writes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
