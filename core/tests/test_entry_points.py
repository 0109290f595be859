"""Entry points read from ``entry_points.txt`` files agree with ``importlib.metadata`` wherever it looks."""

from __future__ import annotations

import os
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from modelplex._entry_points import EntryPoint, entry_points


def _ours(group: str) -> set[tuple[str, str, str | None, str | None]]:
    return {(ep.name, ep.value, ep.distribution, ep.version) for ep in entry_points(group)}


def _theirs(group: str) -> set[tuple[str, str, str | None, str | None]]:
    found = set()
    for ep in metadata.entry_points(group=group):
        meta = ep.dist.metadata if ep.dist is not None else None
        found.add((ep.name, ep.value, meta["Name"] if meta else None, meta["Version"] if meta else None))
    return found


def _dist_info(root: Path, name: str, version: str, entry_points_txt: str) -> None:
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    # A "Name:" after the blank line is the long description's, not a header.
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: no\n")
    (info / "entry_points.txt").write_text(entry_points_txt)


@pytest.mark.parametrize("group", ["modelplex.plugins", "console_scripts", "pytest11"])
def test_the_installed_entry_points_are_those_importlib_metadata_finds(group: str) -> None:
    assert _ours(group) == _theirs(group)
    if group == "modelplex.plugins":  # the core's test environment holds the test kit's fake provider
        assert "fake" in {name for name, *_ in _ours(group)}


def test_the_first_copy_of_a_distribution_on_sys_path_wins(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist_info(first, "Mp.Twice", "2.0", "[mp.test]\ntwice = mp_new\n")
    _dist_info(second, "mp-twice", "1.0", "[mp.test]\ntwice = mp_old\nonly_old = mp_old\n")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    assert _ours("mp.test") == {("twice", "mp_new", "Mp.Twice", "2.0")} == _theirs("mp.test")


def test_a_distribution_whose_files_are_not_utf8_is_skipped_not_fatal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _dist_info(tmp_path, "mp-good", "1.0", "[mp.test]\ngood = mp_good\n")
    bad = tmp_path / "mp_bad-1.0.dist-info"
    bad.mkdir()
    (bad / "METADATA").write_bytes(b"Metadata-Version: 2.1\nName: mp-bad\nVersion: 1.0\n")
    (bad / "entry_points.txt").write_bytes(b"[mp.test]\nbad = mp_bad \xff\xfe\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _ours("mp.test") == {("good", "mp_good", "mp-good", "1.0")}


def test_sections_comments_and_egg_info_are_read_as_importlib_metadata_reads_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    egg = tmp_path / "mp_egg-0.5-py3.11.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: mp-egg\nVersion: 0.5\n")
    (egg / "entry_points.txt").write_text(
        "# a comment\n[other]\nnot_me = mp_egg:x\n\n[mp.test]\n  spaced  =  mp_egg.sub : make [extra]\n"
        "plain=mp_egg\n[mp.test.more]\nnor_me = mp_egg:y\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    expected = {("spaced", "mp_egg.sub : make [extra]", "mp-egg", "0.5"),
                ("plain", "mp_egg", "mp-egg", "0.5")}
    assert _ours("mp.test") == expected == _theirs("mp.test")


def test_a_zip_on_sys_path_is_searched_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = "mp_zipped-3.0.dist-info"
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: mp-zipped\nVersion: 3.0\n")
        zf.writestr(f"{info}/entry_points.txt", "[mp.test]\nzipped = mp_zipped:hooks\n")
    monkeypatch.syspath_prepend(str(archive))
    assert _ours("mp.test") == {("zipped", "mp_zipped:hooks", "mp-zipped", "3.0")} == _theirs("mp.test")


def test_load_imports_the_module_and_follows_the_dotted_attribute() -> None:
    def point(value: str) -> EntryPoint:
        return EntryPoint(name="p", value=value, distribution=None, version=None)

    assert point("os.path : join").load() is os.path.join
    assert point("os [extra]").load() is os
    with pytest.raises(ValueError, match="'not a value!'"):
        point("not a value!").load()


def test_reading_them_does_not_import_importlib_metadata() -> None:
    import subprocess

    code = ("import sys; from modelplex._entry_points import entry_points; "
            "assert entry_points('modelplex.plugins'); print('importlib.metadata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
