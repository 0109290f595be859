"""Issue 19, item 4: the generated pages of the documentation site. One page per provider, written from the
plugin's own declaration (a plugin nobody wrote a page for gets one), and the hook reference from
hookspecs.py (a hook added to the contract is on it)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import docs_hooks  # the scripts directory is not a package
import docs_links
import docs_providers

from modelplex import ProviderInfo
from modelplex._plugins import Registry
from modelplex.hookspecs import SPEC_VERSION, hookimpl


class Zeta:
    """A provider plugin no page was ever written for, declared only in this test."""

    @hookimpl
    def modelplex_provider_info(self) -> ProviderInfo:
        return ProviderInfo(spec_version=SPEC_VERSION, description="Zeta: a provider born in a test",
                            api_key_env=("ZETA_API_KEY", "ZETA_TOKEN"), base_url_env=("ZETA_BASE_URL",),
                            option_env={"region": ("ZETA_REGION",)}, default_base_url="https://zeta.example/v2",
                            option_ranges={"temperature": (0, 1.5)}, option_limits={"max_tokens": 8192})

    @hookimpl
    def modelplex_chat(self, ctx: object, request: object) -> None:
        return None


def test_a_new_plugin_gets_its_page_from_its_declaration(tmp_path: Path) -> None:
    found = Registry({"zeta": Zeta()}, autoload=False, env={})
    names = docs_providers.write(found, tmp_path / "providers", tmp_path / "extensions")
    assert names == ["zeta"]
    page = (tmp_path / "providers" / "zeta.md").read_text()
    assert "Zeta: a provider born in a test" in page
    assert "| `api_key` | `ZETA_API_KEY`, `ZETA_TOKEN` | required |" in page
    assert "| `base_url` | `ZETA_BASE_URL` | `https://zeta.example/v2` |" in page
    assert "| `region` | `ZETA_REGION` | - |" in page
    assert "Implements: chat." in page  # no stream, tools, embeddings or model list declared
    assert "`temperature` must be between 0 and 1.5" in page
    assert "`max_tokens` above 8192" in page.split("## Warnings", 1)[1]  # sent, with a warning
    assert "[zeta](zeta.md)" in (tmp_path / "providers" / "index.md").read_text()


def test_every_installed_provider_gets_a_page(tmp_path: Path) -> None:
    found = docs_providers.registry()
    names = docs_providers.write(found, tmp_path / "providers", tmp_path / "extensions")
    assert set(names) == set(found.records) and "fake" in names
    assert {p.stem for p in (tmp_path / "providers").glob("*.md")} == {*names, "index"}
    assert {p.stem for p in (tmp_path / "extensions").glob("*.md")} == set(found.lifecycle_plugins)


def test_an_openai_compatible_provider_page_names_its_profile_quirks() -> None:
    found = docs_providers.registry()
    if "groq" not in found.records:
        pytest.skip("modelplex-groq is not installed")
    page = docs_providers.provider_page(found.records["groq"], found.pm.get_plugin("groq"))
    # Groq's profile sends reasoning back in `reasoning` and has no /embeddings, unlike OpenAI.
    assert "`reasoning_fields = ('reasoning',)` (OpenAI: `('reasoning_content', 'reasoning')`)" in page
    assert "`supports_embeddings = False` (OpenAI: `True`)" in page
    assert "## Models in its catalog" in page


def test_a_profile_flag_that_warns_is_listed_among_the_warnings() -> None:
    found = docs_providers.registry()
    if "deepseek" not in found.records:
        pytest.skip("modelplex-deepseek is not installed")
    page = docs_providers.provider_page(found.records["deepseek"], found.pm.get_plugin("deepseek"))
    warnings = page.split("## Warnings", 1)[1].split("\n## ", 1)[0]
    assert "`unsupported_options = frozenset(" in warnings and "left out with a warning" in warnings


def test_a_readme_keeps_its_text_and_loses_links_into_its_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "# modelplex-x\n\nSee [the guide](../../README.md) and [docs](https://x.example).\n\n## Use\n"
    monkeypatch.setattr("importlib.metadata.metadata",
                        lambda name: SimpleNamespace(get_payload=lambda: text))
    assert docs_providers.readme("modelplex-x") == (
        "See the guide and [docs](https://x.example).\n\n### Use")


def test_the_hook_reference_holds_every_hook_of_the_contract() -> None:
    from modelplex import hookspecs

    page = docs_hooks.page()
    hooks = [name for name, f in vars(hookspecs).items() if hasattr(f, "modelplex_spec")]
    assert len(hooks) >= 10
    for name in hooks:
        first_line = (getattr(hookspecs, name).__doc__ or "").strip().splitlines()[0]
        assert f"## `{name}`" in page
        assert docs_hooks.markdown(first_line) in page, name
    assert ":param" not in page and ":class:" not in page
    assert not re.search(r"(?<!`)``(?!`)", page)  # reST literals became Markdown code (fences aside)


def test_a_docstring_becomes_markdown() -> None:
    text = """Do a thing with :class:`~modelplex.ChatRequest` and :func:`modelplex_chat`.

    :param ctx: the ``provider``.
    :returns: an awaitable.

    Stops at first non-None result.
    """
    assert docs_hooks.markdown(text) == ("Do a thing with `ChatRequest` and `modelplex_chat`.\n\n"
                                         "- **`ctx`**: the `provider`.\n- **Returns**: an awaitable.")


def test_links_into_the_source_tree_go_to_the_repository() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs"
    page = docs / "compatibility.md"
    text = ('[a](../plugins/groq/README.md#use "title") [b](../docs/index.md#clients) [c](index.md) '
            "[d](../plugins/no-such/file.py) [e](https://x.example/a.md)")
    assert docs_links.rewrite(text, page, docs, "https://src.example/blob/main") == (
        '[a](https://src.example/blob/main/plugins/groq/README.md#use "title") [b](index.md#clients) '
        "[c](index.md) [d](../plugins/no-such/file.py) [e](https://x.example/a.md)")
