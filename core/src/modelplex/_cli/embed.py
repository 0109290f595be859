"""``modelplex embed``: texts, files or standard input to vectors, one per line or as one JSON document."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from modelplex._cli.inputs import InputError
from modelplex._cli.state import get_state

if TYPE_CHECKING:
    from modelplex import EmbedResponse


@click.command()
@click.option("-m", "--model", required=True, metavar="PROVIDER/MODEL",
              help="The embedding model, as provider/model (see 'modelplex models --capability "
                   "embeddings'), or a fallback chain as chain/NAME.")
@click.option("-i", "--input", "files", multiple=True, metavar="FILE",
              help="A file whose text is one input ('-' for standard input). Repeatable.")
@click.option("--lines", is_flag=True,
              help="Each non-blank line of the files and standard input is an input of its own.")
@click.option("-d", "--dimensions", type=click.IntRange(min=1), metavar="N",
              help="Ask for vectors of N dimensions (for models that can shorten them).")
@click.option("--task-type", metavar="TYPE",
              help="A hint some providers take, e.g. Gemini's RETRIEVAL_QUERY or RETRIEVAL_DOCUMENT.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: provider, model, dimensions, vectors, usage, cost, warnings.")
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@click.pass_context
def embed(ctx: click.Context, model: str, files: tuple[str, ...], lines: bool, dimensions: int | None,
          task_type: str | None, as_json: bool, texts: tuple[str, ...]) -> None:
    """Embed each TEXT (or each -i FILE, or standard input) and print the vectors.

    Without --json, each vector is printed on its own line as a JSON list of numbers, in the order
    the inputs were given: the texts first, then the files.
    """
    inputs = read_inputs(texts, files, lines)
    from modelplex._logging import log

    log("debug", "cli_embed", model=model, inputs=len(inputs), dimensions=dimensions)
    response = get_state(ctx).client.embed(model, inputs, dimensions=dimensions, task_type=task_type)
    if len(response.vectors) != len(inputs):  # a vector short would silently misalign every line after it
        raise click.ClickException(f"{model}: {len(inputs)} inputs sent but {len(response.vectors)} "
                                   "vectors received")
    if as_json:  # on one line: indented, each number of thousands of dimensions would take a line
        click.echo(json.dumps(embed_json(response), ensure_ascii=False))
    else:
        for vector in response.vectors:
            click.echo(json.dumps(vector))
    for warning in response.warnings:
        where = f" ({warning.field})" if warning.field else ""
        click.echo(f"warning: {warning.message}{where} [{warning.code}]", err=True)


def read_inputs(texts: tuple[str, ...], files: tuple[str, ...], lines: bool) -> list[str]:
    """The inputs: the texts, then each file (or standard input when neither is given), split into
    lines with ``lines``; a usage error names an input that cannot be read or is empty."""
    inputs: list[str] = []
    for n, text in enumerate(texts, 1):
        if not text.strip():
            raise InputError(f"TEXT {n} is empty: there is nothing to embed")
        inputs.append(text)
    named = list(files)
    if not texts and not named:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("nothing to embed: give TEXT arguments, -i FILE or pipe text on stdin")
        named = ["-"]
    for name in named:
        text = _read(name)
        if lines:
            parts = [line for line in text.splitlines() if line.strip()]
        else:  # the newline that ends a file is not part of its text
            parts = [text.removesuffix("\n").removesuffix("\r")] if text.strip() else []
        if not parts:
            label = "standard input" if name == "-" else f"-i {name!r}"
            raise InputError(f"{label} is empty: there is nothing to embed")
        inputs.extend(parts)
    return inputs


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"-i {name!r}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"-i {name!r}: cannot read it: {exc.strerror or exc}") from None


def embed_json(response: EmbedResponse) -> dict[str, Any]:
    """The one object ``embed --json`` prints: a stable shape, independent of the provider."""
    cost = response.cost
    total = None if cost is None else cost.total
    return {
        "provider": response.provider,
        "model": response.model,
        "dimensions": len(response.vectors[0]) if response.vectors else None,
        "vectors": [list(v) for v in response.vectors],
        "usage": {"input": response.usage.input},
        "cost": None if total is None else str(total),
        "warnings": [{"code": w.code, "message": w.message, "field": w.field}
                     for w in response.warnings],
    }
