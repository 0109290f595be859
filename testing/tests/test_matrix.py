"""The matrix's pytest plugin: what a session with MODELPLEX_MATRIX_DIR set writes, run in a pytester
session against the kit's installed ``fake`` provider (the only provider this package's environment has)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelplex_testing.contract import ProviderContract
from modelplex_testing.matrix import CONTRACT, ENV, FEATURES, SECOND_PART_ENV

pytest_plugins = ("pytester",)

# A provider's contract tests as a plugin writes them, with outcomes forced by overriding some groups.
SUITE = '''
import pytest
from pathlib import Path
from modelplex import Message, Usage
from modelplex_testing import Expect, ProviderContract, Scenario

class TestFakeContract(ProviderContract):
    provider = "fake"
    fixtures = Path(__file__).parent
    supports_tools = True
    scenarios = {
        "stream_text": Scenario(recording="none", call="stream", messages=[Message.user("hi")],
                                expect=Expect(usage=Usage(input=1, output=1))),
        "stream_tool_call": Scenario(recording="none", call="stream", messages=[Message.user("hi")]),
    }

    def test_chat_text(self):
        pass

    def test_chat_tool_call(self):
        assert False, "the parsed call differs"

    @pytest.mark.feature("cost")
    def test_prices_are_read(self):
        pass

class TestExample(ProviderContract):
    provider = "not-an-installed-plugin"
    fixtures = Path(__file__).parent

    def test_chat_text(self):
        pass

    def test_entry_point_registers_provider(self):
        pass

@pytest.mark.feature("vision", "error_mapping", provider="fake")
def test_images_are_sent():
    pytest.skip("no image recording yet")

@pytest.mark.feature("reasoning_replay", provider="fake", unsupported="the fake keeps no reasoning")
def test_no_reasoning_goes_back():
    pass

def test_nothing_to_do_with_the_matrix():
    pass
'''


def _line(text: str) -> int:
    """The line of ``text`` in the test file pytester writes (it drops SUITE's first, empty line)."""
    return SUITE.strip().splitlines().index(text) + 1


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    out = pytester.path / "results"
    monkeypatch.setenv(ENV, str(out))
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest_inprocess(*args)
    data: dict[str, Any] = json.loads((out / f"{pytester.path.name}.json").read_text())
    return data


def _by_test(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["nodeid"].split("::", 1)[1]: t for t in data["tests"]}


def test_every_contract_test_is_mapped_to_its_features() -> None:
    groups = {name for name in dir(ProviderContract) if name.startswith("test_")}
    assert groups == set(CONTRACT), "the matrix's CONTRACT table and the contract's tests differ"
    named = {f for backing in CONTRACT.values() for f in backing.features}
    named |= {f for backing in CONTRACT.values() for f, _ in backing.when}
    assert named <= set(FEATURES)


def test_a_session_writes_each_backing_test_with_its_outcome(pytester: pytest.Pytester,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data = _run(pytester, monkeypatch)
    assert data["complete"] is True and data["directory"] == str(pytester.path)
    tests = _by_test(data)
    cls_line = _line("class TestFakeContract(ProviderContract):")
    assert tests["TestFakeContract::test_chat_text"] | {"file": None} == {
        "nodeid": "test_suite.py::TestFakeContract::test_chat_text", "provider": "fake",
        "features": ["chat"], "file": None, "line": cls_line, "unsupported": [], "outcome": "passed",
        "reason": None}
    # A contract test links to the plugin's class, not to contract.py: to its scenario if it gives one.
    assert Path(tests["TestFakeContract::test_chat_text"]["file"]) == pytester.path / "test_suite.py"
    assert tests["TestFakeContract::test_stream_text"]["line"] == _line(
        '        "stream_text": Scenario(recording="none", call="stream", messages=[Message.user("hi")],')
    assert tests["TestFakeContract::test_chat_tool_call"]["outcome"] == "failed"
    # The skip's own words are the contract's (they name the provider); the flag is what decides.
    schema = tests["TestFakeContract::test_chat_json_schema"]
    assert "fake" in schema.pop("reason")
    assert schema | {"file": None, "nodeid": None} == {
        "nodeid": None, "provider": "fake", "features": ["json_schema"], "file": None,
        "line": cls_line, "unsupported": ["supports_json_schema = False"], "outcome": "skipped"}
    assert tests["TestFakeContract::test_embeddings"]["unsupported"] == ["supports_embeddings = False"]
    # A group whose flag is on but whose scenario is missing is untested, not unsupported.
    assert tests["TestFakeContract::test_chat_tool_result_followup"]["unsupported"] == []
    assert tests["TestFakeContract::test_chat_tool_result_followup"]["outcome"] == "skipped"


def test_usage_in_streams_is_claimed_only_by_a_scenario_that_checks_usage(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    tests = _by_test(_run(pytester, monkeypatch))
    assert tests["TestFakeContract::test_stream_text"]["features"] == ["streaming", "stream_usage"]
    assert tests["TestFakeContract::test_stream_tool_call"]["features"] == ["streamed_tool_arguments"]
    # No scenario and the capability off: the cell says "not supported" rather than nothing.
    reasoning = tests["TestFakeContract::test_stream_reasoning"]
    assert reasoning["features"] == ["reasoning", "stream_usage"]
    assert reasoning["unsupported"] == ["supports_streaming = False", "supports_reasoning = False"]


def test_marked_tests_are_written_and_others_are_not(pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tests = _by_test(_run(pytester, monkeypatch))
    assert tests["TestFakeContract::test_prices_are_read"]["features"] == ["cost"]
    assert tests["TestFakeContract::test_prices_are_read"]["provider"] == "fake"
    images = tests["test_images_are_sent"]
    assert (images["features"], images["outcome"], images["reason"], images["line"]) == (
        ["vision", "error_mapping"], "skipped", "no image recording yet",
        _line('@pytest.mark.feature("vision", "error_mapping", provider="fake")'))
    # A passing test can show that the plugin does without a feature.
    assert tests["test_no_reasoning_goes_back"] | {"file": None, "line": None} == {
        "nodeid": "test_suite.py::test_no_reasoning_goes_back", "provider": "fake", "file": None,
        "line": None, "features": ["reasoning_replay"], "unsupported": ["the fake keeps no reasoning"],
        "outcome": "passed", "reason": None}
    assert "test_nothing_to_do_with_the_matrix" not in tests
    # A contract class for a provider no installed plugin registers (an example) is no matrix row.
    assert not [t for t in tests.values() if t["provider"] != "fake"]


def test_a_run_of_some_tests_is_written_as_partial(pytester: pytest.Pytester,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(pytester, monkeypatch, "-k", "chat_text")["complete"] is False


def test_a_run_stopped_at_the_first_failure_is_written_as_partial(pytester: pytest.Pytester,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = _run(pytester, monkeypatch, "-x")
    assert data["complete"] is False
    assert "not run" in {t["outcome"] for t in data["tests"]}


@pytest.mark.parametrize(("mark", "complaint"), [
    ('feature("cost", provider="no-such-provider")', "needs provider="),
    ('feature("price", provider="fake")', "takes feature names"),
    ("feature()", "needs provider="),
])
def test_a_marker_naming_no_provider_or_feature_fails_the_run(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mark: str, complaint: str) -> None:
    monkeypatch.setenv(ENV, str(pytester.path / "results"))
    pytester.makepyfile(f"import pytest\n\n@pytest.mark.{mark}\ndef test_x():\n    pass\n")
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert complaint in result.stderr.str()


def test_without_the_variable_nothing_is_written(pytester: pytest.Pytester,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_inprocess("--strict-markers")
    # The marker is declared even so: --strict-markers accepts it.
    outcomes = result.parseoutcomes()
    assert (outcomes["passed"], outcomes["failed"]) == (7, 1)
    assert not list(pytester.path.rglob("*.json"))


REPLAY = '''
from pathlib import Path
from modelplex import Message, ReasoningPart, TextPart
from modelplex_testing import ProviderContract, Scenario

TURNS = [Message.user("hi"), Message.assistant([ReasoningPart(text="hm"), TextPart(text="yo")]),
         Message.user("again")]

class TestSent(ProviderContract):
    provider = "fake"
    fixtures = Path(__file__).parent
    supports_tools = True
    scenarios = {"chat_tool_result_followup": Scenario(recording="none", messages=TURNS)}

    def test_chat_tool_result_followup(self):
        pass

class TestNotCompared(TestSent):
    scenarios = {"chat_tool_result_followup": Scenario(recording="none", messages=TURNS, compare=("model",))}
'''


def test_reasoning_replay_is_claimed_only_where_the_sent_messages_are_compared(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = pytester.path / "results"
    monkeypatch.setenv(ENV, str(out))
    pytester.makepyfile(test_replay=REPLAY)
    pytester.runpytest_inprocess("-k", "followup")
    tests = _by_test(json.loads((out / f"{pytester.path.name}.json").read_text()))
    assert tests["TestSent::test_chat_tool_result_followup"]["features"] == ["tools", "reasoning_replay"]
    # Reasoning in the history that the contract never checks was sent proves nothing about replay.
    assert tests["TestNotCompared::test_chat_tool_result_followup"]["features"] == ["tools"]


def test_a_session_split_across_xdist_workers_writes_what_one_process_writes(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The big suites run under pytest-xdist, whose controller collects nothing: what the workers found
    reaches it, so the file is the same, complete, and not an empty partial one."""
    alone = _run(pytester, monkeypatch)
    split = _run(pytester, monkeypatch, "-p", "xdist", "-n", "2")
    assert split["complete"] is True and split["tests"]
    assert split == alone


PARTS = '''
import pytest

@pytest.mark.feature("cost", provider="fake")
def test_prices_are_read():
    pass

@pytest.mark.alone
@pytest.mark.feature("vision", provider="fake")
def test_images_are_sent():
    pass

def test_other():
    pass
'''


def _parts(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
           first: tuple[str, ...], second: tuple[str, ...]) -> dict[str, Any]:
    """A suite run in two parts as ``nox -s "tests(workspace)"`` runs it: the file after the second."""
    out = pytester.path / "results"
    monkeypatch.setenv(ENV, str(out))
    pytester.makeini("[pytest]\nmarkers =\n    alone: runs on its own\n")
    pytester.makepyfile(test_parts=PARTS)
    monkeypatch.delenv(SECOND_PART_ENV, raising=False)
    pytester.runpytest_inprocess(*first)
    monkeypatch.setenv(SECOND_PART_ENV, "1")
    pytester.runpytest_inprocess(*second)
    data: dict[str, Any] = json.loads((out / f"{pytester.path.name}.json").read_text())
    return data


def test_a_suite_run_in_two_parts_by_a_marker_is_complete_with_the_tests_of_both(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _parts(pytester, monkeypatch, ("-m", "not alone"), ("-m", "alone"))
    assert data["complete"] is True
    assert {t["nodeid"].split("::")[1]: t["outcome"] for t in data["tests"]} == {
        "test_prices_are_read": "passed", "test_images_are_sent": "passed"}


@pytest.mark.parametrize(("first", "second"), [
    (("-m", "not alone"), ("-m", "not alone")),  # the same part twice: the alone tests never ran
    (("-m", "not alone"), ("-m", "alone", "-k", "nothing")),  # the second part chose fewer
    (("-m", "not alone", "-k", "prices"), ("-m", "alone")),  # the first part chose fewer
    (("-m", "not alone", "-x", "test_parts.py"), ("-m", "alone")),  # the first part named its tests
])
def test_two_parts_that_do_not_cover_the_suite_once_are_partial(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, first: tuple[str, ...],
        second: tuple[str, ...]) -> None:
    assert _parts(pytester, monkeypatch, first, second)["complete"] is False


def test_a_second_part_with_no_first_is_partial(pytester: pytest.Pytester,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECOND_PART_ENV, "1")
    monkeypatch.setenv(ENV, str(pytester.path / "results"))
    pytester.makeini("[pytest]\nmarkers =\n    alone: runs on its own\n")
    pytester.makepyfile(test_parts=PARTS)
    pytester.runpytest_inprocess("-m", "alone")
    data = json.loads((pytester.path / "results" / f"{pytester.path.name}.json").read_text())
    assert data["complete"] is False
