"""``modelplex conversations list|show|export|rm``, and the conversation a ``modelplex chat`` continues
(``-c``/``--continue``, ``--cid ID``) or starts.

Conversations are kept by the usage store (``modelplex-store``). Without it, these commands and ``chat
-c``/``--cid`` fail with one line saying what to install; a plain ``modelplex chat`` (and the interactive
chat) still works, unsaved.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex
    from modelplex._conversation import Conversation, ConversationMessage


def for_chat(client: modelplex.Client, continue_: bool, cid: str | None, model: str | None,
             system: str | None) -> Conversation | None:
    """The conversation a chat goes on: the last one (``continue_``), ``cid``, or a new one with
    ``model`` (``None`` when no store is installed). ``model``/``system`` switch a continued one."""
    from modelplex._conversation import conversation_store, required_store
    from modelplex.errors import ModelplexError

    if continue_ or cid:
        if continue_ and cid:
            raise click.UsageError("give either -c/--continue or --cid, not both")
        if cid is None:
            cid = required_store(client.async_client).latest()
            if cid is None:
                raise click.ClickException("there is no conversation to continue yet: start one with "
                                           "'modelplex chat'")
        return client.conversation(cid, model=model, system=system)
    try:
        if conversation_store(client.async_client) is None:
            return None
        return client.conversation(model=model, system=system)
    except ModelplexError:  # the configuration is wrong: said, not hidden in a warning
        raise
    except Exception as exc:  # a store that is down must not cost the chat itself
        from modelplex._cli.output import error_message

        click.echo(f"warning: this chat is not kept as a conversation: {error_message(exc)}", err=True)
        return None


def money(amount: Any) -> str:
    """Dollars as people read them: ``$0.0000123``; ``unknown`` for ``None``, never ``$0``."""
    if amount is None:
        return "unknown"
    text = f"{amount:.10f}".rstrip("0")
    return "$" + (text + "00" if text.endswith(".") else text)


def label(message: ConversationMessage) -> str:
    """``you`` for a user's message; the model that produced a reply, with its cost."""
    if message.role != "assistant":
        return "you" if message.role == "user" else message.role
    cost = message.cost.total if message.cost is not None else None
    return f"{message.label or message.requested or 'assistant'} ({money(cost)})"


@click.group()
def conversations() -> None:
    """Stored conversations: list, show, export, rm (needs modelplex-store)."""


def _store(ctx: click.Context) -> Any:
    from modelplex._conversation import required_store

    return required_store(get_state(ctx).client.async_client)


@conversations.command("list")
@click.option("-n", "limit", default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per conversation.")
@click.pass_context
def list_(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The conversations updated last: id, when, model, messages, cost, title."""
    import datetime

    for item in _store(ctx).list(limit):
        record = item.record
        when = datetime.datetime.fromtimestamp(record.updated_at, datetime.UTC).strftime("%Y-%m-%d %H:%M")
        if as_json:
            click.echo(json.dumps({"id": record.id, "title": record.title, "model": record.model,
                                   "updated_at": when, "messages": item.messages,
                                   "cost_usd": None if item.cost is None else str(item.cost)}))
        else:
            click.echo(f"{record.id}  {when}  {record.model or '-'}  {item.messages} messages  "
                       f"{money(item.cost)}  {record.title or ''}")


@conversations.command()
@click.argument("cid", metavar="ID")
@click.pass_context
def show(ctx: click.Context, cid: str) -> None:
    """The messages of conversation ID's active branch, each labelled with its model and cost."""
    record, messages = _store(ctx).load(cid)
    from modelplex._conversation import active_path

    click.echo(f"conversation {record.id}: {record.title or '(untitled)'}; model {record.model or '-'}")
    if record.system:
        click.echo(f"system: {record.system}")
    for message in active_path(messages, record.head):
        click.echo(f"\n[{label(message)}]")
        click.echo(message.text)


@conversations.command()
@click.argument("cid", metavar="ID")
@click.pass_context
def export(ctx: click.Context, cid: str) -> None:
    """Conversation ID as JSON: its fields and every message of every branch."""
    from modelplex import unstructure

    record, messages = _store(ctx).load(cid)
    data = {"conversation": unstructure(record), "messages": [unstructure(m) for m in messages]}
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@conversations.command()
@click.argument("cid", metavar="ID")
@click.pass_context
def rm(ctx: click.Context, cid: str) -> None:
    """Delete conversation ID and its messages (the usage log keeps its calls)."""
    click.echo(f"deleted conversation {_store(ctx).delete(cid)}")
