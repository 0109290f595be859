"""The public surface: ``__all__`` lists, the error tree and its drawing in ``modelplex.errors``."""

from __future__ import annotations

import builtins
import re
from types import ModuleType

import pytest

import modelplex
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
