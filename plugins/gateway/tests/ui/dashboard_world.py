"""The world the dashboard's browser tests look at, built once per session: a config file, a key file
and a usage store of one million rows in a temporary directory, loopback upstreams speaking each
provider's format, and the gateway serving ``/ui`` under a real uvicorn on 127.0.0.1.

- ``openai``: a scripted OpenAI server that lists models and answers chats; its key stored in the key
  file (the test connection succeeds);
- ``anthropic``: a server refusing every key with Anthropic's 401 (the test connection fails, with a
  readable reason);
- ``deepseek``: an OpenAI-compatible server over capacity (503) on every request: calls to it fail and
  leave failures, a cool-down and a last error in the serving client's health;
- ``together``: an OpenAI-compatible provider served by the ``openai`` server, with no key until a test
  adds one;
- configured chains ``fast`` and ``backup``, an alias, an agent, a task rule and a policy rule keeping
  requests tagged ``pii`` off ``anthropic``, a hard budget ``capped`` over requests tagged
  ``spend=capped``; ``gemini`` installed but not configured.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import attrs

import modelplex
from modelplex_testing.compat_server import Reply, ScriptedServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
#: The stored key of the ``openai`` upstream: the tests look for it, whole, in every page and response.
OPENAI_KEY = "sk-dashboard-openai-0123456789abcdefWXYZ"
ANTHROPIC_KEY = "sk-ant-dashboard-refused-0123456789LMNO"
DEEPSEEK_KEY = "sk-dashboard-deepseek-0123456789HIJK"
#: Usage rows seeded in the store (``MODELPLEX_UI_ROWS`` lowers it for a quick local run).
ROWS = int(os.environ.get("MODELPLEX_UI_ROWS", "1000000"))

OPENAI_MODELS = {"object": "list", "data": [
    {"id": "gpt-4o-mini", "object": "model", "created": 1, "owned_by": "openai"},
    {"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"},
    {"id": "text-embedding-3-small", "object": "model", "created": 1, "owned_by": "openai"},
    {"id": "ft:gpt-4o-mini:acme:support", "object": "model", "created": 1, "owned_by": "acme"}]}
CHAT = {"id": "chatcmpl-ui", "object": "chat.completion", "model": "gpt-4o-mini", "created": 1,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello from the loopback."},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}}
OVERLOADED = {"error": {"message": "the service is over capacity", "type": "server_error", "code": None}}
REFUSED = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}


@attrs.frozen(kw_only=True)
class World:
    """What a dashboard test reaches: the gateway's URL, the environment its client reads, the files,
    and the upstream servers."""

    url: str
    env: Mapping[str, str]
    config: Path
    keys: Path
    store_url: str
    openai: ScriptedServer
    anthropic: ScriptedServer
    deepseek: ScriptedServer
    app: Any

    @property
    def ui(self) -> str:
        """The dashboard's base URL."""
        return f"{self.url}/ui"


def config_text(openai: ScriptedServer, anthropic: ScriptedServer, deepseek: ScriptedServer) -> str:
    """The seeded config file."""
    return f"""\
# The dashboard tests' config: written by dashboard_world.py
[providers.openai]
base_url = "{openai.url}"
default_model = "gpt-4o-mini"
api = "chat_completions"

[providers.anthropic]
base_url = "http://127.0.0.1:{anthropic.port}"

[providers.deepseek]
base_url = "{deepseek.url}"

[providers.together]
base_url = "{openai.url}"

[aliases]
quick = "openai/gpt-4o-mini"

[chains.fast]
models = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "openai/gpt-4o"]

[chains.backup]
models = ["openai/gpt-4o", "deepseek/deepseek-chat", "openai/text-embedding-3-small",
          {{model = "anthropic/claude-haiku-4-5", temperature = 0.2}}]

[agents.support]
model = "chain/fast"
system = "You answer support questions."

[routing.tasks]
summarise = "openai/gpt-4o-mini"

[[budgets]]
name = "capped"
limit = "0.01"
window = "day"
scope = "tag:spend=capped"

[policy]
default = "allow"

[[policy.rules]]
name = "pii stays off anthropic"
match = {{ tags = ["pii"] }}
deny_providers = ["anthropic"]
"""


def _bench_store() -> Any:
    spec = importlib.util.spec_from_file_location("modelplex_bench_store", ROOT / "bench" / "store.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_store(url: str, rows: int) -> float:
    """Fill the store at ``url`` with ``rows`` usage rows and their rollups (the store bench's seeder);
    the seconds it took."""
    return float(_bench_store().seed(url, rows, lambda _: None))


def store_url_in(base: Path) -> str:
    """The usage store of the world under ``base``."""
    return f"sqlite:///{base / 'usage.db'}"


@contextmanager
def build_world(base: Path, *, seeded: bool = False) -> Iterator[World]:
    """The whole world, under ``base``; the gateway stops and the servers close when the block ends.

    ``seeded``: the store under ``base`` already holds its rows (``python dashboard_world.py BASE``, run
    beside the tests that come before the dashboard's, filled it).
    """
    from gateway_server import served

    from modelplex._keys import KeyStore

    with ExitStack() as stack:
        openai = stack.enter_context(ScriptedServer([Reply.json(CHAT)],
                                                    routes={"/v1/models": Reply.json(OPENAI_MODELS)}))
        anthropic = stack.enter_context(ScriptedServer([Reply.json(REFUSED, status=401)]))
        deepseek = stack.enter_context(ScriptedServer([Reply.json(OVERLOADED, status=503)]))
        config = base / "config.toml"
        config.write_text(config_text(openai, anthropic, deepseek), encoding="utf-8")
        keys = base / "keys.json"
        store_url = store_url_in(base)
        env = {"MODELPLEX_CONFIG": str(config), "MODELPLEX_KEYS_FILE": str(keys),
               "MODELPLEX_DATA_DIR": str(base / "data"), "MODELPLEX_STORE_URL": store_url,
               "HOME": str(base), "PATH": os.environ.get("PATH", "")}
        store = KeyStore(env)
        store.set("openai", OPENAI_KEY, "file")
        store.set("anthropic", ANTHROPIC_KEY, "file")
        store.set("deepseek", DEEPSEEK_KEY, "file")
        if not seeded:
            started = time.perf_counter()
            seed_store(store_url, ROWS)
            print(f"\nseeded {ROWS:,} usage rows in {time.perf_counter() - started:.1f}s")
        # The page handlers that read the environment (the store's open(), the config writer) see the
        # world's, as a user's process would.
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        stack.callback(_restore, saved)
        gateway = stack.enter_context(served(lambda: modelplex.AsyncClient(env=dict(env))))
        yield World(url=gateway.url, env=env, config=config, keys=keys, store_url=store_url, openai=openai,
                    anthropic=anthropic, deepseek=deepseek, app=gateway.app)


def _restore(saved: Mapping[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


if __name__ == "__main__":
    import sys

    seconds = seed_store(store_url_in(Path(sys.argv[1])), ROWS)
    print(f"seeded {ROWS:,} usage rows in {seconds:.1f}s")
