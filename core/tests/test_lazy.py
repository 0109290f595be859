"""``lazy_exports``: a package's names load with their module on first use, and only then."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import attrs
import pytest

INIT = '''
from modelplex._lazy import lazy_exports

_WHERE = {"Thing": "_impl", "helper": "_impl:_helper", "Public": "public", "CONSTANT": "_impl"}
__all__ = ["CONSTANT", "Public", "Thing", "helper"]
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, public_module=PUBLIC_MODULE)
'''

IMPL = '''
from __future__ import annotations

import attrs

Count = int
CONSTANT = 3


@attrs.frozen(kw_only=True)
class Thing:
    count: Count


def _helper() -> str:
    return "helped"
'''


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], ModuleType]]:
    made: list[str] = []

    def make(public_module: bool) -> ModuleType:
        name = f"mp_lazy_{len(made)}"
        root = tmp_path / name
        root.mkdir()
        (root / "__init__.py").write_text(textwrap.dedent(INIT).replace("PUBLIC_MODULE", str(public_module)))
        (root / "_impl.py").write_text(textwrap.dedent(IMPL))
        (root / "public.py").write_text("class Public:\n    pass\n")
        made.append(name)
        return __import__(name)

    monkeypatch.syspath_prepend(str(tmp_path))
    yield make
    for name in list(sys.modules):
        if name.split(".")[0] in made:
            del sys.modules[name]


def test_a_name_loads_its_module_on_first_use_with_the_names_beside_it(
        package: Callable[[bool], ModuleType]) -> None:
    pkg = package(False)
    assert f"{pkg.__name__}._impl" not in sys.modules
    assert pkg.helper() == "helped"  # "module:attr": exported under another name
    assert f"{pkg.__name__}._impl" in sys.modules
    assert {"Thing", "helper", "CONSTANT"} <= set(vars(pkg))  # bound: later lookups skip __getattr__
    assert f"{pkg.__name__}.public" not in sys.modules
    assert pkg.Thing(count=1).count == 1
    assert pkg.Thing.__module__ == f"{pkg.__name__}._impl"  # left alone without public_module


def test_public_module_names_the_package_and_keeps_attrs_annotations_resolvable(
        package: Callable[[bool], ModuleType]) -> None:
    pkg = package(True)
    assert pkg.Thing.__module__ == pkg.__name__
    assert attrs.fields(pkg.Thing).count.type is int  # "Count" resolved before the module was renamed
    assert pkg.Public.__module__ == f"{pkg.__name__}.public"  # a public module keeps its name
    assert pkg.CONSTANT == 3


def test_an_unknown_name_is_an_attribute_error_and_dir_lists_every_name(
        package: Callable[[bool], ModuleType]) -> None:
    pkg = package(False)
    with pytest.raises(AttributeError, match=f"module '{pkg.__name__}' has no attribute 'Nope'"):
        _ = pkg.Nope
    assert not hasattr(pkg, "Nope")
    assert set(pkg.__all__) <= set(dir(pkg))
    assert dir(pkg) == sorted(dir(pkg))
