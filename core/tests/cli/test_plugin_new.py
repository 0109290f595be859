"""``modelplex plugin new NAME [--openai-compatible] [--dir PATH]`` (issue 19, item 1): what it writes,
and the names and directories it refuses. That the packages it writes install and pass their own tests
in a fresh environment is tests/test_plugin_template_installs.py."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelplex._cli import cli

NATIVE_MODULES = {"__init__", "plugin", "config", "messages", "tools", "body", "reply", "stream", "errors",
                  "chat"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["plugin", "new", *args], catch_exceptions=False)


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_compat_package_declares_the_plugin_through_compat_plugin(tmp_path: Path) -> None:
    result = run("acme", "--openai-compatible", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    root = tmp_path / "modelplex-acme"
    assert files(root) == {
        "pyproject.toml", "README.md", "src/modelplex_acme/__init__.py", "src/modelplex_acme/py.typed",
        "src/modelplex_acme/config.py", "src/modelplex_acme/plugin.py", "tests/test_contract.py",
        *(f"tests/fixtures/acme/{n}.json" for n in ("01_chat", "02_stream", "03_error_401",
                                                    "04_tool_calls", "05_stream_tool_calls",
                                                    "06_tool_results"))}
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "modelplex-acme"
    assert project["project"]["entry-points"]["modelplex.plugins"] == {
        "acme": "modelplex_acme.plugin:PLUGIN"}
    assert "modelplex-openai-compat>=0.1,<1" in project["project"]["dependencies"]
    assert "compat_plugin(CONFIG, PROFILE)" in (root / "src/modelplex_acme/plugin.py").read_text()
    config = (root / "src/modelplex_acme/config.py").read_text()
    assert '"ACME_API_KEY"' in config and '"ACME_BASE_URL"' in config


def test_native_package_has_the_modules_laid_out_like_ours(tmp_path: Path) -> None:
    result = run("acme-cloud", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    root = tmp_path / "modelplex-acme-cloud"
    src = root / "src" / "modelplex_acme_cloud"
    assert {p.stem for p in src.glob("*.py")} == NATIVE_MODULES
    project = tomllib.loads((root / "pyproject.toml").read_text())
    # A module plugin: the entry point names the hooks' module.
    assert project["project"]["entry-points"]["modelplex.plugins"] == {
        "acme-cloud": "modelplex_acme_cloud.plugin"}
    assert "modelplex-openai-compat" not in str(project["project"]["dependencies"])
    assert '"ACME_CLOUD_API_KEY"' in (src / "plugin.py").read_text()
    # The work is done on the toolkit, not a copy of it.
    assert "from modelplex.toolkit import" in (src / "stream.py").read_text()
    assert "sse_stream" in (src / "chat.py").read_text()


@pytest.mark.parametrize("compat", [True, False])
def test_every_placeholder_is_filled_and_every_file_parses(tmp_path: Path, compat: bool) -> None:
    run("acme", *(["--openai-compatible"] if compat else []), "--dir", str(tmp_path))
    root = tmp_path / "modelplex-acme"
    for path in root.rglob("*"):
        assert "__module__" not in path.as_posix() and "__name__" not in path.as_posix()
        if not path.is_file() or path.suffix == ".typed":
            continue
        text = path.read_text()
        assert "$" not in text.replace("$ ", ""), f"{path}: a template placeholder was left"
        assert not path.name.endswith(".tmpl")
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
    assert 'provider = "acme"' in (root / "tests" / "test_contract.py").read_text()


def test_default_directory_is_the_current_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("acme")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "modelplex-acme" / "src" / "modelplex_acme" / "plugin.py").is_file()
    assert "wrote modelplex-acme" in result.output


@pytest.mark.parametrize("name", ["Acme", "1acme", "acme!", "acme--cloud", "acme-", "acme_", "acme cloud",
                                  "modelplex/acme"])
def test_an_invalid_name_is_refused_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    result = run(name, "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert f"invalid plugin name {name!r}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_name_an_installed_plugin_provides_is_refused(tmp_path: Path) -> None:
    # groq is installed in the workspace: a second plugin under its name would shadow one of them.
    result = run("groq", "--openai-compatible", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "plugin name 'groq' is taken" in result.output
    assert "modelplex_groq.plugin:PLUGIN" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_name_whose_module_is_installed_is_refused(tmp_path: Path) -> None:
    # modelplex_testing is the test kit: a plugin of that import name would shadow it.
    result = run("testing", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "the module modelplex_testing is installed already" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "modelplex-acme"
    target.mkdir()
    (target / "pyproject.toml").write_text("mine\n")
    result = run("acme", "--dir", str(tmp_path))
    assert result.exit_code == 2
    assert "already exists; it is never overwritten" in result.output
    assert files(target) == {"pyproject.toml"}
    assert (target / "pyproject.toml").read_text() == "mine\n"
