"""The ``modelplex`` command line: in-process through click's runner and as the installed script."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli
from modelplex._cli.inputs import InputError, read_prompt

CHAT_KEYS = {"provider", "model", "text", "reasoning", "tool_calls", "usage", "finish_reason",
             "warnings", "cost"}
WEATHER_TOOL = {
    "name": "weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]},
}
RICH_TURN = {
    "reasoning": "The user wants the weather.",
    "text": "Let me look that up.",
    "tool_calls": [{"id": "call_w", "name": "weather", "arguments": {"city": "Oslo"}}],
    "usage": {"input": 12, "cache_read": 3, "cache_write": 1, "output": 7, "reasoning": 5},
    "warnings": ["seed is not supported"],
}

GOOD_PLUGIN = """
from modelplex import ChatResponse, ModelInfo, ProviderInfo, TextPart
from modelplex.hookspecs import SPEC_VERSION, hookimpl

@hookimpl
def modelplex_provider_info():
    return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)
"""
FAILING_LISTING = GOOD_PLUGIN + """
from modelplex.errors import ServerError

@hookimpl
def modelplex_list_models(ctx):
    async def run():
        raise ServerError("model listing is down", provider=ctx.name, status_code=503)
    return run()
"""
COMMANDS = GOOD_PLUGIN + """
import click

@hookimpl
def modelplex_register_commands(cli):
    @cli.command()
    @click.argument("who")
    def hello(who):
        '''Say hello from a plugin.'''
        click.echo(f"hello {who} from a plugin")
"""
BROKEN_COMMANDS = GOOD_PLUGIN + """
@hookimpl
def modelplex_register_commands(cli):
    raise RuntimeError("no commands today")
"""


# -- fixtures and helpers --------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the user's config file; no plugin lists or fake script from the outer env."""
    monkeypatch.setenv("MODELPLEX_CONFIG", os.devnull)  # an empty config; a named absent file is an error
    monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path / "state"))  # no last used model from another test
    for name in ("MODELPLEX_PLUGINS", "MODELPLEX_DISABLE_PLUGINS", "MODELPLEX_FAKE_SCRIPT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write a fake-provider script to a JSON file and point MODELPLEX_FAKE_SCRIPT at it."""
    def write(*turns: Mapping[str, Any]) -> Path:
        path = tmp_path / "script.json"
        path.write_text(json.dumps(list(turns)), encoding="utf-8")
        monkeypatch.setenv("MODELPLEX_FAKE_SCRIPT", str(path))
        return path
    return write


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Install a plugin distribution (dist-info with an entry point, and its module) on sys.path."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    added: list[str] = []

    def install(dist: str, module: str, source: str, provider: str, version: str = "1.0") -> None:
        (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
                                       encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[modelplex.plugins]\n{provider} = {module}\n",
                                               encoding="utf-8")
        added.append(module)

    yield install
    for module in added:
        sys.modules.pop(module, None)


def run(args: Sequence[str], *, input: str | bytes | io.BytesIO | None = None,
        env: Mapping[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def write_json(path: Path, data: object) -> str:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def assert_one_error_line(result: Result, *fragments: str) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def modelplex_script() -> str:
    found = shutil.which("modelplex") or str(Path(sys.executable).parent / "modelplex")
    if not os.path.exists(found):
        pytest.skip("the modelplex console script is not installed")
    return found


def run_script(args: Sequence[str], env: Mapping[str, str], stdin: str | None = None
               ) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items()
            if k not in ("MODELPLEX_PLUGINS", "MODELPLEX_DISABLE_PLUGINS")}
    return subprocess.run([modelplex_script(), *args], capture_output=True, text=True, timeout=120,
                          env={**full, **env}, input=stdin, check=False)


# -- modelplex plugins -----------------------------------------------------------------------------
def test_plugins_lists_the_fake_with_its_distribution_and_hooks() -> None:
    result = run(["plugins", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    fake = next(p for p in data["plugins"] if p["provider"] == "fake")
    assert fake["distribution"] == "modelplex-testing"
    assert fake["version"]
    hooks = set(fake["hooks"])
    assert {"modelplex_chat", "modelplex_chat_stream", "modelplex_list_models"} <= hooks
    text = run(["plugins"])
    assert text.exit_code == 0
    assert "fake" in text.stdout
    assert "modelplex-testing" in text.stdout
    assert "chat_stream" in text.stdout


def test_plugins_with_an_empty_allow_list_shows_none_and_succeeds() -> None:
    result = run(["plugins", "--json"], env={"MODELPLEX_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["plugins"] == []
    assert {f["provider"]: f["kind"] for f in data["failures"]}["fake"] == "disabled"
    text = run(["plugins"], env={"MODELPLEX_PLUGINS": ""})
    assert text.exit_code == 0
    assert "No provider plugins loaded" in text.stdout
    assert "not in MODELPLEX_PLUGINS" in text.stdout


def test_plugins_shows_a_disabled_plugin() -> None:
    result = run(["plugins", "--json"], env={"MODELPLEX_DISABLE_PLUGINS": "fake"})
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert all(p["provider"] != "fake" for p in data["plugins"])
    failure = next(f for f in data["failures"] if f["provider"] == "fake")
    assert failure["kind"] == "disabled"
    assert failure["distribution"] == "modelplex-testing"
    assert "MODELPLEX_DISABLE_PLUGINS" in failure["reason"]
    text = run(["plugins"], env={"MODELPLEX_DISABLE_PLUGINS": "fake"})
    assert "disabled" in text.stdout
    assert "MODELPLEX_DISABLE_PLUGINS" in text.stdout


def test_plugins_reports_broken_conflicting_and_incompatible_plugins(
        site: Callable[..., None]) -> None:
    site("modelplex-broken", "mpcli_broken", "raise RuntimeError('boom at import')", "broken")
    site("modelplex-alpha", "mpcli_alpha", GOOD_PLUGIN, "dup")
    site("modelplex-beta", "mpcli_beta", GOOD_PLUGIN, "dup")
    site("modelplex-future", "mpcli_future",
         GOOD_PLUGIN.replace("spec_version=SPEC_VERSION", "spec_version=99"), "future")
    site("modelplex-good", "mpcli_good", GOOD_PLUGIN, "good", version="2.3")
    env = {"MODELPLEX_PLUGINS": "broken,dup,future,good"}
    result = run(["plugins", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(p["provider"], p["distribution"], p["version"]) for p in data["plugins"]] == [
        ("good", "modelplex-good", "2.3")]
    failures = {f["provider"]: f for f in data["failures"]}
    assert failures["broken"]["kind"] == "load"
    assert "boom at import" in failures["broken"]["reason"]
    assert failures["dup"]["kind"] == "conflict"
    assert "modelplex-alpha" in failures["dup"]["reason"]
    assert "modelplex-beta" in failures["dup"]["reason"]
    assert failures["future"]["kind"] == "incompatible"
    assert failures["fake"]["kind"] == "disabled"
    text = run(["plugins"], env=env)
    assert text.exit_code == 0
    assert "RuntimeError: boom at import" in text.stdout
    assert "conflict:" in text.stdout
    assert "incompatible:" in text.stdout


def test_plugins_lists_a_lifecycle_only_plugin_apart(site: Callable[..., None]) -> None:
    """A plugin that owns no provider but sees every call (a usage log, a budget) is listed, with its
    hooks: a user must be able to see what watches their calls."""
    site("modelplex-watcher", "mpcli_watcher", """
from modelplex.hookspecs import hookimpl

@hookimpl
def modelplex_after_call(call, outcome):
    return None
""", "watcher", version="0.4")
    env = {"MODELPLEX_PLUGINS": "watcher,fake"}
    data = json.loads(run(["plugins", "--json"], env=env).stdout)
    assert data["lifecycle"] == [{"name": "watcher", "distribution": "modelplex-watcher", "version": "0.4",
                                  "module": "mpcli_watcher", "hooks": ["modelplex_after_call"]}]
    assert [p["provider"] for p in data["plugins"]] == ["fake"]
    text = run(["plugins"], env=env).stdout
    assert "Call lifecycle" in text and "watcher  (modelplex-watcher 0.4)" in text
    assert "hooks: after_call" in text


# -- plugin commands -------------------------------------------------------------------------------
def test_a_plugin_can_add_a_command(site: Callable[..., None]) -> None:
    site("modelplex-greeter", "mpcli_greeter", COMMANDS, "greeter")
    env = {"MODELPLEX_PLUGINS": "greeter"}
    result = run(["hello", "world"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello world from a plugin\n"
    assert "hello" in run(["--help"], env=env).stdout
    listing = json.loads(run(["plugins", "--json"], env=env).stdout)
    assert "modelplex_register_commands" in listing["plugins"][0]["hooks"]
    # Another invocation without the plugin does not keep its command.
    gone = run(["hello", "world"], env={"MODELPLEX_PLUGINS": ""})
    assert gone.exit_code == 2
    assert_one_error_line(gone, "hello")


def test_a_plugin_failing_to_add_commands_leaves_the_built_ins(site: Callable[..., None]) -> None:
    site("modelplex-grumpy", "mpcli_grumpy", BROKEN_COMMANDS, "grumpy")
    result = run(["--help"], env={"MODELPLEX_PLUGINS": "grumpy,fake"})
    assert result.exit_code == 0
    assert "chat" in result.stdout
    assert "no commands today" in result.stderr
    assert "Traceback" not in result.output


# -- modelplex models ------------------------------------------------------------------------------
# The fake provider has no catalog entries: its models are what its listing says, with --live.
def test_models_table() -> None:
    result = run(["models", "--live"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["ADDRESS", "TIER", "CONTEXT"]
    echo = next(r for r in rows if r.startswith("fake/echo "))
    assert "8192" in echo
    assert "1024" in echo
    assert "tools" in echo


def test_models_json_for_one_provider() -> None:
    result = run(["models", "--provider", "fake", "--json", "--live"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_address = {m["address"]: m for m in data}
    assert set(by_address) == {"fake/echo", "fake/thinker", "fake/embedder"}
    echo = by_address["fake/echo"]
    assert echo["id"] == "echo"
    assert echo["provider"] == "fake"
    assert echo["context_window"] == 8192
    assert echo["max_output"] == 1024
    assert echo["capabilities"]["tools"] is True
    assert by_address["fake/embedder"]["capabilities"]["embeddings"] is True


def test_models_goes_on_when_one_provider_fails(site: Callable[..., None]) -> None:
    site("modelplex-down", "mpcli_down", FAILING_LISTING, "down")
    result = run(["models", "--json", "--live"], env={"MODELPLEX_PLUGINS": "down,fake"})
    assert result.exit_code == 0, result.output
    assert {m["address"] for m in json.loads(result.stdout)} >= {"fake/echo"}
    # One note on stderr, not an error line per provider (issue 13).
    (note,) = result.stderr.strip().splitlines()
    assert note.startswith("note: could not list: down (") and "model listing is down" in note


def test_models_fails_when_every_provider_or_the_named_one_fails(
        site: Callable[..., None]) -> None:
    site("modelplex-down", "mpcli_down", FAILING_LISTING, "down")
    every = run(["models", "--live"], env={"MODELPLEX_PLUGINS": "down"})
    assert every.exit_code == 1
    assert_one_error_line(every, "model listing is down")
    named = run(["models", "--provider", "down", "--live"], env={"MODELPLEX_PLUGINS": "down,fake"})
    assert named.exit_code == 1
    assert named.stdout == ""
    assert_one_error_line(named, "model listing is down")


def test_models_includes_a_configured_alias(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[providers.mock]\nplugin = "fake"\n', encoding="utf-8")
    monkeypatch.setenv("MODELPLEX_CONFIG", str(config))
    result = run(["models", "--json", "--live"])
    assert result.exit_code == 0, result.output
    addresses = {m["address"] for m in json.loads(result.stdout)}
    assert {"fake/echo", "mock/echo"} <= addresses


def test_models_without_providers() -> None:
    result = run(["models", "--json"], env={"MODELPLEX_PLUGINS": ""})
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    unknown = run(["models", "--provider", "nope"])
    assert unknown.exit_code == 1
    assert_one_error_line(unknown, "unknown provider 'nope'")


# -- modelplex chat --------------------------------------------------------------------------------
def test_chat_streams_the_reply_to_stdout() -> None:
    result = run(["chat", "-m", "fake/echo", "hello there"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "echo: hello there\n"
    assert result.stderr == ""


def test_chat_no_stream() -> None:
    result = run(["chat", "-m", "fake/echo", "--no-stream", "hi"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "echo: hi\n"


def test_chat_reads_the_prompt_from_stdin() -> None:
    result = run(["chat", "-m", "fake/echo"], input="a question from stdin\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "echo: a question from stdin\n"


def test_chat_refuses_a_terminal_or_empty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(""))
    with pytest.raises(InputError, match="no prompt"):
        read_prompt(None)
    empty = run(["chat", "-m", "fake/echo"], input="")
    assert empty.exit_code == 2
    assert_one_error_line(empty, "prompt is empty")


def test_chat_shows_reasoning_on_stderr_and_tool_calls_after_the_text(
        script: Callable[..., Path]) -> None:
    script(RICH_TURN)
    for extra in ([], ["--no-stream"]):
        result = run(["chat", "-m", "fake/thinker", *extra, "weather in Oslo?"])
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [
            "Let me look that up.", 'tool call: weather {"city": "Oslo"} (id call_w)']
        assert "[reasoning] The user wants the weather." in result.stderr
        assert "seed is not supported" in result.stderr
        assert "Let me look" not in result.stderr


def test_chat_json_has_exactly_the_documented_shape(script: Callable[..., Path]) -> None:
    script(RICH_TURN)
    expected = {
        "provider": "fake",
        "model": "thinker",
        "text": "Let me look that up.",
        "reasoning": "The user wants the weather.",
        "tool_calls": [{"id": "call_w", "name": "weather", "arguments": {"city": "Oslo"}}],
        "usage": {"input": 12, "cache_read": 3, "cache_write": 1, "cache_write_1h": 0, "output": 7,
                  "reasoning": 5, "reported_cost": None},
        "finish_reason": "tool_calls",
        "warnings": [{"code": "scripted", "message": "seed is not supported", "field": None}],
        # No catalog prices fake/thinker: every bucket with tokens is unknown, never 0 (see cost/).
        "cost": {"input": None, "cache_read": None, "cache_write": None, "cache_write_1h": "0",
                 "output": None, "reasoning": None, "total": None, "status": "unknown", "price_version": None,
                 "reported": None, "partial": False, "currency": "USD"},
    }
    for extra in ([], ["--no-stream"]):
        result = run(["chat", "-m", "fake/thinker", "--json", *extra, "weather?"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)  # one object and nothing else on stdout
        assert set(data) == CHAT_KEYS
        assert data == expected
        assert result.stderr == ""


def test_chat_with_tools_file_and_required_tool_choice(tmp_path: Path) -> None:
    tools = write_json(tmp_path / "tools.json", [WEATHER_TOOL])
    result = run(["chat", "-m", "fake/echo", "--json", "--tools", tools,
                  "-o", "tool_choice=required", "Oslo"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["finish_reason"] == "tool_calls"
    calls = [(c["name"], c["arguments"]) for c in data["tool_calls"]]
    assert calls == [("weather", {"city": "Oslo"})]
    assert isinstance(data["tool_calls"][0]["arguments"], dict)
    text = run(["chat", "-m", "fake/echo", "--tools", tools, "-o", "tool_choice=weather", "Oslo"])
    assert text.exit_code == 0, text.output
    assert text.stdout == 'tool call: weather {"city": "Oslo"} (id call_0)\n'


@pytest.mark.parametrize(("content", "fragment"), [
    (None, "cannot read it"),
    ("{not json", "not valid JSON"),
    ({"name": "weather"}, "expected a JSON list of tools, got an object"),
    (["weather"], "tools[0]: expected an object"),
    ([{"description": "no name"}], "tools[0].name: missing"),
    ([{"name": 3}], "tools[0].name: must be a string"),
    ([{"name": "bad name!"}], "tools[0].name:"),
    ([{**WEATHER_TOOL, "paramters": {}}], "tools[0].paramters: unknown field"),
    ([WEATHER_TOOL, {"name": "w", "parameters": {"type": "array"}}], "tools[1].parameters.type:"),
    ([{"name": "w", "parameters": {"properties": {"x": {"type": "strng"}}}}],
     "tools[0].parameters.properties.x.type:"),
    ([WEATHER_TOOL, WEATHER_TOOL], "tools[1].name: duplicate tool name 'weather'"),
])
def test_a_bad_tools_file_is_one_line_naming_the_file_and_field(
        tmp_path: Path, content: object, fragment: str) -> None:
    path = tmp_path / "tools.json"
    if content is not None:
        write_json(path, content)
    result = run(["chat", "-m", "fake/echo", "--tools", str(path), "hi"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert_one_error_line(result, str(path), fragment)


def test_chat_options_are_parsed_as_json_and_unknown_keys_go_to_extra(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from modelplex_testing import fake

    seen: list[Any] = []
    original = fake._next_turn

    def spy(ctx: Any, request: Any) -> dict[str, Any]:
        seen.append(request.options)
        turn: dict[str, Any] = original(ctx, request)
        return turn

    monkeypatch.setattr(fake, "_next_turn", spy)
    result = run(["chat", "-m", "fake/echo", "-o", "temperature=0.2", "-o", "max_tokens=50",
                  "-o", 'stop=["x", "y"]', "-o", "seed=7", "-o", "parallel_tool_calls=false",
                  "-o", "response_format=json_object", "-o", "top_k=40", "-o", "mode=fast",
                  "-o", 'nested={"a": [1]}', "hi"])
    assert result.exit_code == 0, result.output
    (options,) = seen
    assert options.temperature == 0.2
    assert options.max_tokens == 50
    assert options.stop == ("x", "y")
    assert options.seed == 7
    assert options.parallel_tool_calls is False
    assert options.response_format.type == "json_object"
    assert options.extra == {"top_k": 40, "mode": "fast", "nested": {"a": [1]}}


@pytest.mark.parametrize(("option", "fragment"), [
    ("temperature=hot", "-o temperature: must be a number"),
    ("max_tokens=1.5", "-o max_tokens: must be a whole number"),
    ("stop=[1]", "-o stop:"),
    ("no-equals-sign", "expected key=value"),
    ("tool_choice=weather", "not among the tools given"),
    ("response_format=yaml", "-o response_format:"),
    ("tools=[]", "--tools FILE"),
])
def test_a_bad_option_is_a_usage_error(option: str, fragment: str) -> None:
    result = run(["chat", "-m", "fake/echo", "-o", option, "hi"])
    assert result.exit_code == 2
    assert_one_error_line(result, fragment)


def test_an_unknown_provider_is_one_error_line() -> None:
    result = run(["chat", "-m", "nope/some-model", "hi"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_one_error_line(result, "unknown provider 'nope'")
    bad_address = run(["chat", "-m", "no-slash", "hi"])
    assert bad_address.exit_code == 1
    assert_one_error_line(bad_address, "provider/model")


def test_a_usage_error_is_one_line_with_exit_code_2() -> None:
    result = run(["chat", "hi"])
    assert result.exit_code == 2
    assert_one_error_line(result, "--model")


def test_a_provider_error_is_one_line_with_exit_code_1(script: Callable[..., Path]) -> None:
    script({"error": {"status": 429, "message": "slow down", "retry_after": 2}})
    for extra in ([], ["--no-stream"], ["--json"]):
        result = run(["chat", "-m", "fake/echo", *extra, "hi"])
        assert result.exit_code == 1
        assert result.stdout == ""
        assert_one_error_line(result, "slow down", "429", "retry after 2s")


def test_a_cut_stream_prints_what_came_then_the_error(script: Callable[..., Path]) -> None:
    script({"reasoning": "hmm", "text": "one two three four", "cut_after": 4})
    result = run(["chat", "-m", "fake/echo", "hi"])
    assert result.exit_code == 1
    assert result.stdout == "one two \n"
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("error: ")
    assert "cut" in error
    assert "[reasoning] hmm" in result.stderr
    assert "Traceback" not in result.output
    as_json = run(["chat", "-m", "fake/echo", "--json", "hi"])
    assert as_json.exit_code == 1
    assert as_json.stdout == "", "no half-made JSON document"
    assert_one_error_line(as_json, "cut")


def test_verbose_logs_to_stderr_and_is_undone_afterwards(site: Callable[..., None]) -> None:
    import structlog

    site("modelplex-broken", "mpcli_broken", "raise RuntimeError('boom at import')", "broken")
    assert not structlog.is_configured()
    result = run(["-v", "plugins"], env={"MODELPLEX_PLUGINS": "broken"})
    assert result.exit_code == 0, result.output
    assert "plugin_skipped" in result.stderr
    assert "boom at import" in result.stderr
    assert "plugin_skipped" not in result.stdout
    assert not structlog.is_configured(), "the CLI's logging setup must not outlive the invocation"
    quiet = run(["plugins"], env={"MODELPLEX_PLUGINS": "broken"})
    assert "plugin_skipped" not in quiet.output


def test_verbose_log_lines_never_show_a_secret() -> None:
    secret = "sk-proj-abcdefghijklmnop123456"
    result = run(["-v", "chat", "-m", "fake/echo", "-o", f"api_key={secret}", "hi"])
    assert result.exit_code == 0, result.output
    assert "cli_chat" in result.stderr
    assert secret not in result.output


# -- the installed script --------------------------------------------------------------------------
def test_script_plugins(tmp_path: Path) -> None:
    proc = run_script(["plugins", "--json"], {"MODELPLEX_CONFIG": os.devnull})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    fake = next(p for p in data["plugins"] if p["provider"] == "fake")
    assert fake["distribution"] == "modelplex-testing"


def test_script_chat_json(tmp_path: Path) -> None:
    proc = run_script(["chat", "-m", "fake/echo", "--json", "hi"],
                      {"MODELPLEX_CONFIG": os.devnull})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == CHAT_KEYS
    assert data["text"] == "echo: hi"
    assert data["finish_reason"] == "stop"


def test_script_errors_without_traceback(tmp_path: Path) -> None:
    path = write_json(tmp_path / "script.json",
                      [{"error": {"status": 429, "message": "slow down", "retry_after": 2}}])
    env = {"MODELPLEX_CONFIG": os.devnull, "MODELPLEX_FAKE_SCRIPT": path}
    proc = run_script(["chat", "-m", "fake/echo"], env, stdin="hi\n")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: fake/echo: slow down (HTTP 429); retry after 2s"]


def test_bare_modelplex_shows_the_help_and_lists_commands() -> None:
    result = run([])
    assert result.exit_code == 2  # as click does for a group called without a command
    assert "Usage: " in result.stderr
    for command in ("chat", "models", "plugins"):
        assert command in result.stderr
    assert "error:" not in result.stderr
