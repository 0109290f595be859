"""The matrix's page: each cell's verdict, the links, and the check that fails on a page claiming what the
results do not show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelplex_testing.matrix import ENV, FEATURES
from modelplex_testing.matrix_page import PAGE, README, Result, State, cell, cells, main, readme_block, table

pytest_plugins = ("pytester",)

README_TEXT = "# Project\n\nIntro.\n\n<!-- matrix:start -->\nold table\n<!-- matrix:end -->\n\n## After\n"


def _result(outcome: str = "passed", *, features: tuple[str, ...] = ("chat",), reason: str | None = None,
            unsupported: tuple[str, ...] = (), nodeid: str = "tests/test_c.py::TestC::test_chat_text",
            provider: str = "acme", file: str = "plugins/acme/tests/test_c.py", line: int = 12) -> Result:
    return Result(nodeid=nodeid, provider=provider, features=features, file=file, line=line,
                  outcome=outcome, reason=reason, unsupported=unsupported)


def _write(results: Path, package: str, tests: list[Result], *, root: Path, complete: bool = True) -> None:
    results.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = [
        {"nodeid": t.nodeid, "provider": t.provider, "features": list(t.features), "file": str(root / t.file),
         "line": t.line, "outcome": t.outcome, "reason": t.reason, "unsupported": list(t.unsupported)}
        for t in tests]
    (results / f"{package}.json").write_text(json.dumps(
        {"format": 1, "directory": str(root / package), "complete": complete, "tests": rows}))


def _marks(row: str) -> dict[str, str]:
    """A table row's marks by feature."""
    return dict(zip(FEATURES, row.removesuffix(" |").split(" | ")[1:], strict=True))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / README).write_text(README_TEXT)
    return tmp_path


UNSUPPORTED = _result("skipped", reason="acme does not declare this capability",
                      unsupported=("supports_chat = False",), nodeid="tests/test_c.py::TestD::test_chat_text")
NO_SCENARIO = _result("skipped", reason="no 'chat_text' scenario given for acme",
                      nodeid="tests/test_c.py::TestE::test_chat_text")


@pytest.mark.parametrize(("tests", "state"), [
    ([], State.UNTESTED),
    ([UNSUPPORTED], State.UNSUPPORTED),
    ([UNSUPPORTED, NO_SCENARIO], State.UNTESTED),  # one route lacks it, another is merely unrecorded
    ([UNSUPPORTED, NO_SCENARIO, _result()], State.PASSED),
    ([_result(), _result("failed", nodeid="tests/test_c.py::TestF::test_chat_text")], State.FAILED),
    ([_result("not run")], State.FAILED),
    ([_result("skipped", reason="xfail: known bug")], State.UNTESTED),
    # A passing test showing the plugin does without it; failing, it shows nothing of the kind.
    ([_result(unsupported=("Groq takes no reasoning back",))], State.UNSUPPORTED),
    ([_result("failed", unsupported=("Groq takes no reasoning back",))], State.FAILED),
])
def test_a_cell_is_decided_by_its_best_evidence(tests: list[Result], state: State) -> None:
    assert cell(tests).state is state
    assert cell(reversed(tests)).state is state


def test_the_table_links_each_mark_to_the_test_behind_it(repo: Path) -> None:
    matrix = cells([_result(file=str(repo / "plugins/acme/tests/test_c.py")),
                    _result("skipped", features=("vision",), reason="no image | recorded", line=40,
                            file=str(repo / "plugins/acme/tests/test_v.py")),
                    _result("skipped", features=("embeddings",), unsupported=("supports_embeddings = False",),
                            file=str(repo / "plugins/acme/tests/test_c.py"))])
    rows = table(matrix, repo, "../", "").splitlines()
    assert rows[0] == "| Provider | " + " | ".join(FEATURES.values()) + " |"
    marks = _marks(rows[2])
    assert rows[2].startswith("| [acme](#acme) | ")
    assert marks["chat"] == '[✓](../plugins/acme/tests/test_c.py "1 passing test(s)")'
    # The reason travels with the mark; a | would end the table's cell.
    assert marks["vision"] == '[?](../plugins/acme/tests/test_v.py "skipped: no image \\| recorded")'
    assert marks["embeddings"] == ('[—](../plugins/acme/tests/test_c.py "not supported: '
                                   'supports_embeddings = False")')
    assert marks["tools"] == "?"
    assert marks["error_mapping"] == "?"


def test_the_readme_block_links_from_the_repository_root(repo: Path) -> None:
    block = readme_block(cells([_result(file=str(repo / "plugins/acme/tests/test_c.py"))]), repo)
    assert block.startswith("<!-- matrix:start -->") and block.endswith("<!-- matrix:end -->")
    assert "| [acme](docs/compatibility.md#acme) | [✓](plugins/acme/tests/test_c.py " in block


def test_write_then_check_agrees(repo: Path) -> None:
    results = repo / "results"
    _write(results, "acme", [_result(), UNSUPPORTED], root=repo)
    args = ["--results", str(results), "--root", str(repo), "--packages", "acme"]
    assert main([*args, "--write"]) == 0
    written = (repo / PAGE).read_text()
    assert "[✓](../plugins/acme/tests/test_c.py" in written and "## acme" in written
    readme = (repo / README).read_text()
    assert readme.startswith("# Project\n\nIntro.\n\n<!-- matrix:start -->\n")
    assert readme.endswith("<!-- matrix:end -->\n\n## After\n") and "old table" not in readme
    assert main(args) == 0


@pytest.mark.parametrize("now", [_result("failed"), _result("skipped", reason="no recording")])
def test_check_fails_on_a_page_claiming_a_pass_no_test_shows(repo: Path, now: Result,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    results = repo / "results"
    args = ["--results", str(results), "--root", str(repo), "--packages", "acme"]
    _write(results, "acme", [_result()], root=repo)
    assert main([*args, "--write"]) == 0
    _write(results, "acme", [now], root=repo)  # the test that backed the ✓ no longer passes
    assert main(args) == 1
    out = capsys.readouterr()
    assert "-| [acme](#acme) | [✓](../plugins/acme/tests/test_c.py" in out.out
    assert f"+| [acme](#acme) | [{now.state.value}](../plugins/acme/tests/test_c.py" in out.out
    assert "differ from what the last test run shows" in out.err


def test_check_fails_on_a_hand_edited_readme(repo: Path) -> None:
    results = repo / "results"
    args = ["--results", str(results), "--root", str(repo), "--packages", "acme"]
    _write(results, "acme", [_result("failed")], root=repo)
    assert main([*args, "--write"]) == 0
    readme = repo / README
    readme.write_text(readme.read_text().replace("[✗]", "[✓]"))
    assert main(args) == 1


def test_missing_or_partial_results_are_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = repo / "results"
    _write(results, "acme", [_result()], root=repo, complete=False)
    assert main(["--results", str(results), "--root", str(repo), "--packages", "acme", "other"]) == 2
    err = capsys.readouterr().err
    assert "acme: the last run in" in err and "ran only some tests" in err
    assert "other: no results in" in err
    assert not (repo / PAGE).exists()


def test_a_readme_without_the_markers_is_an_error(repo: Path) -> None:
    (repo / README).write_text("# Project\n")
    _write(repo / "results", "acme", [_result()], root=repo)
    with pytest.raises(ValueError, match="matrix:start"):
        main(["--results", str(repo / "results"), "--root", str(repo), "--packages", "acme", "--write"])


def test_a_real_session_becomes_the_page(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin's file, read by the page: a contract class for the installed ``fake`` provider."""
    monkeypatch.setenv(ENV, str(pytester.path / "results"))
    (pytester.path / README).write_text(README_TEXT)
    (pytester.path / "docs").mkdir()
    pytester.makepyfile(test_fake_contract="""
        from pathlib import Path
        from modelplex_testing import ProviderContract

        class TestFake(ProviderContract):
            provider = "fake"
            fixtures = Path(__file__).parent

            def test_chat_text(self):
                pass

            def test_errors_map_to_the_tree(self):
                assert False
    """)
    pytester.runpytest_inprocess()
    assert main(["--results", str(pytester.path / "results"), "--root", str(pytester.path),
                 "--packages", pytester.path.name, "--write"]) == 0
    rows = (pytester.path / PAGE).read_text().splitlines()
    row = next(line for line in rows if line.startswith("| [fake]"))
    marks = _marks(row)
    assert marks["chat"] == '[✓](../test_fake_contract.py "1 passing test(s)")'
    assert marks["error_mapping"] == ('[✗](../test_fake_contract.py '
                                      '"failed: TestFake::test_errors_map_to_the_tree")')
    assert marks["embeddings"].startswith("[—](")
    assert marks["vision"] == "?"


def test_a_test_moved_within_its_file_leaves_the_page_as_it_was(repo: Path) -> None:
    """Lines added above a test change no claim, so they must not change the page CI checks."""
    file = str(repo / "plugins/acme/tests/test_c.py")
    before = cells([_result(file=file, line=12)])
    after = cells([_result(file=file, line=97)])
    assert table(before, repo, "../", "") == table(after, repo, "../", "")
