"""One page per installed provider (docs/providers/<name>.md) and their index, written from what each
plugin declares about itself: its ``ProviderInfo`` (settings, environment variables, ranges and limits),
the hooks it implements (capabilities), an OpenAI-compatible plugin's ``Profile`` where it differs from
OpenAI's (its quirks), its bundled catalog, and its distribution's own description (its README, with the
warnings it documents). Nothing here names a plugin: one installed tomorrow gets its page at the next
``nox -s docs``."""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "providers"
EXTENSIONS = ROOT / "docs" / "extensions"

#: What a hook the plugin implements lets its users do.
FEATURES = {"modelplex_chat": "chat", "modelplex_chat_stream": "streaming",
            "modelplex_tool_codec": "tools", "modelplex_embed": "embeddings",
            "modelplex_list_models": "model listing (`modelplex models --live`)"}
_NOT_FEATURES = frozenset({"modelplex_provider_info", "modelplex_register_commands", "modelplex_before_call",
                           "modelplex_before_attempt", "modelplex_after_call", "modelplex_budget_alert",
                           "modelplex_conversation_store"})
_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://|#)[^)]*\)")
_PARAM = re.compile(r":param (\w+):\s*(.*?)(?=\n\s*:param |\Z)", re.DOTALL)


def registry() -> Any:
    """Every installed plugin, loaded as a client would (an empty environment: no allow or deny list)."""
    from modelplex._plugins import Registry

    return Registry(env={})


def profile_notes(plugin: object) -> list[tuple[str, Any, Any, str]]:
    """An OpenAI-compatible plugin's profile flags that differ from OpenAI's own, with what each means
    (from ``Profile``'s docstring); ``[]`` for any other plugin."""
    profile = getattr(plugin, "profile", None)
    if profile is None or type(profile).__name__ != "Profile":
        return []
    import dataclasses  # Profile is a dataclass: discovery builds it, and loads no attrs

    meaning = {name: " ".join(text.split()).replace("``", "`")
               for name, text in _PARAM.findall(inspect.getdoc(type(profile)) or "")}
    default = type(profile)()
    return [(f.name, getattr(profile, f.name), getattr(default, f.name), meaning.get(f.name, ""))
            for f in dataclasses.fields(profile) if getattr(profile, f.name) != getattr(default, f.name)]


def readme(distribution: str | None) -> str:
    """The distribution's long description (its README), headings one level down and relative links
    (to files of its source tree, absent from the site) reduced to their text."""
    if distribution is None:
        return ""
    try:
        text = importlib.metadata.metadata(distribution).get_payload()  # type: ignore[attr-defined]
    except importlib.metadata.PackageNotFoundError:
        return ""
    lines = str(text or "").strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    fenced, out = False, []
    for line in lines:
        fenced ^= line.lstrip().startswith("```")
        if not fenced and line.startswith("#"):
            line = "#" + line
        out.append(line if fenced else _LINK.sub(r"\1", line))
    return "\n".join(out).strip()


def _code(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values) or "none"


def _price(value: Any) -> str:
    return "?" if value is None else f"${value}"


def catalog_rows(name: str, spec: str | None) -> list[str]:
    """The plugin's catalog as a table (nothing when it ships none)."""
    if spec is None:
        return []
    from modelplex._catalog.data import load_resource

    found = load_resource(name, spec)
    if not found.models:
        return []
    rows = [f"## Models in its catalog ({len(found.models)})", "",
            f"From `{spec}`, shipped with the plugin (what `modelplex models` lists without asking the "
            "provider). Prices in dollars per million tokens; `?` is unknown, never free.", "",
            "| Model | Tier | Context | Max output | Input | Output | Capabilities |",
            "|---|---|---|---|---|---|---|"]
    import attrs

    for info in sorted(found.models, key=lambda m: m.id):
        caps = attrs.asdict(info.capabilities)
        able = ", ".join(k.replace("_", " ") for k, v in caps.items() if v) or "-"
        rows.append(f"| `{info.id}` | {info.tier or '-'} | {info.context_window or '-'} | "
                    f"{info.max_output or '-'} | {_price(info.prices.input)} | "
                    f"{_price(info.prices.output)} | {able} |")
    return [*rows, ""]


def provider_page(record: Any, plugin: object) -> str:
    """The page of one provider plugin."""
    info, name = record.info, record.name
    dist = record.distribution or "(registered in code)"
    # A call hook added to the contract after this file shows by its name until it is given a phrase.
    features = [FEATURES[h] for h in FEATURES if h in record.hooks] + [
        h.removeprefix("modelplex_").replace("_", " ") for h in record.hooks
        if h not in FEATURES and h not in _NOT_FEATURES]
    lines = [f"# {name}", "", info.description or "(the plugin gives no description)", "",
             f"Generated by `scripts/docs_providers.py` from the plugin's own declaration "
             f"(`{record.module}`, distribution `{dist}` {record.version or ''}): do not edit.", "",
             "## Install and address", "",
             "```", f"pip install {dist}", f"modelplex chat -m {name}/MODEL \"Hello\"", "```", "",
             f"Implements: {', '.join(features) or 'no call hook'}. A call it does not implement fails with "
             "`UnsupportedFeatureError` before anything is sent.", "",
             "## Settings", "",
             f"Under `[providers.{name}]` in the config file (every key: "
             "[configuration reference](../reference/config.md#providers-name)), as "
             f"`Client(providers={{\"{name}\": {{...}}}})`, or from these environment variables, read in "
             "order:",
             "", "| Setting | Environment variables | Default |", "|---|---|---|",
             f"| `api_key` | {_code(info.api_key_env)} | "
             f"{'required' if info.requires_api_key else 'none needed'} |",
             f"| `base_url` | {_code(info.base_url_env)} | "
             f"{f'`{info.default_base_url}`' if info.default_base_url else 'none: set one'} |"]
    lines += [f"| `{option}` | {_code(names)} | - |" for option, names in sorted(info.option_env.items())]
    lines += ["", f"Runs on this machine (`local`, for `chain/local` and `privacy = \"local\"` policies): "
              f"{'yes' if info.local else 'no'}."]
    if info.aliases:
        lines += ["", f"Also reachable as: {_code(info.aliases)} (older names, kept so that configs go on "
                  "working)."]
    notes, warned = [], []
    for option, (low, high) in sorted(info.option_ranges.items()):
        notes.append(f"- `{option}` must be between {low} and {high}: a call outside is refused before "
                     "sending, naming the provider.")
    for option, high in sorted(info.option_limits.items()):
        warned.append(f"- `{option}` above {high} (the most any of its models is known to take) is sent, "
                      "with a warning.")
    flags = profile_notes(plugin)
    if flags:
        notes.append("- Where its API differs from OpenAI's Chat Completions (its `Profile`; each flag can "
                     f"be overridden under `[providers.{name}.profile]`):")
        notes += [f"    - `{flag} = {value!r}` (OpenAI: `{default!r}`); the flag: {meaning}"
                  for flag, value, default, meaning in flags]
        # A flag whose meaning is a warning (an option left out, a choice downgraded) is listed there too.
        warned += [f"- `{flag} = {value!r}`: {meaning}" for flag, value, _, meaning in flags
                   if "warning" in meaning]
    if notes:
        lines += ["", "## Quirks", "", *notes]
    lines += ["", "## Warnings", "",
              "What it cannot honour comes back in `response.warnings` (a `WarningRaised` event first in a "
              "stream), never dropped in silence. Declared by the plugin:" if warned else
              "What it cannot honour comes back in `response.warnings` (a `WarningRaised` event first in a "
              "stream), never dropped in silence. Its declaration names no particular case (its README, "
              "below, may).", "", *warned]
    lines += ["", *catalog_rows(name, info.catalog)]
    about = readme(record.distribution)
    if about:
        lines += ["## From the plugin's README", "", about, ""]
    return "\n".join(lines).rstrip() + "\n"


def index_page(records: list[Any], extensions: list[Any], failures: dict[str, Any]) -> str:
    """The providers' index: each provider, then the plugins that own none."""
    lines = ["# Providers", "",
             "One page per installed provider plugin, generated at every `nox -s docs` from what the plugin "
             "declares (`scripts/docs_providers.py`). To add one: [the plugin authors' guide]"
             "(../plugin-authors.md).", "",
             "| Provider | Distribution | What it is |", "|---|---|---|"]
    lines += [f"| [{r.name}]({r.name}.md) | `{r.distribution}` | {r.info.description} |" for r in records]
    if extensions:
        lines += ["", "## Extensions", "", "Plugins that own no provider: they hook the call lifecycle or "
                  "add commands.", "", "| Plugin | Distribution | Hooks |", "|---|---|---|"]
        lines += [f"| [{e.name}](../extensions/{e.name}.md) | `{e.distribution}` | {_code(e.hooks)} |"
                  for e in extensions]
    if failures:
        lines += ["", "## Not loaded", ""]
        lines += [f"- {f.name}: {f.reason}" for f in failures.values()]
    return "\n".join(lines) + "\n"


def extension_page(record: Any) -> str:
    """The page of a plugin owning no provider: its hooks, and its README."""
    lines = [f"# {record.name}", "",
             f"Generated by `scripts/docs_providers.py` from the distribution `{record.distribution}` "
             f"(`{record.module}`): do not edit. Hooks: {_code(record.hooks)}.", "",
             readme(record.distribution) or "(the distribution has no description)"]
    return "\n".join(lines).rstrip() + "\n"


def write(found: Any, out: Path, extensions_out: Path) -> list[str]:
    """Write the pages of every plugin ``found`` (a registry) holds, removing those of plugins no longer
    installed; returns the providers' names."""
    records = sorted(found.records.values(), key=lambda r: r.name)
    extensions = sorted(found.lifecycle_plugins.values(), key=lambda r: r.name)
    for directory in (out, extensions_out):
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.md"):
            old.unlink()
    for record in records:
        (out / f"{record.name}.md").write_text(provider_page(record, found.pm.get_plugin(record.name)),
                                               encoding="utf-8")
    for record in extensions:
        (extensions_out / f"{record.name}.md").write_text(extension_page(record), encoding="utf-8")
    (out / "index.md").write_text(index_page(records, extensions, found.failures), encoding="utf-8")
    return [r.name for r in records]


def main() -> None:
    """Write the pages of every installed plugin."""
    names = write(registry(), OUT, EXTENSIONS)
    print(f"wrote {len(names)} provider pages to {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
