"""An installed plugin with its own catalog file whose model list is read over HTTP from a loopback
server: what ``modelplex models`` and ``client.list_models()`` merge, on the wire, without a real
provider's plugin (the core's tests install none)."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

UNITS = "USD per million tokens"
# The catalog the "acme" plugin ships: a flagship and a fast model, an alias, a dated id, a long-context
# tier, an embedding model, and a model whose prices are unknown.
ACME_MODELS: dict[str, Any] = {
    "acme-large-2025-06-01": {
        "name": "Acme Large", "tier": "flagship", "context_window": 200_000, "max_output": 32_000,
        "input": ["text", "image"], "output": ["text"],
        "capabilities": {"chat": True, "streaming": True, "tools": True, "vision": True},
        "prices": {"input": "3", "cache_read": "0.3", "output": "15",
                   "tiers": [{"above": 100_000, "input": "6", "output": "22.5"}], "effective": "2025-06-01"},
        "aliases": ["acme-large"]},
    "acme-mini": {
        "name": "Acme Mini", "tier": "fast", "context_window": 128_000, "max_output": 16_000,
        "capabilities": {"chat": True, "streaming": True, "tools": True, "json_schema": True},
        "prices": {"input": "0.15", "output": "0.6", "effective": "2025-01-01"}},
    "acme-mini-notools": {
        "name": "Acme Mini (no tools)", "tier": "fast", "context_window": 32_000,
        "capabilities": {"chat": True, "tools": False},
        "prices": {"input": "0.1", "output": "0.2", "effective": "2025-01-01"}},
    "acme-embed": {
        "name": "Acme Embed", "context_window": 8_192, "output": ["embedding"],
        "capabilities": {"chat": False, "embeddings": True},
        "prices": {"input": "0.02", "effective": "2025-01-01"}},
    "acme-secret": {"name": "Acme Secret", "tier": "standard", "context_window": 64_000},
}

PLUGIN = '''
import httpx

from modelplex import Capabilities, ModelInfo, ProviderInfo
from modelplex.hookspecs import SPEC_VERSION, hookimpl


@hookimpl
def modelplex_provider_info():
    return ProviderInfo(spec_version=SPEC_VERSION, api_key_env=("ACME_API_KEY",),
                        base_url_env=("ACME_BASE_URL",), default_base_url="http://127.0.0.1:9",
                        catalog="{package}:models.json")


@hookimpl
def modelplex_list_models(ctx):
    async def run():
        response = await ctx.http.get(ctx.settings.base_url + "/models")
        response.raise_for_status()
        out = []
        for item in response.json()["data"]:
            caps = item.get("capabilities")
            out.append(ModelInfo(id=item["id"], provider=ctx.name, context_window=item.get("context_window"),
                                 capabilities=Capabilities(**caps) if caps else Capabilities()))
        return out
    return run()
'''


class Install(Protocol):
    def __call__(self, provider: str, models: Mapping[str, Any] | None = None) -> str: ...


def catalog_file(models: Mapping[str, Any]) -> str:
    return json.dumps({"format": 1, "units": UNITS, "source": "https://acme.example/pricing",
                       "retention": "30 days", "models": dict(models)})


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Install plugin ``provider`` (a distribution with an entry point, its module and its catalog) on
    sys.path; it lists models from ``$ACME_BASE_URL/models`` and needs ``$ACME_API_KEY``."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    added: list[str] = []

    def run(provider: str, models: Mapping[str, Any] | None = None) -> str:
        package = f"mpm_{provider}"
        (root / package).mkdir()
        (root / package / "__init__.py").write_text(textwrap.dedent(PLUGIN).replace("{package}", package))
        (root / package / "models.json").write_text(catalog_file(ACME_MODELS if models is None else models))
        info = root / f"mpm_{provider}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mpm-{provider}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[modelplex.plugins]\n{provider} = {package}\n")
        added.append(package)
        return package

    yield run
    for name in added:
        sys.modules.pop(name, None)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user config file, no plugin lists, no Acme key or server from the outer environment."""
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("MODELPLEX_CONFIG", str(empty))
    for name in ("MODELPLEX_PLUGINS", "MODELPLEX_DISABLE_PLUGINS", "MODELPLEX_FAKE_SCRIPT", "ACME_API_KEY",
                 "ACME_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
