"""``modelplex plugin new NAME``: write a provider plugin package that installs and passes its tests
as generated, from the templates in :mod:`modelplex._templates`."""

from __future__ import annotations

import importlib.util
import re
import string
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

import click

from modelplex._cli.inputs import InputError

if TYPE_CHECKING:
    from importlib.abc import Traversable

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_COMPAT_DEPS = ("modelplex>=0.1,<1", "modelplex-openai-compat>=0.1,<1")
_COMPAT_LAYOUT = """\
`src/MODULE/config.py` says where the server is (`CompatConfig`) and how it differs from OpenAI's
Chat Completions (`Profile`: field names, what it rejects, what it supports); `plugin.py` declares
the plugin with `compat_plugin`. Most providers need nothing more."""
_NATIVE_LAYOUT = """\
`src/MODULE/`: `plugin.py` (the hooks; imports nothing until a call), `config.py` (endpoint and
headers), `body.py` (the request body, a warning for each option left out), `messages.py` (messages
to the wire), `tools.py` (the `ToolCodec`), `reply.py` (a whole reply, read with
`modelplex.toolkit.Reader`), `stream.py` (the `SSEHandler` for `modelplex.toolkit.sse_stream`),
`errors.py` (error answers on the Modelplex error tree), `chat.py` (the two calls). The example wire
is shaped like OpenAI's Chat Completions so that the recordings replay; change each module to your
provider's format as you replace the recordings."""
_NATIVE_DEPS = ("modelplex>=0.1,<1", "httpx>=0.27", "attrs>=24.2")


def check_name(name: str) -> None:
    """Refuse a name that cannot be a provider name, or that an installed plugin already uses."""
    if not _NAME.match(name):
        raise InputError(f"invalid plugin name {name!r}: use lowercase letters and digits, starting "
                         "with a letter, words joined by '-' or '_' (e.g. 'acme' or 'acme-cloud')")
    taken = {ep.name: ep.value for ep in metadata.entry_points(group="modelplex.plugins")}
    if name in taken:
        raise InputError(f"plugin name {name!r} is taken: an installed plugin ({taken[name]}) "
                         "provides it; choose another name")
    # The import name too: 'testing' would make a second modelplex_testing, shadowing the test kit.
    module = "modelplex_" + name.replace("-", "_")
    if importlib.util.find_spec(module) is not None:
        raise InputError(f"plugin name {name!r} is taken: the module {module} is installed already; "
                         "choose another name")


def _variables(name: str, compat: bool) -> dict[str, str]:
    layout = _COMPAT_LAYOUT if compat else _NATIVE_LAYOUT
    module = "modelplex_" + name.replace("-", "_")
    env = name.upper().replace("-", "_")
    deps = _COMPAT_DEPS if compat else _NATIVE_DEPS
    return {"name": name, "module": module, "env_key": f"{env}_API_KEY",
            "env_base": f"{env}_BASE_URL", "flag": " --openai-compatible" if compat else "",
            "entry_point": f"{module}.plugin:PLUGIN" if compat else f"{module}.plugin",
            "dependencies": "".join(f'    "{d}",\n' for d in deps),
            "layout": layout.replace("MODULE", module)}


def _copy(source: Traversable, target: Path, values: dict[str, str]) -> list[Path]:
    written = []
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.name in ("__pycache__", "__init__.py") and source.name == "_templates":
            continue
        if item.name == "__pycache__":
            continue
        name = item.name.replace("__module__", values["module"]).replace("__name__", values["name"])
        if item.is_dir():
            written += _copy(item, target / name, values)
            continue
        target.mkdir(parents=True, exist_ok=True)
        if name.endswith(".tmpl"):
            text = string.Template(item.read_text(encoding="utf-8")).substitute(values)
            path = target / name.removesuffix(".tmpl")
            path.write_text(text, encoding="utf-8")
        else:
            path = target / name
            path.write_bytes(item.read_bytes())
        written.append(path)
    return written


def generate(name: str, parent: Path, *, compat: bool) -> Path:
    """Write the package ``modelplex-NAME`` into ``parent``; return its directory.

    :raises InputError: for an invalid or taken name, or when the directory exists (it is never
        overwritten).
    """
    check_name(name)
    target = parent / f"modelplex-{name}"
    if target.exists():
        raise InputError(f"{target} already exists; it is never overwritten: remove it or pass "
                         "another --dir")
    values = _variables(name, compat)
    root = resources.files("modelplex._templates")
    _copy(root / "common", target, values)
    _copy(root / ("compat" if compat else "native"), target, values)
    return target


@click.group()
def plugin() -> None:
    """Write a new provider plugin."""


@plugin.command("new")
@click.argument("name")
@click.option("--openai-compatible", "compat", is_flag=True,
              help="A provider that speaks OpenAI's Chat Completions (built on modelplex-openai-compat); "
                   "without it, a native plugin with its own message, tool, stream and error modules.")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to write the package's directory.")
def new(name: str, compat: bool, parent: Path) -> None:
    """Write the package modelplex-NAME: the plugin, a README, and contract tests replaying a recorded
    chat (whole and streamed) that pass as generated."""
    target = generate(name, parent, compat=compat)
    click.echo(f"wrote {target}\nnext: cd {target} && pip install -e . modelplex-testing pytest "
               "hypothesis && pytest")
