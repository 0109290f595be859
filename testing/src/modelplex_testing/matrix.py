"""The compatibility matrix's evidence: which test backs which feature of which provider, and how it went.

When ``MODELPLEX_MATRIX_DIR`` names a directory, a test session writes one JSON file there, named after
the directory pytest was started in (``openai.json`` for a run in ``plugins/openai``). It lists every
contract test (:data:`CONTRACT` says which features each backs) and every test marked
``@pytest.mark.feature("cost")`` (for what the contract kit does not cover), with the provider, the
features, where the test is written and its outcome. ``python -m modelplex_testing.matrix_page`` turns
the files into docs/compatibility.md and the README's table. A test showing that a plugin deliberately
does without a feature says so: ``@pytest.mark.feature("reasoning_replay", unsupported="Groq takes no
reasoning back")``.

A provider is a name in the ``modelplex.plugins`` entry-point group: contract classes run against an
example plugin with no entry point (the kit's own tests) are left out, and a marker naming an unknown
provider or feature is a collection error, so a typo cannot hide a test from the matrix.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from modelplex import ReasoningPart

if TYPE_CHECKING:
    from modelplex_testing.contract import Scenario

ENV = "MODELPLEX_MATRIX_DIR"
#: Set on the second run of a suite run in two parts by a marker (``-m "not alone"``, then ``-m alone``):
#: that run completes the file the first wrote, rather than replacing it (see :func:`completed`).
SECOND_PART_ENV = "MODELPLEX_MATRIX_SECOND_PART"
FORMAT = 1
# What an xdist worker hands its controller in `workeroutput` (JSON-able: it crosses a process).
WORKER_KEY = "modelplex_matrix"

#: The matrix's columns, in order: feature key and the heading the page shows.
FEATURES: Mapping[str, str] = {
    "chat": "Chat",
    "streaming": "Streaming",
    "tools": "Tools",
    "parallel_tools": "Parallel tools",
    "streamed_tool_arguments": "Streamed tool arguments",
    "reasoning": "Reasoning",
    "reasoning_replay": "Reasoning replay",
    "json_schema": "JSON schema",
    "vision": "Vision",
    "embeddings": "Embeddings",
    "model_listing": "Model listing",
    "stream_usage": "Usage in streams",
    "cost": "Cost",
    "error_mapping": "Error mapping",
}


def _streams_usage(scn: Scenario) -> bool:
    return scn.call == "stream" and scn.expect.usage is not None


def _replays_reasoning(scn: Scenario) -> bool:
    # Reasoning goes back only if the request carries it and the contract compares what was sent.
    sends = any(isinstance(p, ReasoningPart) for m in scn.messages for p in m.parts)
    return sends and "messages" in scn.compare


@attrs.frozen(kw_only=True)
class Backing:
    """What one contract test shows: ``features`` always, each of ``when``'s features only if its
    scenario passes the predicate (a stream scenario that checks no usage says nothing about usage in
    streams); ``flags`` are the capability flags that, set to False, skip it as unsupported."""

    features: tuple[str, ...]
    flags: tuple[str, ...] = ()
    scenario: str | None = None
    when: tuple[tuple[str, Callable[[Scenario], bool]], ...] = ()


STREAM = "supports_streaming"
TOOLS = "supports_tools"
PARALLEL = "supports_parallel_tool_calls"
REASONING = "supports_reasoning"
STREAM_USAGE = (("stream_usage", _streams_usage),)

#: Every test of :class:`ProviderContract` and the features it backs (a test in testing/tests fails
#: when the contract gains a test this table does not name).
CONTRACT: Mapping[str, Backing] = {
    "test_entry_point_registers_provider": Backing(features=()),
    "test_chat_text": Backing(features=("chat",), flags=("supports_chat",), scenario="chat_text"),
    "test_chat_tool_call": Backing(features=("tools",), flags=(TOOLS,), scenario="chat_tool_call"),
    "test_chat_parallel_tool_calls": Backing(features=("parallel_tools",), flags=(PARALLEL,),
                                             scenario="chat_parallel_tool_calls"),
    "test_chat_tool_result_followup": Backing(
        features=("tools",), flags=(TOOLS,), scenario="chat_tool_result_followup",
        when=(("reasoning_replay", _replays_reasoning),)),
    "test_chat_reasoning": Backing(features=("reasoning",), flags=(REASONING,), scenario="chat_reasoning"),
    "test_chat_json_schema": Backing(features=("json_schema",), flags=("supports_json_schema",),
                                     scenario="chat_json_schema"),
    "test_stream_text": Backing(features=("streaming",), flags=(STREAM,), scenario="stream_text",
                                when=STREAM_USAGE),
    "test_stream_tool_call": Backing(features=("streamed_tool_arguments",), flags=(STREAM, TOOLS),
                                     scenario="stream_tool_call", when=STREAM_USAGE),
    "test_stream_parallel_tool_calls": Backing(
        features=("parallel_tools", "streamed_tool_arguments"), flags=(STREAM, PARALLEL),
        scenario="stream_parallel_tool_calls", when=STREAM_USAGE),
    "test_stream_reasoning": Backing(features=("reasoning",), flags=(STREAM, REASONING),
                                     scenario="stream_reasoning", when=STREAM_USAGE),
    "test_stream_chunk_boundaries_do_not_matter": Backing(features=("streaming",), flags=(STREAM,)),
    "test_stream_cut_short_raises_after_delivered_events": Backing(features=("streaming",),
                                                                   flags=(STREAM,)),
    "test_leaving_a_stream_early_closes_the_response": Backing(features=("streaming",), flags=(STREAM,)),
    "test_embeddings": Backing(features=("embeddings",), flags=("supports_embeddings",), scenario="embed"),
    "test_list_models": Backing(features=("model_listing",), flags=("supports_list_models",),
                                scenario="list_models"),
    "test_errors_map_to_the_tree": Backing(features=("error_mapping",), flags=("supports_error_mapping",)),
}


@attrs.frozen(kw_only=True)
class Evidence:
    """What one collected test stands for: its provider, the features it backs, where it is written
    and why the provider does not support them, if it does not: the capability flags that are off for a
    contract test (its skip is then "not supported", not "no test"), or the marker's ``unsupported``
    reason (a test showing that the plugin deliberately does without, e.g. sends no reasoning back)."""

    nodeid: str
    provider: str
    features: tuple[str, ...]
    file: str
    line: int
    unsupported: tuple[str, ...] = ()


def providers() -> frozenset[str]:
    """The provider names installed plugins register (the matrix's possible rows)."""
    return frozenset(ep.name for ep in metadata.entry_points(group="modelplex.plugins"))


def _location(cls: type, scenario: str | None) -> tuple[str, int]:
    """Where the plugin's class gives ``scenario`` (its ``"name":`` key), else the class itself.

    An inherited contract test is written in contract.py; what makes it about a provider (the scenario,
    the flags) is the plugin's subclass, so the matrix links there."""
    lines, first = inspect.getsourcelines(cls)
    if scenario is not None:
        keys = (f'"{scenario}":', f"'{scenario}':")
        for offset, text in enumerate(lines):
            if text.lstrip().startswith(keys):
                return inspect.getfile(cls), first + offset
    return inspect.getfile(cls), first


def _contract(item: pytest.Function, known: frozenset[str]) -> Evidence | None:
    # Imported here: every session loads this module, few record the matrix (hypothesis is slow to import).
    from modelplex_testing.contract import ProviderContract

    cls = item.cls
    if cls is None or not issubclass(cls, ProviderContract) or item.originalname not in CONTRACT:
        return None
    if getattr(cls, "provider", None) not in known:
        return None
    backing = CONTRACT[item.originalname]
    features = list(backing.features)
    scn = cls.scenarios.get(backing.scenario) if backing.scenario else None
    off = tuple(f"{flag} = False" for flag in backing.flags if not getattr(cls, flag))
    for feature, applies in backing.when:
        # With no scenario, only a capability flag that is off says something (not supported).
        if applies(scn) if scn is not None else off:
            features.append(feature)
    file, line = _location(cls, backing.scenario if scn is not None else None)
    return Evidence(nodeid=item.nodeid, provider=cls.provider, features=tuple(features), file=file,
                    line=line, unsupported=off)


def _marked(item: pytest.Function, known: frozenset[str]) -> Iterator[Evidence]:
    path, line0, _ = item.reportinfo()
    for mark in item.iter_markers("feature"):
        provider = mark.kwargs.get("provider") or getattr(item.cls, "provider", None)
        if provider not in known:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.feature needs provider=<a name in the "
                                    f"'modelplex.plugins' entry points>, not {provider!r} (known: "
                                    f"{', '.join(sorted(known))})")
        unknown = [f for f in mark.args if f not in FEATURES]
        if unknown or not mark.args:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.feature takes feature names among "
                                    f"{', '.join(FEATURES)}; got {list(mark.args)!r}")
        why = mark.kwargs.get("unsupported")
        yield Evidence(nodeid=item.nodeid, provider=provider, features=tuple(mark.args),
                       file=str(path), line=(line0 or 0) + 1, unsupported=(why,) if why else ())


def evidence(item: pytest.Item, known: frozenset[str]) -> list[Evidence]:
    """What ``item`` backs in the matrix: nothing for most tests."""
    if not isinstance(item, pytest.Function):
        return []
    found = list(_marked(item, known))
    contract = _contract(item, known)
    return [contract, *found] if contract is not None else found


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return report.longrepr[2].removeprefix("Skipped: ")
    return str(report.longrepr)


class MatrixRecorder:
    """Collects the evidence and the outcomes of one session and writes them to ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.found: dict[str, list[Evidence]] = {}
        self.outcomes: dict[str, tuple[str, str | None]] = {}
        self.finished: set[str] = set()
        self.selected = 0
        self.deselected = 0
        # Under xdist the evidence arrives when the workers end, after their reports: keep every outcome.
        self.found_elsewhere = False

    @pytest.hookimpl
    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        known = providers()
        self.selected = len(session.items)
        for item in session.items:
            found = evidence(item, known)
            if found:
                self.found[item.nodeid] = found

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self.finished.add(report.nodeid)
        if report.nodeid not in self.found and not self.found_elsewhere:
            return
        before = self.outcomes.get(report.nodeid)
        if report.failed:
            self.outcomes[report.nodeid] = ("failed", None)
        elif report.skipped and before is None:
            # An expected failure (xfail) is reported as a skip: it backs nothing either.
            reason = f"xfail: {report.wasxfail}" if hasattr(report, "wasxfail") else _skip_reason(report)
            self.outcomes[report.nodeid] = ("skipped", reason)
        elif report.passed and report.when == "call" and before is None:
            self.outcomes[report.nodeid] = ("passed", None)

    def results(self, config: pytest.Config) -> dict[str, Any]:
        """The file's content: ``complete`` is False when the run left tests out (arguments naming
        some tests, ``-k``/``-m``, ``-x``, a collection error or an interruption). ``run`` says what
        this run selected and ran, for a second part to complete it (:func:`completed`)."""
        named = config.args_source is pytest.Config.ArgsSource.ARGS
        ran_all = len(self.finished) >= self.selected > 0
        complete = not named and not self.deselected and ran_all
        tests = []
        for nodeid, found in sorted(self.found.items()):
            outcome, reason = self.outcomes.get(nodeid, ("not run", None))
            for ev in found:
                tests.append({"nodeid": ev.nodeid, "provider": ev.provider, "features": list(ev.features),
                              "file": ev.file, "line": ev.line, "unsupported": list(ev.unsupported),
                              "outcome": outcome, "reason": reason})
        run = {"named": named, "markers": config.option.markexpr or "",
               "keywords": config.option.keyword or "", "selected": self.selected,
               "deselected": self.deselected, "ran_all": ran_all}
        return {"format": FORMAT, "directory": str(config.invocation_params.dir), "complete": complete,
                "run": run, "tests": tests}

    # Under pytest-xdist the workers collect and the controller only sees reports: each worker hands its
    # evidence and its count of selected tests to the controller, which writes the one file.
    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.found_elsewhere = True

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        sent = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if sent is None:
            return
        self.selected = max(self.selected, sent["selected"])
        self.deselected = max(self.deselected, sent["deselected"])
        for nodeid, found in sent["found"].items():
            self.found[nodeid] = [Evidence(**{**e, "features": tuple(e["features"]),
                                              "unsupported": tuple(e["unsupported"])}) for e in found]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        worker = getattr(session.config, "workeroutput", None)
        if worker is not None:
            worker[WORKER_KEY] = {"selected": self.selected, "deselected": self.deselected,
                                  "found": {n: [attrs.asdict(e) for e in found]
                                            for n, found in self.found.items()}}
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{session.config.invocation_params.dir.name}.json"
        temporary = target.with_suffix(".json.tmp")
        data = self.results(session.config)
        if os.environ.get(SECOND_PART_ENV):
            data = completed(target, data)
        temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        temporary.replace(target)  # a reader never sees half a file


def completed(target: Path, second: dict[str, Any]) -> dict[str, Any]:
    """The file of a suite run in two parts, from the first part's file (``target``) and the second's
    results: complete when the two marker expressions are ``X`` and ``not X``, each part ran all it
    selected, nothing was named or chosen by ``-k``, and each part selected exactly what the other
    deselected (so together they ran the whole suite once). Otherwise the second part's results, as a
    run of its own (partial). Without a first part's file, the same."""
    try:
        first = json.loads(target.read_text(encoding="utf-8"))
        one, two = first["run"], second["run"]
    except (OSError, ValueError, KeyError, TypeError):
        return second
    markers = {one["markers"].strip(), two["markers"].strip()}
    split = any(f"not {m}" in markers for m in markers if m and not m.startswith("not "))
    whole = (split and len(markers) == 2 and not one["named"] and not two["named"]
             and not one["keywords"] and not two["keywords"] and one["ran_all"] and two["ran_all"]
             and one["selected"] == two["deselected"] and two["selected"] == one["deselected"])
    if not whole:
        return second
    return {**second, "complete": True, "tests": sorted(first["tests"] + second["tests"],
                                                        key=lambda t: (t["nodeid"], t["provider"]))}


def configure(config: pytest.Config) -> None:
    """Declare the ``feature`` marker; record the session when :data:`ENV` names a directory."""
    config.addinivalue_line(
        "markers", "feature(*names, provider=None, unsupported=None): the test backs these compatibility-"
                   f"matrix features ({', '.join(FEATURES)}) of the provider (default: the test class's "
                   "`provider`); with unsupported='why', it shows the provider does without them")
    directory = os.environ.get(ENV)
    if directory:  # on an xdist worker too: it collects, and sends what it found to the controller
        config.pluginmanager.register(MatrixRecorder(Path(directory)), "modelplex-matrix")
