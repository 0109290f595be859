"""``modelplex chat``: one prompt to one model, the reply streamed to stdout or printed as JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.conversations import for_chat
from modelplex._cli.inputs import check_tool_choice, load_tools, parse_options, read_prompt
from modelplex._cli.output import ReplyPrinter, echo_json, response_json
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    import modelplex


@click.command()
@click.option("-m", "--model", metavar="PROVIDER/MODEL",
              help="The model to ask, as provider/model (see 'modelplex models'), a fallback chain "
                   "as chain/NAME (chain/fast, chain/flagship, chain/local or one configured), or an "
                   "alias. Default: 'modelplex models default', else the model the last chat used.")
@click.option("--system", metavar="TEXT", help="A system prompt.")
@click.option("--agent", metavar="NAME",
              help="Use the [agents.NAME] profile of the config file: its model, system prompt, options "
                   "and tags; -m, --system and -o win over it.")
@click.option("--task", metavar="TASK",
              help="Use the model [routing.tasks] routes TASK to (built in: reasoning, coding, "
                   "summarization, local); -m wins over it.")
@click.option("--no-stream", is_flag=True, help="Wait for the whole reply instead of streaming it.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole reply as one JSON object (text, reasoning, tool calls, usage, cost).")
@click.option("--tools", "tools_file", metavar="FILE",
              help="A JSON list of tools: objects with name, description and parameters.")
@click.option("-o", "--option", "option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A chat option (temperature, max_tokens, stop, tool_choice, ...); values are "
                   "JSON when they parse. Unknown keys go to the provider as is. Repeatable.")
@click.option("--trace", "show_trace", is_flag=True,
              help="Show how the call was routed (models tried, skipped, failed) on stderr, or under "
                   "\"trace\" with --json.")
@click.option("-c", "--continue", "continue_", is_flag=True,
              help="Continue the last conversation, with its model (-m switches it). Needs modelplex-store.")
@click.option("--cid", metavar="ID",
              help="Continue conversation ID (or the beginning of its id): see 'modelplex conversations'.")
@click.argument("prompt", required=False)
@click.pass_context
def chat(ctx: click.Context, model: str | None, system: str | None, agent: str | None, task: str | None,
         no_stream: bool, as_json: bool, tools_file: str | None, option_pairs: tuple[str, ...],
         show_trace: bool, continue_: bool, cid: str | None, prompt: str | None) -> None:
    """Send PROMPT (or standard input) to a model and print the reply; with neither, in a terminal, chat
    interactively.

    The answer goes to stdout as it arrives; reasoning, warnings and notes go to stderr. With
    modelplex-store installed each chat is kept as a conversation, which -c/--cid continue.
    """
    options, extra = parse_options(option_pairs)
    tools = load_tools(tools_file) if tools_file is not None else []
    check_tool_choice(options, tools)
    kwargs: dict[str, Any] = {**options, "tools": tools, "extra": extra, "agent": agent, "task": task}
    if prompt is None and not as_json and sys.stdin is not None and sys.stdin.isatty():
        from modelplex._cli.chat_interactive import interactive

        interactive(get_state(ctx).client, model=model, system=system, kwargs=kwargs,
                    continue_=continue_, cid=cid)
        return
    text = read_prompt(prompt)

    from modelplex._cli.last_used import remember_used
    from modelplex._cli.models_default import chat_model
    from modelplex._logging import log

    client = get_state(ctx).client
    conversation = for_chat(client, continue_, cid, model, system)
    if conversation is not None and conversation.model is not None:
        model = conversation.model
    elif agent is None and task is None:  # else the agent or the task names the model
        model = chat_model(client, model)
        if conversation is not None:
            conversation.model = model
    log("debug", "cli_chat", model=model, stream=not no_stream, options=sorted(options),
        extra=sorted(extra), tools=[t.name for t in tools])
    try:
        if no_stream:
            response = (conversation.send(text, **kwargs) if conversation is not None
                        else client.chat(model, text, system=system, **kwargs))
            if not as_json:
                ReplyPrinter().response(response)
        else:  # streamed with --json too, so a long reply does not hit a non-streaming timeout
            opened = ((lambda: conversation.stream(text, **kwargs)) if conversation is not None
                      else (lambda: client.stream(model, text, system=system, **kwargs)))
            response = _stream(opened, None if as_json else ReplyPrinter())
    except Exception as exc:
        if show_trace and getattr(exc, "trace", None) is not None:
            echo_trace(exc.trace)  # type: ignore[attr-defined]
        raise
    if model is not None:  # not an agent's or a task's model: that is theirs, not a default for plain chats
        remember_used(model)
    if as_json:
        data = response_json(response)
        if show_trace:
            from modelplex import unstructure

            data["trace"] = unstructure(response.trace) if response.trace is not None else None
        echo_json(data)
    elif show_trace and response.trace is not None:
        echo_trace(response.trace)


def echo_trace(trace: modelplex.RoutingTrace) -> None:
    for line in trace.lines():
        click.echo(line, err=True)


def _stream(opened: Callable[[], Any], printer: ReplyPrinter | None) -> modelplex.ChatResponse:
    """Stream the reply (``opened()``: the stream), shown through ``printer`` if given; on a break, what
    came stays shown."""
    try:
        with opened() as stream:
            for event in stream:
                if printer is not None:
                    printer.event(event)
    except BaseException:
        if printer is not None:
            printer.finish()
        raise
    response: modelplex.ChatResponse | None = stream.response
    assert response is not None  # a stream that ends without its finish raises instead
    if printer is not None:
        printer.finish(response)
    return response
