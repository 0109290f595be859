"""The ``modelplex`` command: the group, its built-in commands, plugin commands and error handling.

Every error reaches the user as one ``error: ...`` line on stderr, never a traceback: exit code 1
for a Modelplex error (or a file or value that cannot be used), 2 for a usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from modelplex._cli.agents import agents
from modelplex._cli.aliases import aliases
from modelplex._cli.chat import chat
from modelplex._cli.conversations import conversations
from modelplex._cli.embed import embed
from modelplex._cli.health import health
from modelplex._cli.inputs import InputError
from modelplex._cli.keys import keys
from modelplex._cli.models import models
from modelplex._cli.models_default import default as models_default
from modelplex._cli.output import error_message
from modelplex._cli.plugin_new import plugin
from modelplex._cli.plugins import plugins
from modelplex._cli.policy import policy
from modelplex._cli.providers import providers
from modelplex._cli.state import get_state
from modelplex._cli.verbose import enable_verbose

__all__ = ["cli", "main", "running_command"]


# click >= 8.2 raises this for a bare group invocation; older versions print the help themselves.
_NoArgsIsHelp: type[click.UsageError] = getattr(click.exceptions, "NoArgsIsHelpError",
                                                type("_Never", (click.UsageError,), {}))


class ModelplexGroup(click.Group):
    """A group whose plugin commands are found only when needed, and whose errors are one line."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        state = get_state(ctx)
        if state.plugin_commands is None:
            scratch = click.Group(self.name)
            try:
                state.client.registry.broadcast("modelplex_register_commands", cli=scratch)
            except Exception as exc:  # one broken plugin must not take the built-in commands down
                click.echo(f"warning: plugin commands could not be added: {error_message(exc)}",
                           err=True)
            state.plugin_commands = {n: c for n, c in scratch.commands.items()
                                     if n not in self.commands}
        return state.plugin_commands

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        builtin = super().get_command(ctx, cmd_name)
        if builtin is not None:
            return builtin
        return self._plugin_commands(ctx).get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        from modelplex import ModelplexError

        global _running
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            code = 1
        except _NoArgsIsHelp as exc:  # bare ``modelplex``: the help, as click shows it
            exc.show()
            code = exc.exit_code
        except click.UsageError as exc:
            hint = ""
            if not isinstance(exc, InputError) and exc.ctx is not None and \
                    exc.ctx.command.get_help_option(exc.ctx) is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            click.echo(f"error: {error_message(exc)}{hint}", err=True)
            code = exc.exit_code
        except click.ClickException as exc:
            click.echo(f"error: {error_message(exc)}", err=True)
            code = exc.exit_code
        except (ModelplexError, OSError, ValueError, TypeError) as exc:
            click.echo(f"error: {error_message(exc)}", err=True)
            code = 1
        finally:
            _running = None  # the command has ended (a test's CliRunner runs many in one process)
        if standalone_mode:
            sys.exit(code)
        return code


_running: str | None = None


def running_command() -> str | None:
    """The ``modelplex`` command this process runs (``"chat"``, ``"serve"``...), while it runs; ``None``
    in any other program. For plugins whose defaults differ between a command that makes a few calls
    and ends, and one that keeps serving (modelplex-store's writer)."""
    return _running


@click.group(cls=ModelplexGroup)
@click.option("-v", "--verbose", is_flag=True,
              help="Log to stderr the config file read, each request (method, URL, status, time), "
                   "retries and fallbacks; never a secret.")
@click.version_option(package_name="modelplex", prog_name="modelplex")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """One interface to every LLM provider; providers are plugins."""
    global _running
    _running = ctx.invoked_subcommand
    if verbose:
        enable_verbose(ctx)
    get_state(ctx)  # before the subcommand's context, which takes its obj from this one


cli.add_command(plugins)
cli.add_command(plugin)
cli.add_command(models)
cli.add_command(chat)
cli.add_command(conversations)
cli.add_command(embed)
cli.add_command(health)
cli.add_command(keys)
cli.add_command(providers)
cli.add_command(aliases)
cli.add_command(agents)
cli.add_command(policy)
models.add_command(models_default)


def main() -> None:
    """The console script: ``modelplex``."""
    cli.main(prog_name="modelplex")
