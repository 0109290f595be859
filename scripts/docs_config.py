"""The configuration reference (docs/reference/config.md): every key of the config file, each with what it
does, checked against the code that reads it.

The descriptions are written here; the keys are taken from the code: the constants its parsers check a
table against (``_KNOWN_KEYS``, the fields of ``RoutingPolicy`` and ``RateLimits``...), and for a table read
key by key, the string keys a named reader function takes from it (``table.get("url")``, ``"agents" in
data``, ``set(value) - {"models", "retries"}``). :func:`differences` compares the two; the page is not
written while they differ, and tests/test_docs_config.py fails. A key read by a function not listed in
:data:`READERS` is out of its sight: a new reader of the file is added there."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "reference" / "config.md"


def keys_read(module: str, function: str, variable: str) -> set[str]:
    """The literal keys ``function`` of ``module`` reads from the expression ``variable`` (its source,
    ``table`` or ``client.config``): ``.get("k")``, ``["k"]``, ``"k" in v``, and a set literal of keys
    subtracted from ``set(v)`` (an unknown-key check)."""
    found_object = getattr(importlib.import_module(module), function)
    # A click command is read through its callback, a decorated function through what it wraps.
    code = inspect.unwrap(getattr(found_object, "callback", None) or found_object)
    source = textwrap.dedent(inspect.getsource(code))
    found: set[object] = set()

    def is_var(node: ast.AST) -> bool:
        return ast.unparse(node) == variable

    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and is_var(node.func.value) and node.args and isinstance(node.args[0], ast.Constant)):
            found.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and is_var(node.value) and isinstance(node.slice, ast.Constant):
            found.add(node.slice.value)
        elif (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
              and isinstance(node.ops[0], ast.In | ast.NotIn) and is_var(node.comparators[0])):
            found.add(node.left.value)
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.left, ast.Call)
              and ast.unparse(node.left) == f"set({variable})" and isinstance(node.right, ast.Set)):
            found |= {e.value for e in node.right.elts if isinstance(e, ast.Constant)}
    return {k for k in found if isinstance(k, str)}


#: The functions that read the top level of the config file, and the name the file's contents have there.
READERS = [("modelplex._config", "load_config", "data"),
           ("modelplex._routing_config", "load_routing", "file"),
           ("modelplex._aliases", "aliases_of", "config"),
           ("modelplex._cli.models_default", "default", "inner.config"),
           ("modelplex._cli.models_default", "chat_model", "client.async_client.config"),
           ("modelplex._agents.resolve", "agents_of", "client.config"),
           ("modelplex._agents.resolve", "tasks_of", "client.config"),
           ("modelplex._policy.plugin", "install", "client.config"),
           ("modelplex_store.config", "_table", "config"),
           ("modelplex_store.budgets.model", "budgets_from", "config"),
           ("modelplex_store.budgets.plugin", "ledger_settings", "config"),
           ("modelplex_gateway.keys", "gateway_settings", "config")]


def _top() -> set[str]:
    return set().union(*(keys_read(*reader) for reader in READERS))


def _attrs_fields(module: str, name: str) -> set[str]:
    import attrs

    return {f.name for f in attrs.fields(getattr(importlib.import_module(module), name))}


def _constant(module: str, name: str) -> set[str]:
    return set(getattr(importlib.import_module(module), name))


def _agents() -> set[str]:
    return _constant("modelplex._agents.profiles", "KNOWN_KEYS")


#: Each table of the file, as its heading on the page, with the code's own list of its keys.
CODE: dict[str, Callable[[], set[str]]] = {
    "top level": _top,
    "providers.NAME": lambda: _constant("modelplex._config", "_KNOWN_KEYS"),
    "models.\"PROVIDER/MODEL\"": lambda: _constant("modelplex._catalog.overrides", "_KEYS"),
    "models.\"PROVIDER/MODEL\".prices": lambda: _constant("modelplex._catalog.overrides", "_PRICE_KEYS"),
    "models.\"PROVIDER/MODEL\".capabilities":
        lambda: _constant("modelplex._catalog.overrides", "_CAPABILITIES"),
    "chains.NAME": lambda: keys_read("modelplex._chains", "parse_chain", "value"),
    "routing": lambda: _attrs_fields("modelplex._retry", "RoutingPolicy") | {"tasks"},
    "limits.NAME": lambda: _attrs_fields("modelplex._ratelimit", "RateLimits"),
    "agents.NAME": _agents,
    "policy": lambda: _constant("modelplex._policy.loading", "_TOP_KEYS"),
    "policy.rules": lambda: _constant("modelplex._policy.loading", "_RULE_KEYS"),
    "policy.rules.match": lambda: _constant("modelplex._policy.loading", "_MATCH_KEYS"),
    "store": lambda: keys_read("modelplex_store.config", "resolve", "table"),
    "budgets": lambda: _constant("modelplex_store.budgets.model", "_KEYS"),
    "budget_ledger": lambda: keys_read("modelplex_store.budgets.plugin", "ledger_settings", "table"),
    "gateway": lambda: keys_read("modelplex_gateway.keys", "gateway_settings", "table"),
}

_OPTIONS = {
    "temperature": "sampling temperature (a number >= 0; some providers narrow it: see their page)",
    "top_p": "nucleus sampling, 0 to 1",
    "max_tokens": "the most output tokens",
    "stop": "stop sequences (a string or a list)",
    "seed": "a 64-bit integer, for providers that sample reproducibly",
    "response_format": "`\"json_object\"`, or a table with `type`, `schema`, `name`, `strict`",
    "tools": "tools offered on every call (a list of tables: `name`, `description`, `parameters`)",
    "tool_choice": "`\"auto\"`, `\"none\"`, `\"required\"` or a tool's name",
    "parallel_tool_calls": "whether the model may call several tools at once",
    "reasoning_effort": "`\"low\"`, `\"medium\"` or `\"high\"`",
    "reasoning_budget": "reasoning tokens (0 off, -1 the provider's dynamic budget)",
    "prompt_cache": "mark the stable prefix for the provider's prompt cache",
    "extra": "a table merged into the provider's request body as it is",
}

#: Every table: where it is explained at length, what it is, and each key's meaning.
SECTIONS: dict[str, tuple[str, str, dict[str, str]]] = {
    "top level": ("../index.md#configuration", "Keys at the top of the file, before any `[table]`.", {
        "default_model": "the address `modelplex chat` uses without `-m` (`modelplex models default` sets "
                         "it)",
        "providers": "a table per provider name: `[providers.NAME]`, below",
        "models": "catalog overrides per model: `[models.\"PROVIDER/MODEL\"]`, below",
        "aliases": "names standing for an address: `fast = \"groq/llama-3.1-8b-instant\"` (no `/` in a name)",
        "chains": "fallback chains: `[chains.NAME]`, below",
        "routing": "retries, back-off, deadlines, cool-downs: `[routing]`, below",
        "limits": "rate limits per provider or model: `[limits.NAME]`, below",
        "agents": "agent profiles: `[agents.NAME]`, below",
        "policy": "the governance policy: `[policy]`, below",
        "redis": "a Redis URL (`redis://127.0.0.1:6379/0`) sharing rate limits and cool-downs between "
                 "processes (`pip install 'modelplex[redis]'`)",
        "redis_prefix": "the prefix of Modelplex's Redis keys (default `modelplex`)",
        "store": "the usage log's database: `[store]`, below (modelplex-store)",
        "budgets": "spending limits: `[[budgets]]`, an array of tables, below (modelplex-store)",
        "budget_ledger": "where budgets count: `[budget_ledger]`, below (modelplex-store)",
        "gateway": "the gateway's settings: `[gateway]`, below (modelplex-gateway)",
    }),
    "providers.NAME": ("../index.md#configuration",
                       "One table per provider name, the plugin's own or one of yours. Any key not listed "
                       "here is passed to the plugin: its page under [Providers](../providers/index.md) "
                       "names them (`api_version`, `profile`...).", {
        "plugin": "the plugin serving this name (default: the name itself); a second name for an "
                  "OpenAI-compatible server is `plugin = \"openai-like\"`",
        "api_key": "the key itself; prefer `api_key_env` or `modelplex keys set` (a file others can read "
                   "draws a warning)",
        "api_key_env": "the environment variable to read the key from, instead of the plugin's",
        "base_url": "the API's base URL (the plugin's default otherwise)",
        "headers": "extra HTTP headers sent with every request (a table of strings)",
        "secret_headers": "header names whose values are secrets too (beside `Authorization`, "
                          "`X-Api-Key`...)",
        "connect_timeout": "seconds to connect (default 10)",
        "read_timeout": "seconds between two reads (default 600)",
        "call_timeout": "seconds for a whole call, or a stream until its first event (default 600)",
        "max_response_bytes": "the largest reply read whole, decoded (default 128 MiB)",
        "max_event_bytes": "the largest stream event or line, decoded (default 16 MiB)",
        "enabled": "`false`: calls to this provider are refused, naming the setting",
        "default_model": "the model used when the provider's name alone is given (`-m lmstudio`)",
        "transport": "an `httpx` transport: from Python only (`Client(providers=...)`), for tests",
    }),
    "models.\"PROVIDER/MODEL\"": ("../index.md#addressing-models",
                                  "Overrides of what the bundled catalog says of a model.", {
        "name": "a display name",
        "tier": "`flagship`, `standard` or `fast` (the cost tiers and built-in chains use it)",
        "context_window": "input and output tokens together",
        "max_input": "the most input tokens",
        "max_output": "the most output tokens",
        "input_modalities": "what it takes in: `text`, `image`, `audio`, `pdf`",
        "output_modalities": "what it gives back: `text`, `image`, `audio`, `embedding`",
        "prices": "dollars per million tokens: the next table",
        "capabilities": "what it can do: the table after next",
        "aliases": "other names for this model",
        "local": "`true`: it runs on this machine (policies' `privacy = \"local\"`, `chain/local`)",
        "retention": "the provider's data-retention note (policies' `retention` matches it)",
    }),
    "models.\"PROVIDER/MODEL\".prices": ("../cost-and-budgets.md", "Dollars per million tokens, as strings "
                                        "(`\"2.50\"`) to stay exact; unknown is left out, never 0.", {
        "input": "input not read from or written to a cache",
        "cache_read": "input read from the prompt cache",
        "cache_write": "input written to the cache (default lifetime)",
        "cache_write_1h": "input written to the cache for an hour (default: the `cache_write` price)",
        "output": "visible output",
        "reasoning": "reasoning tokens (default: the `output` price)",
        "tiers": "long-context prices: a list of tables with `above` (input tokens) and the bucket prices",
        "effective": "the date from which the prices apply",
        "source": "where the prices were read",
    }),
    "models.\"PROVIDER/MODEL\".capabilities": ("../index.md#addressing-models",
                                               "`true` or `false`; left out is unknown, which never rules a "
                                               "model out.", {
        "chat": "answers chat requests",
        "streaming": "streams",
        "tools": "calls tools",
        "parallel_tool_calls": "calls several tools at once",
        "vision": "takes images",
        "json_schema": "answers to a JSON Schema",
        "reasoning": "reasons (thinking)",
        "embeddings": "embeds",
    }),
    "chains.NAME": ("../routing.md#fallback-chains",
                    "A fallback chain, addressed as `chain/NAME`. `chains.NAME = [...]` (the list alone) "
                    "works too.", {
        "models": "the models in order: addresses, or tables `{model = \"p/m\", temperature = 0.2}` with "
                  "chat options for that entry",
        "retries": "this chain's retries per model (default: `[routing] retries`)",
    }),
    "routing": ("../routing.md#the-routing-table", "How calls are retried, timed and cooled down.", {
        "retries": "further attempts on a model after a retryable error (default 2)",
        "backoff": "the first back-off ceiling, in seconds, doubling (default 0.5)",
        "max_backoff": "the back-off's cap, in seconds (default 8)",
        "max_retry_after": "the longest `Retry-After` waited for, in seconds (default 60)",
        "deadline": "seconds for the whole call, every attempt and wait included (default 600)",
        "on_limit": "at a local rate limit: `\"wait\"` (default) or `\"fail\"` at once",
        "cooldown_after": "failures in a row that take a model out of rotation (default 3)",
        "cooldown": "for how many seconds (default 30)",
        "on_cooldown": "every model of a chain cooling down: `\"fail\"` at once (default) or `\"wait\"` "
                       "for the first to come back, within the deadline",
        "tasks": "`[routing.tasks]`: task name to address (`coding = \"chain/flagship\"`)",
    }),
    "limits.NAME": ("../routing.md#rate-limits", "A rate limit on a provider (`[limits.openai]`) or a model "
                    "(`[limits.\"openai/gpt-4o\"]`).", {
        "rpm": "requests per window",
        "tpm": "tokens per window (estimated first, settled with the real usage)",
        "concurrency": "calls in flight",
        "window": "the window's length in seconds (default 60; change it only to test)",
    }),
    "agents.NAME": ("../routing.md#agents-task-routes-and-cost-tiers", "A profile a call names with "
                    "`agent=NAME`: its model, prompt, options and tags; what the call gives wins.", {
        "model": "an address, `chain/NAME`, `tier/NAME` or an alias",
        "task": "instead of a model: the task whose route to take",
        "system": "the system prompt",
        "tags": "tags every call of the agent carries",
        "budget": "adds the tag `budget=VALUE` (budgets scoped `tag:budget=...` read it)",
        "description": "what the agent is for (shown by `modelplex agents`)",
        **_OPTIONS,
    }),
    "policy": ("../policies.md", "The governance policy (or a file of its own named by `file`).", {
        "rules": "`[[policy.rules]]`, in order: the first whose `match` holds decides",
        "default": "`\"allow\"` or `\"deny\"` for a model no rule matches",
        "dry_run": "`true`: record what would have been denied, deny nothing",
        "file": "a TOML file holding these keys at its top level",
    }),
    "policy.rules": ("../policies.md", "One rule.", {
        "name": "shown in refusals, the trace and the usage log",
        "match": "when the rule applies: the next table (left out: every call)",
        "allow": "`true`: allow every model the rule's constraints leave",
        "deny": "`true`: deny",
        "privacy": "`\"local\"` (models on this machine only) or `\"remote\"` (never them)",
        "models": "globs of allowed addresses",
        "deny_models": "globs of denied addresses",
        "providers": "allowed providers",
        "deny_providers": "denied providers",
        "tiers": "allowed catalog tiers",
        "capabilities": "capabilities a model must have",
        "retention": "globs a remote model's retention note must match",
        "max_cost": "the most a request may cost at worst, in dollars (a string)",
        "require_tags": "tags a call must carry",
        "dry_run": "this rule only: record, deny nothing",
    }),
    "policy.rules.match": ("../policies.md", "Every key given must hold.", {
        "tags": "tags, `NAME` or `NAME=glob`",
        "agent": "agent names (globs)",
        "caller": "callers (globs)",
        "model": "addresses (globs)",
    }),
    "store": ("../usage-log.md", "The usage log (modelplex-store). `MODELPLEX_STORE_URL` and "
              "`MODELPLEX_STORE=off` win over it.", {
        "url": "`postgresql://...`, `sqlite:///...` or a path (default: `logs.db` in the user data "
               "directory)",
        "enabled": "`false`: record nothing, keep no conversation",
        "content": "`true`: keep prompts and replies too",
        "spool_max_rows": "rows kept locally while the database is down (default 100000)",
        "writer": "`process`: a writer process per recording process does the database's work (the "
                  "default; in a `modelplex` command other than `serve`, `thread`); `thread`: a thread of "
                  "the recording process",
        "durability": "`journal` (the default): a call returns once its row is in the process's journal "
                      "file, which survives the process being killed, and the database commits it a moment "
                      "later; `commit`: a call returns once the database committed its row (a writer "
                      "thread always waits for the commit)",
    }),
    "budgets": ("../cost-and-budgets.md#budgets", "`[[budgets]]`: one table per budget (modelplex-store).", {
        "name": "unique; shown in errors, alerts and `modelplex budgets`",
        "limit": "US dollars, as a string to stay exact (required)",
        "window": "`call`, `run`, `hour`, `day`, `month` or `total` (calendar windows in UTC)",
        "scope": "`all`, `provider:P`, `model:GLOB`, `tag:NAME=VALUE`, `agent:A`, `conversation:C`, "
                 "`caller:C`, `key:K`; `*` as the value gives each its own counter",
        "hard": "`false`: alert only, never refuse (default `true`)",
        "alerts": "percentages of the limit, each fired once per window (default 50, 80, 100)",
        "on_unavailable": "the ledger cannot be reached: `\"deny\"` (default) or `\"allow\"`",
        "unknown_price": "a model without a price: `\"deny\"` (default) or `\"allow\"`",
        "exempt": "callers the budget does not apply to",
    }),
    "budget_ledger": ("../cost-and-budgets.md#budgets", "Where budgets count (modelplex-store).", {
        "url": "`\"store\"` (the store's database, default), `\"redis\"` (the top-level `redis`), or a URL",
        "lease": "seconds a reservation of a killed process keeps counting (default 600)",
    }),
    "gateway": ("../gateway.md", "The gateway (modelplex-gateway); host, port and workers are "
                "`modelplex serve` options.", {
        "admin_key_env": "the variable holding the admin key (default `MODELPLEX_GATEWAY_ADMIN_KEY`)",
        "rate_window": "the window of virtual keys' `--rpm`, in seconds (default 60)",
    }),
}


#: Where the environment variables of Modelplex itself are read: every ``"MODELPLEX_..."`` string in these
#: sources is one (a provider's own variables are on its page, from its ``ProviderInfo``).
SOURCES = ("core/src", "testing/src", "plugins/*/src")
_VARIABLE = re.compile(r"[\"']((?:MODELPLEX)_[A-Z0-9_]+)[\"']")

ENVIRONMENT: dict[str, str] = {
    "MODELPLEX_CONFIG": "the config file to read (an empty file or `/dev/null`: none); named and absent is "
                        "an error",
    "MODELPLEX_PLUGINS": "load only these plugins (comma-separated; set but empty: none)",
    "MODELPLEX_DISABLE_PLUGINS": "skip these plugins (comma-separated)",
    "MODELPLEX_KEYS_FILE": "the key store's file, when the keyring is not used (default `keys.json` in the "
                           "user config directory)",
    "MODELPLEX_STATE_DIR": "where the model of the last chat is kept (default: the user state directory)",
    "MODELPLEX_CACHE_DIR": "modelplex-openai's cache of which API route each server takes (default: the user "
                           "cache directory)",
    "MODELPLEX_DATA_DIR": "modelplex-store's directory: the default SQLite file, the spool and the journals",
    "MODELPLEX_STORE_URL": "modelplex-store's database, over `[store] url`",
    "MODELPLEX_STORE": "`off` (or `0`, `false`, `no`): modelplex-store records nothing",
    "MODELPLEX_STORE_WRITER": "`process` or `thread`: modelplex-store's writer, over `[store] writer`",
    "MODELPLEX_STORE_DURABILITY": "`journal` or `commit`: when a recorded call returns, over "
                                  "`[store] durability`",
    "MODELPLEX_GATEWAY_ADMIN_KEY": "the gateway's admin key (`[gateway] admin_key_env` names another "
                                   "variable)",
    "MODELPLEX_GATEWAY_HOST": "set by `modelplex serve` for its worker processes (use `--host`)",
    "MODELPLEX_GATEWAY_PORT": "set by `modelplex serve` for its worker processes (use `--port`)",
    "MODELPLEX_GATEWAY_WORKERS": "set by `modelplex serve` for its worker processes (use `--workers`)",
    "MODELPLEX_FAKE_SCRIPT": "tests: a JSON file of turns the `fake` provider answers with",
    "MODELPLEX_PG_BIN": "tests: where PostgreSQL's programs are, for the store's throwaway clusters",
    "MODELPLEX_MATRIX_DIR": "tests: where contract results are written for the compatibility matrix",
    "MODELPLEX_MATRIX_SECOND_PART": "tests: this run is the second part of a suite run in two by a marker, "
                                    "and completes the matrix results the first wrote",
}


def variables_read() -> set[str]:
    """Every ``MODELPLEX_...`` variable named in the sources of the core, the test kit and the plugins."""
    found: set[str] = set()
    for pattern in SOURCES:
        for directory in ROOT.glob(pattern):
            for path in directory.rglob("*.py"):
                found.update(_VARIABLE.findall(path.read_text(encoding="utf-8")))
    return found


def differences() -> list[str]:
    """Each key the code reads that the reference does not describe, and each it describes that the code
    does not read; ``[]`` when they agree."""
    problems = [f"table [{t}] is read by the code but not described" for t in CODE if t not in SECTIONS]
    problems += [f"table [{t}] is described but nothing in CODE reads it" for t in SECTIONS if t not in CODE]
    for table, keys in CODE.items():
        described = set(SECTIONS.get(table, ("", "", {}))[2])
        code = keys()
        problems += [f"[{table}] {k}: read by the code, missing from the reference"
                     for k in sorted(code - described)]
        problems += [f"[{table}] {k}: in the reference, read by no code"
                     for k in sorted(described - code)]
    named = variables_read()
    problems += [f"${v}: read by the code, missing from the reference"
                 for v in sorted(named - set(ENVIRONMENT))]
    problems += [f"${v}: in the reference, read by no code" for v in sorted(set(ENVIRONMENT) - named)]
    return problems


def anchor(table: str) -> str:
    """The heading's anchor, given explicitly so that links can be written by hand: ``providers-name`` for
    ``[providers.NAME]``, ``models-provider-model-prices``..."""
    return re.sub(r"[^a-z0-9]+", "-", table.lower()).strip("-")


def page() -> str:
    """The whole page (raises while the reference and the code disagree)."""
    problems = differences()
    if problems:
        raise SystemExit("the configuration reference does not match the code:\n  " + "\n  ".join(problems))
    lines = ["# Configuration file reference", "",
             "`~/.config/modelplex/config.toml` on Linux (the user config directory elsewhere), or the file "
             "`$MODELPLEX_CONFIG` or `Client(config_file=...)` names. Every table is optional. Generated by "
             "`scripts/docs_config.py`, whose test fails when a key the code reads is missing here or a key "
             "described here is read by no code: do not edit.", "",
             "Settings for a provider come from, in order: the client's arguments, environment variables, "
             "this file, then (for a key) the key store. "
             "[More in the user guide](../index.md#configuration).",
             ""]
    for table, (more, intro, keys) in SECTIONS.items():
        heading = "Top level" if table == "top level" else f"[{table}]"
        lines += [f"## {heading} {{#{anchor(table)}}}", "", f"{intro} [More]({more}).", "",
                  "| Key | Meaning |", "|---|---|"]
        lines += [f"| `{key}` | {meaning} |" for key, meaning in sorted(keys.items())]
        lines.append("")
    lines += ["## Environment variables {#environment}", "",
              "Modelplex's own; each provider's (its key, its base URL) are on "
              "[its page](../providers/index.md). Every `MODELPLEX_` variable the sources name is here.", "",
              "| Variable | Meaning |", "|---|---|"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in sorted(ENVIRONMENT.items())]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the page."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(page(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
