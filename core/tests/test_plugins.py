"""Discovery through real entry points: distributions written to a temporary directory on ``sys.path``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import modelplex
from modelplex._plugins import Registry
from modelplex.errors import (
    PluginConflictError,
    PluginIncompatibleError,
    PluginLoadError,
    UnknownProviderError,
)

GOOD = """
from modelplex import ChatResponse, ProviderInfo, TextPart
from modelplex.hookspecs import SPEC_VERSION, hookimpl

CALLS = []

@hookimpl
def modelplex_provider_info():
    return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

@hookimpl
def modelplex_chat(ctx, request):
    CALLS.append((ctx.name, request.model))
    async def run():
        return ChatResponse(provider=ctx.name, model=request.model, parts=[TextPart(text={text!r})])
    return run()
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Write a distribution (dist-info with entry points, plus its module) importable from tmp_path."""
    monkeypatch.syspath_prepend(str(tmp_path))
    added: list[str] = []

    def install(dist: str, module: str, source: str, provider: str, version: str = "1.0") -> None:
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[modelplex.plugins]\n{provider} = {module}\n")
        added.append(module)

    yield install
    for module in added:
        sys.modules.pop(module, None)


def only(*names: str) -> dict[str, str]:
    return {"MODELPLEX_PLUGINS": ",".join(names)}


def test_a_plugin_that_fails_to_import_is_skipped_and_reported(site: Callable[..., None]) -> None:
    site("modelplex-broken", "mp_broken", "raise RuntimeError('boom at import')", "broken")
    site("modelplex-good", "mp_good", GOOD.format(text="still here"), "good")
    registry = Registry(env=only("broken", "good"))
    failure = registry.failures["broken"]
    assert failure.kind == "load"
    assert failure.distribution == "modelplex-broken"
    assert "RuntimeError: boom at import" in failure.reason
    client = modelplex.Client(plugins={}, env=only("broken", "good"), config_file=False)
    with client:
        assert client.chat("good/m", "hi").text == "still here"
        with pytest.raises(PluginLoadError, match="boom at import"):
            client.chat("broken/m", "hi")


def test_two_distributions_claiming_one_name_are_reported_naming_both(site: Callable[..., None]) -> None:
    site("modelplex-alpha", "mp_alpha", GOOD.format(text="a"), "dup")
    site("modelplex-beta", "mp_beta", GOOD.format(text="b"), "dup")
    registry = Registry(env=only("dup"))
    assert "dup" not in registry.records, "neither claimant may silently win"
    reason = registry.failures["dup"].reason
    assert "modelplex-alpha" in reason and "modelplex-beta" in reason
    with pytest.raises(PluginConflictError, match=r"modelplex-alpha.*modelplex-beta"):
        registry.owner("dup")


def test_async_hookimpl_is_refused_with_the_reason(site: Callable[..., None]) -> None:
    source = GOOD.format(text="x").replace("def modelplex_chat(ctx, request):",
                                          "async def modelplex_chat(ctx, request):")
    site("modelplex-asyncy", "mp_asyncy", source, "asyncy")
    registry = Registry(env=only("asyncy"))
    failure = registry.failures["asyncy"]
    assert failure.kind == "incompatible"
    assert "async def" in failure.reason and "pluggy cannot await" in failure.reason
    module = sys.modules["mp_asyncy"]
    with pytest.raises(PluginIncompatibleError, match="modelplex_chat is 'async def'"):
        Registry({"asyncy": module}, autoload=False)


def test_a_plugin_for_another_contract_version_is_skipped(site: Callable[..., None]) -> None:
    site("modelplex-future", "mp_future",
         GOOD.format(text="x").replace("spec_version=SPEC_VERSION", "spec_version=99"), "future")
    failure = Registry(env=only("future")).failures["future"]
    assert failure.kind == "incompatible"
    assert "version 99" in failure.reason


def test_a_misspelt_hook_is_reported(site: Callable[..., None]) -> None:
    site("modelplex-typo", "mp_typo", GOOD.format(text="x") + "\n@hookimpl\ndef modelplex_chta(ctx):\n"
         "    return None\n", "typo")
    failure = Registry(env=only("typo")).failures["typo"]
    assert "modelplex_chta" in failure.reason


def test_a_provider_plugin_without_provider_info_is_reported(site: Callable[..., None]) -> None:
    source = GOOD.format(text="x").replace("@hookimpl\ndef modelplex_provider_info", "def _unused_info")
    site("modelplex-noinfo", "mp_noinfo", source, "noinfo")
    failure = Registry(env=only("noinfo")).failures["noinfo"]
    assert "modelplex_provider_info" in failure.reason


def test_a_plugin_with_no_call_hook_is_an_extension(site: Callable[..., None]) -> None:
    # Issue 14/17 (F4): a plugin owning no provider may add commands only, or nothing (a store turned
    # off); it was refused for lacking modelplex_provider_info, so the gateway had to hook every call.
    site("modelplex-bare", "mp_bare", "x = 1\n", "bare")
    site("modelplex-cmds", "mp_cmds", "from modelplex.hookspecs import hookimpl\n\n@hookimpl\n"
         "def modelplex_register_commands(cli):\n    pass\n", "cmds")
    registry = Registry(env=only("bare", "cmds"))
    assert "bare" not in registry.failures and "cmds" not in registry.failures
    assert registry.lifecycle_plugins["bare"].hooks == ()
    assert registry.lifecycle_plugins["cmds"].hooks == ("modelplex_register_commands",)
    assert not registry.lifecycle.active, "no call hook: calls pay nothing"


def test_allow_list_and_deny_list(site: Callable[..., None]) -> None:
    site("modelplex-one", "mp_one", GOOD.format(text="1"), "one")
    site("modelplex-two", "mp_two", GOOD.format(text="2"), "two")
    assert set(Registry(env=only("one")).records) == {"one"}
    assert Registry(env={"MODELPLEX_PLUGINS": ""}).records == {}, "an empty allow-list loads nothing"
    denied = Registry(env={"MODELPLEX_PLUGINS": "one,two", "MODELPLEX_DISABLE_PLUGINS": "two"})
    assert set(denied.records) == {"one"}
    assert denied.failures["two"].kind == "disabled"
    assert "MODELPLEX_DISABLE_PLUGINS" in denied.failures["two"].reason


def test_a_call_reaches_only_the_owning_plugin(site: Callable[..., None]) -> None:
    site("modelplex-first", "mp_first", GOOD.format(text="first"), "first")
    site("modelplex-second", "mp_second", GOOD.format(text="second"), "second")
    with modelplex.Client(env=only("first", "second"), config_file=False) as client:
        # Both plugins answer every chat call they see, without checking the name: routing must pick.
        assert client.chat("second/m", "hi").text == "second"
        assert client.chat("first/m", "hi").text == "first"
    assert sys.modules["mp_first"].CALLS == [("first", "m")]
    assert sys.modules["mp_second"].CALLS == [("second", "m")]


def test_unknown_provider_names_what_is_available_and_suggests(site: Callable[..., None]) -> None:
    site("modelplex-openish", "mp_openish", GOOD.format(text="x"), "openish")
    registry = Registry(env=only("openish"))
    with pytest.raises(UnknownProviderError, match="did you mean 'openish'"):
        registry.owner("openis")
    with pytest.raises(LookupError, match="pip install modelplex-zzz"):
        registry.owner("zzz")


def test_explicit_plugins_without_autoload_use_exactly_those() -> None:
    from modelplex_testing import fake

    registry = Registry({"mine": fake}, autoload=False, env={})
    assert list(registry.records) == ["mine"]
    with pytest.raises(PluginConflictError):
        registry.register("mine", fake)


def test_discovery_is_lazy_and_import_is_light() -> None:
    code = ("import sys, modelplex; c = modelplex.Client(); "
            "print(sorted(m for m in sys.modules if m.startswith(('modelplex_', 'httpx', 'cattrs', "
            "'anyio', 'click', 'structlog', 'platformdirs'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.strip() == "[]", f"imported at import time: {out.stdout}"


def test_discovery_runs_once_per_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelplex import _plugins

    calls = []
    real = _plugins.entry_points

    def counting(group: str) -> object:
        calls.append(group)
        return real(group)

    monkeypatch.setattr(_plugins, "entry_points", counting)
    with modelplex.Client(config_file=False) as client:
        assert calls == []
        client.chat("fake/echo", "one")
        client.chat("fake/echo", "two")
        client.embed("fake/embedder", "three")
    assert len(calls) == 1


def test_discovering_the_fake_plugin_does_not_import_the_test_tooling() -> None:
    code = ("import sys, modelplex; c = modelplex.Client(); c.registry; "
            "heavy = ('pytest', 'hypothesis', 'modelplex_testing.contract'); "
            "print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_hooks_are_found_on_instances_and_by_specname_as_pluggy_finds_them() -> None:
    # Discovery skips dunder names for speed (_plugins._Manager); every other name must still be read.
    from modelplex import ProviderInfo
    from modelplex.hookspecs import SPEC_VERSION, hookimpl

    class Provider:
        @hookimpl
        def modelplex_provider_info(self) -> ProviderInfo:
            return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

        @hookimpl(specname="modelplex_chat")
        def answer(self, ctx: object, request: object) -> object:
            raise AssertionError("not called")

        @hookimpl
        def __call__(self) -> None:  # a dunder is never a hook, even if marked
            raise AssertionError("not called")

    registry = Registry({"inst": Provider()}, autoload=False, env={})
    hooks = registry.pm.get_hookcallers(registry.pm.get_plugin("inst")) or []
    assert sorted(h.name for h in hooks) == ["modelplex_chat", "modelplex_provider_info"]


def test_discovery_finds_the_hooks_pluggy_finds_and_runs_no_property() -> None:
    """A plain pluggy manager given the same plugin finds the same hooks (an unmarked override, a
    property, a static method, a ``specname``, an instance attribute shadowing the class). Discovery's
    check for ``async def`` hooks evaluated a property named like a hook (and let what it raised out
    of registration); it reads every name without running it, as pluggy does."""
    import pluggy

    from modelplex import ProviderInfo, hookspecs
    from modelplex.hookspecs import SPEC_VERSION, hookimpl

    def marked_alone(ctx: object, request: object) -> object:
        raise AssertionError("not called")

    class Base:
        @hookimpl
        def modelplex_chat(self, ctx: object, request: object) -> object:  # overridden unmarked below
            raise AssertionError("not called")

        @hookimpl
        def modelplex_provider_info(self) -> ProviderInfo:
            return ProviderInfo(spec_version=SPEC_VERSION, requires_api_key=False)

    class Plugin(Base):
        def modelplex_chat(self, ctx: object, request: object) -> object:  # no marker: not a hook
            raise AssertionError("not called")

        def helper(self) -> None:
            raise AssertionError("not called")

        def modelplex_rerank(self, ctx: object, request: object) -> object:
            raise AssertionError("not called")

        @property
        def modelplex_embed(self) -> object:  # never evaluated, never a hook
            raise AssertionError("a property was evaluated")

        @staticmethod
        @hookimpl
        def modelplex_list_models(ctx: object) -> list[object]:
            return []

        @hookimpl(specname="modelplex_chat_stream")
        def streamed(self, ctx: object, request: object) -> object:
            raise AssertionError("not called")

    plugin = Plugin()
    # The class's unmarked method shadowed by a marked one on the instance: a hook, as pluggy reads it.
    plugin.modelplex_rerank = hookimpl(marked_alone)  # type: ignore[method-assign]

    registry = Registry({"p": plugin}, autoload=False, env={})
    ours = sorted(h.name for h in registry.pm.get_hookcallers(registry.pm.get_plugin("p")) or [])

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, "p")
    theirs = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    assert ours == theirs
    assert "modelplex_chat" not in ours and "modelplex_embed" not in ours
    assert {"modelplex_provider_info", "modelplex_list_models", "modelplex_chat_stream",
            "modelplex_rerank"} <= set(ours)


def test_every_name_of_every_kind_of_plugin_is_read_as_pluggy_reads_it() -> None:
    """Discovery answers an unmarked name itself, without ``inspect.getattr_static`` (``_Manager``):
    for a module, a class, an instance with a ``__dict__`` and a slotted one (a slot holding a marked
    function, an unmarked one, a bound method, a value of no function, a slot left unset), a static and
    a class method marked above or below their wrapper, a property, a marker given to a plain value,
    every name gets the options pluggy's own manager gives it."""
    import types

    import pluggy

    from modelplex import hookspecs
    from modelplex._plugins import _Manager
    from modelplex.hookspecs import hookimpl

    def plain(ctx: object, request: object) -> object:
        raise AssertionError("not called")

    marked = hookimpl(lambda ctx, request: None)

    class Plugin:
        @hookimpl
        def modelplex_chat(self, ctx: object, request: object) -> object:
            raise AssertionError("not called")

        def helper(self) -> None:
            raise AssertionError("not called")

        @hookimpl
        @staticmethod
        def modelplex_list_models(ctx: object) -> list[object]:
            return []

        @classmethod
        @hookimpl
        def modelplex_embed(cls, ctx: object, request: object) -> object:
            raise AssertionError("not called")

        @property
        def modelplex_rerank(self) -> object:
            raise AssertionError("a property was evaluated")

        not_a_function = 3

    class Slotted:
        __slots__ = ("bound", "modelplex_chat", "modelplex_chat_stream", "number", "unset")

        def __init__(self) -> None:
            self.modelplex_chat = marked
            self.modelplex_chat_stream = plain
            self.bound = Plugin().modelplex_chat
            self.number = 5

    module = types.ModuleType("plugin_module")
    module.modelplex_chat = marked  # type: ignore[attr-defined]
    module.modelplex_embed = plain  # type: ignore[attr-defined]
    module.constant = {"modelplex_impl": {}}  # type: ignore[attr-defined]
    with_dict = Plugin()
    with_dict.modelplex_embed = marked  # type: ignore[method-assign]
    with_dict.extra = plain  # type: ignore[attr-defined]

    ours, theirs = _Manager(hookspecs.PROJECT), pluggy.PluginManager(hookspecs.PROJECT)
    for plugin in (module, Plugin, with_dict, Slotted()):
        for name in dir(plugin):
            expected = (None if name[:2] == "__" == name[-2:]
                        else theirs.parse_hookimpl_opts(plugin, name))
            assert ours.parse_hookimpl_opts(plugin, name) == expected, (plugin, name)
    assert ours.parse_hookimpl_opts(Slotted(), "modelplex_chat") is not None  # the comparison has hooks
    assert ours.parse_hookimpl_opts(with_dict, "modelplex_embed") is not None
