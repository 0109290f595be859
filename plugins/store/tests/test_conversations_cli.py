"""``modelplex chat`` keeping conversations and ``modelplex conversations list|show|export|rm`` (issue 16,
item 1), through the command line against loopback servers; and what happens without the store."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli
from modelplex_testing import Reply, ScriptedServer
from modelplex_testing.compat_server import chunk

A = "groq/llama-3.3-70b-versatile"
B = "xai/grok-4.3"


def streamed(text: str, model: str) -> Reply:
    return Reply.stream([chunk(content=text, model=model), chunk(finish="stop", model=model),
                         chunk(usage={"prompt_tokens": 10, "completion_tokens": 2}, model=model)])


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    (tmp_path / "modelplex-config.toml").touch()  # conftest names it: a named file must exist
    with ScriptedServer([streamed("from groq", "llama-3.3-70b-versatile")]) as a, \
            ScriptedServer([streamed("from xai", "grok-4.3")]) as b:
        monkeypatch.setenv("GROQ_BASE_URL", a.url)
        monkeypatch.setenv("GROQ_API_KEY", "gsk_ConversationCliTest0123456789")
        monkeypatch.setenv("XAI_BASE_URL", b.url)
        monkeypatch.setenv("XAI_API_KEY", "xai-ConversationCliTest0123456789")
        monkeypatch.setenv("MODELPLEX_STATE_DIR", str(tmp_path))
        yield a, b


def run(args: Sequence[str]) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_chats_are_kept_continued_switched_listed_shown_exported_and_removed(
        servers: tuple[ScriptedServer, ScriptedServer]) -> None:
    a, b = servers
    assert run(["chat", "-m", A, "first"]).stdout == "from groq\n"
    assert run(["chat", "-c", "second"]).stdout == "from groq\n"  # the conversation's model
    listed = run(["conversations", "list"])
    assert listed.exit_code == 0, listed.stderr
    cid = listed.stdout.split()[0]
    assert f"{A}  4 messages" in listed.stdout and listed.stdout.rstrip().endswith("first")

    switched = run(["chat", "--cid", cid[:14], "-m", B, "third"])
    assert switched.stdout == "from xai\n"
    assert [m["content"] for m in b.requests[-1].json["messages"]] == [
        "first", "from groq", "second", "from groq", "third"]
    assert len(a.requests) == 2
    assert run(["chat", "-c", "fourth"]).stdout == "from xai\n"  # -c goes on with the switched model

    shown = run(["conversations", "show", cid])
    assert shown.exit_code == 0, shown.stderr
    labels = [line for line in shown.stdout.splitlines() if line.startswith("[")]
    assert labels[0] == "[you]"
    assert [line.split(" (")[0] for line in labels[1::2]] == [f"[{A}", f"[{A}", f"[{B}", f"[{B}"]
    assert labels[1].endswith(")]") and "($" in labels[1]  # a known price, in dollars
    assert f"model {B}" in shown.stdout.splitlines()[0]

    exported = json.loads(run(["conversations", "export", cid]).stdout)
    assert exported["conversation"]["id"] == cid and exported["conversation"]["model"] == B
    assert [(m["role"], m["provider"], m["requested"]) for m in exported["messages"]][1::2] == [
        ("assistant", "groq", A), ("assistant", "groq", A), ("assistant", "xai", B), ("assistant", "xai", B)]

    assert run(["conversations", "rm", cid[:10]]).stdout == f"deleted conversation {cid}\n"
    gone = run(["conversations", "show", cid])
    assert gone.exit_code == 1 and "no conversation" in gone.stderr


def test_continue_needs_a_conversation_and_takes_one_way_of_naming_it(
        servers: tuple[ScriptedServer, ScriptedServer]) -> None:
    nothing = run(["chat", "-c", "hi"])
    assert nothing.exit_code == 1
    assert "there is no conversation to continue yet" in nothing.stderr
    both = run(["chat", "-c", "--cid", "abc", "hi"])
    assert both.exit_code == 2 and "either -c/--continue or --cid" in both.stderr
    unknown = run(["chat", "--cid", "abc", "hi"])
    assert unknown.exit_code == 1 and "no conversation 'abc'" in unknown.stderr
    assert not servers[0].requests  # nothing was sent


@pytest.mark.parametrize(("variable", "value"), [("MODELPLEX_DISABLE_PLUGINS", "store"),
                                                  ("MODELPLEX_STORE", "off")], ids=["absent", "off"])
def test_without_the_store_chats_work_unsaved_and_continuing_says_what_to_do(
        servers: tuple[ScriptedServer, ScriptedServer], monkeypatch: pytest.MonkeyPatch, variable: str,
        value: str, tmp_path: Path) -> None:
    monkeypatch.setenv(variable, value)
    plain = run(["chat", "-m", A, "hi"])
    assert (plain.exit_code, plain.stdout) == (0, "from groq\n")
    for args in (["chat", "-c", "again"], ["conversations", "list"]):
        result = run(args)
        assert result.exit_code == 1
        assert "pip install modelplex-store" in result.stderr and "[store] enabled = true" in result.stderr
    assert not (tmp_path / "modelplex-data" / "logs.db").exists()  # nothing written anywhere


def test_show_says_unknown_for_a_reply_at_an_unknown_price_never_zero(
        servers: tuple[ScriptedServer, ScriptedServer], monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedServer([streamed("priceless", "mystery-model")]) as server:
        monkeypatch.setenv("GROQ_BASE_URL", server.url)
        assert run(["chat", "-m", "groq/mystery-model", "hi"]).exit_code == 0
    listed = run(["conversations", "list"]).stdout
    assert "2 messages  unknown  hi" in listed
    shown = run(["conversations", "show", listed.split()[0]]).stdout
    assert "[groq/mystery-model (unknown)]" in shown
