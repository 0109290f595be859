"""The interactive chat: ``modelplex chat`` with no prompt, in a terminal.

Each line is sent to the conversation's current model and the reply streamed (the answer on stdout,
reasoning, warnings and the model's label with the cost on stderr). Lines starting with ``/`` are
commands (:data:`HELP`). Line editing and history (up and down arrows, kept across sessions in the state
directory beside the last used model) come from the standard library's ``readline`` where Python has it;
without it, plain ``input()``.

With ``modelplex-store`` every exchange is stored as it comes (``/save`` names the conversation, and
``modelplex chat -c`` continues it); without it, the chat lives in memory and ``/save`` says what to
install. Ctrl-C stops a reply and keeps the chat; Ctrl-D or ``/exit`` leaves.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.conversations import for_chat, label
from modelplex._cli.output import ReplyPrinter, error_message

if TYPE_CHECKING:
    import modelplex
    from modelplex._conversation import Conversation

HELP = """commands:
  /model [PROVIDER/MODEL]  show the model, or switch to another for the next messages
  /system [TEXT | -]       show the system prompt, set it, or (-) remove it
  /tools [FILE | -]        list the tools offered, load them from a JSON file, or (-) offer none
  /save [TITLE]            keep the conversation (titled), and print its id
  /exit                    leave (also Ctrl-D)"""
HISTORY_FILE = "chat_history"
HISTORY_LINES = 1000


def _history() -> Any:
    """Load the line history (``readline``), returning what saves it on leaving; ``None`` without it."""
    try:
        import readline
    except ImportError:  # Windows' Python has none: plain input()
        return None
    from modelplex._cli.last_used import state_path

    path = state_path().with_name(HISTORY_FILE)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LINES)

    def save() -> None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)

    return save


def interactive(client: modelplex.Client, *, model: str | None, system: str | None, kwargs: dict[str, Any],
                continue_: bool, cid: str | None) -> None:
    """Chat until ``/exit`` or end of input (see the module's docstring)."""
    from modelplex._cli.last_used import remember_used
    from modelplex._cli.models_default import chat_model

    conversation = for_chat(client, continue_, cid, model, system)
    if conversation is None:
        conversation = client.conversation(model=model, system=system)  # kept in memory only
    if conversation.model is None and kwargs.get("agent") is None and kwargs.get("task") is None:
        conversation.model = chat_model(client, model)
    saved = "" if conversation.saved else "; not saved: modelplex-store is not installed"
    click.echo(f"chatting with {conversation.model or 'the agent/task model'} (conversation "
               f"{conversation.id}, {len(conversation.messages)} messages{saved}). /help for commands, "
               "/exit to leave.", err=True)
    save_history = _history()
    try:
        while True:
            try:
                line = input("> ")
            except EOFError:
                click.echo(err=True)
                break
            except KeyboardInterrupt:
                click.echo(err=True)
                continue
            if not line.strip():
                continue
            if line.startswith("/"):
                if not _command(client, conversation, line, kwargs):
                    break
                continue
            _reply(conversation, line, kwargs)
            if conversation.model is not None:
                remember_used(conversation.model)
    finally:
        if save_history is not None:
            save_history()


def _reply(conversation: Conversation, line: str, kwargs: dict[str, Any]) -> None:
    """Stream the reply to ``line``; an error is one line and the chat goes on."""
    printer = ReplyPrinter()
    try:
        with conversation.stream(line, **kwargs) as stream:
            for event in stream:
                printer.event(event)
    except KeyboardInterrupt:
        printer.finish()
        click.echo("(stopped: this exchange is not kept)", err=True)
        return
    except Exception as exc:
        printer.finish()
        click.echo(f"error: {error_message(exc)}", err=True)
        return
    printer.finish(stream.response)
    click.echo(click.style(f"[{label(conversation.messages[-1])}]", dim=True), err=True)


def _command(client: modelplex.Client, conversation: Conversation, line: str, kwargs: dict[str, Any]) -> bool:
    """Run a ``/`` command; false to leave."""
    name, _, arg = line.strip().partition(" ")
    arg = arg.strip()
    if name in ("/exit", "/quit"):
        return False
    try:
        if name == "/help":
            click.echo(HELP, err=True)
        elif name == "/model":
            _model(client, conversation, arg)
        elif name == "/system":
            if arg:
                conversation.system = None if arg == "-" else arg
            click.echo(f"system prompt: {conversation.system or '(none)'}", err=True)
        elif name == "/tools":
            _tools(arg, kwargs)
        elif name == "/save":
            _save(conversation, arg)
        else:
            click.echo(f"unknown command {name}: /help lists them", err=True)
    except (click.ClickException, Exception) as exc:
        text = exc.format_message() if isinstance(exc, click.ClickException) else error_message(exc)
        click.echo(f"error: {text}", err=True)
    return True


def _model(client: modelplex.Client, conversation: Conversation, address: str) -> None:
    from modelplex._cli.models_default import check_address

    if address:
        check_address(client, address)
        conversation.model = address
        click.echo(f"next messages go to {address}", err=True)
    else:
        click.echo(f"model: {conversation.model or '(the agent/task model)'}", err=True)


def _tools(path: str, kwargs: dict[str, Any]) -> None:
    from modelplex._cli.inputs import load_tools

    if path == "-":
        kwargs["tools"] = []
    elif path:
        kwargs["tools"] = load_tools(path)
    names = ", ".join(t.name for t in kwargs.get("tools") or []) or "(none)"
    click.echo(f"tools offered: {names} (the model's calls are shown, not run)", err=True)


def _save(conversation: Conversation, title: str) -> None:
    if not conversation.saved:
        raise click.ClickException("conversations are kept by the usage store: pip install modelplex-store")
    if not conversation.messages:
        raise click.ClickException("nothing to keep yet: a conversation is kept from its first exchange")
    if title:
        conversation.title = title
    click.echo(f"saved: conversation {conversation.id} ({conversation.title or 'untitled'}); continue it "
               f"with 'modelplex chat -c' or 'modelplex chat --cid {conversation.id}'", err=True)
