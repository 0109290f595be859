"""Virtual keys (issue 17, item 4) with the official ``openai`` and ``anthropic`` SDKs, against the gateway
served by uvicorn on 127.0.0.1 in front of a loopback OpenAI-format upstream; keys kept in a SQLite store
of the test's own.

What is counted where it cannot be argued with: requests at the gateway (an ASGI wrapper outside the
application), requests at the upstream (the scripted server), the database's bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import attrs
import httpx
import openai
import pytest
import uvicorn
from gateway_server import UPSTREAM_KEY, free_port, openai_whole, wait_for
from modelplex_gateway.app import create_app
from modelplex_gateway.keys import key_authenticator
from modelplex_gateway.keys.authenticator import TTL
from modelplex_gateway.keys.store import KeyStore
from modelplex_store.budgets.admitter import nanos_up

import modelplex
from modelplex_testing._cli import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk
from modelplex_testing.logs import captured_logs

HI: Any = [{"role": "user", "content": "hi"}]
MAX = 100
ADMIN = "mpx-admin-0123456789abcdefghijklmnopqrstuvwxyzABCD"


class Counting:
    """Counts the HTTP requests reaching the gateway, by method and path, outside the application."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen[(scope["method"], scope["path"])] += 1
        await self.app(scope, receive, send)


@attrs.frozen(kw_only=True)
class Keyed:
    """A served gateway with keys: its URL, the request counter, and the store's file."""

    url: str
    counted: Counting
    store: Path

    @property
    def v1(self) -> str:
        return f"{self.url}/v1"


def write_config(path: Path, upstream: ScriptedServer, store: Path, *, window: float = 60,
                 redis: str | None = None, extra: str = "") -> Path:
    """A config file: the upstream as ``openai`` (Chat Completions), the store (keys, budget ledger);
    ``extra`` TOML after it."""
    path.write_text(("" if redis is None else f'redis = "{redis}"\n') + f"""
[store]
url = "{store}"

[gateway]
rate_window = {window}

[providers.openai]
base_url = "{upstream.url}"
api_key = "{UPSTREAM_KEY}"
api = "chat_completions"
""" + extra, encoding="utf-8")
    path.chmod(0o600)  # it holds the upstream's key
    return path


@contextlib.contextmanager
def keyed(tmp_path: Path, upstream: ScriptedServer, *, admin: str | None = None,
          window: float = 60, redis: str | None = None, extra: str = "") -> Iterator[Keyed]:
    """The gateway with virtual keys in ``tmp_path``'s store, under uvicorn in a thread."""
    store = tmp_path / "store.db"
    config = write_config(tmp_path / "modelplex.toml", upstream, store, window=window, redis=redis,
                          extra=extra)
    port = free_port()
    holder: dict[str, Any] = {}

    async def main() -> None:
        client = modelplex.AsyncClient(config_file=config, env={})
        env = {"MODELPLEX_GATEWAY_ADMIN_KEY": admin} if admin else {}
        app = create_app(client, authenticate=key_authenticator(client, env=env))
        holder["counted"] = counted = Counting(app)
        server = uvicorn.Server(uvicorn.Config(counted, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="on"))
        holder["server"] = server
        try:
            await server.serve()
        finally:
            await client.aclose()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    if not wait_for(lambda: "server" in holder and holder["server"].started, 15):
        raise RuntimeError("the gateway did not start")
    try:
        yield Keyed(url=f"http://127.0.0.1:{port}", counted=holder["counted"], store=store)
    finally:
        holder["server"].should_exit = True
        thread.join(15)


def make_key(store: Path, **options: Any) -> tuple[str, str]:
    """A key in ``store`` (as the command line and the admin route make them): (key, id)."""
    keys = KeyStore(str(store))
    try:
        key, record = keys.create(**options)
    finally:
        keys.close()
    return key, record.id


def sdk(v1: str, key: str, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=v1, api_key=key, **kwargs)


def chat_requests(upstream: ScriptedServer) -> int:
    return sum(r.path.endswith("/chat/completions") for r in upstream.requests)


async def worst_case(config: Path) -> tuple[int, Decimal]:
    """The input tokens and worst-case cost of ``HI`` with ``max_tokens=MAX`` on ``openai/gpt-4o``."""
    async with modelplex.AsyncClient(config_file=config, env={}) as client:
        estimate = await client.estimate("openai/gpt-4o", "hi", max_tokens=MAX)
    assert estimate.cost.total is not None
    return estimate.input_tokens, estimate.cost.total


def exact_reply(input_tokens: int) -> Any:
    """An upstream reply that used exactly the worst case: its input, and ``MAX`` output tokens."""
    return openai_whole("ok", finish="length", usage={"prompt_tokens": input_tokens, "completion_tokens": MAX,
                                                       "total_tokens": input_tokens + MAX})


# -- finding: a key is shown once, only its hash is kept ------------------------------------------------

def test_keys_create_shows_the_key_once_and_the_database_keeps_only_its_hash(tmp_path: Path) -> None:
    import subprocess

    store = tmp_path / "store.db"
    env = cli_env(tmp_path / "modelplex.toml", MODELPLEX_STORE_URL=str(store))
    made = subprocess.run([modelplex_command(), "gateway", "keys", "create", "--name", "ci", "--scope",
                           "openai/gpt-4o*", "--budget", "5", "--rpm", "30", "--expires", "30d", "--json"],
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    created = json.loads(made.stdout)
    key = created["key"]
    assert key.startswith("mpx-") and len(key) >= 40
    listed = subprocess.run([modelplex_command(), "gateway", "keys", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    [entry] = json.loads(listed.stdout)
    assert entry["id"] == created["id"] and entry["scopes"] == ["openai/gpt-4o*"] and entry["budget"] == "5"
    assert key not in listed.stdout and hashlib.sha256(key.encode()).hexdigest() not in listed.stdout
    data = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    assert key.encode() not in data and key[4:20].encode() not in data  # not even a piece of it
    assert hashlib.sha256(key.encode()).hexdigest().encode() in data
    revoked = subprocess.run([modelplex_command(), "gateway", "keys", "revoke", created["id"]], env=env,
                             capture_output=True, text=True, timeout=60, check=True)
    assert created["id"] in revoked.stdout
    assert json.loads(subprocess.run([modelplex_command(), "gateway", "keys", "list", "--json"], env=env,
                                     capture_output=True, text=True, timeout=60,
                                     check=True).stdout) == []


# -- finding: every request needs a valid key once keys exist; scopes; expiry; revocation ---------------

def test_a_key_is_served_and_a_missing_unknown_or_out_of_scope_key_is_refused(tmp_path: Path) -> None:
    with ScriptedServer([openai_whole("hello")]) as up, keyed(tmp_path, up) as gw:
        key, _ = make_key(gw.store, scopes=["openai/gpt-4o-mini*"], tags={"team": "search"})
        reply = sdk(gw.v1, key, max_retries=0).chat.completions.create(model="openai/gpt-4o-mini",
                                                                          messages=HI)
        assert reply.choices[0].message.content == "hello"
        with pytest.raises(openai.PermissionDeniedError):
            sdk(gw.v1, key, max_retries=0).chat.completions.create(model="openai/gpt-4o", messages=HI)
        with pytest.raises(openai.AuthenticationError) as unknown:
            sdk(gw.v1, "mpx-not-a-key", max_retries=0).chat.completions.create(model="openai/gpt-4o-mini",
                                                                               messages=HI)
        assert unknown.value.body["code"] == "invalid_api_key"  # type: ignore[index]
        # From this machine too: once a key exists, the loopback is no longer trusted without one.
        missing = httpx.post(f"{gw.v1}/chat/completions", json={"model": "openai/gpt-4o-mini",
                                                                "messages": HI})
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "missing_api_key"
        # Anthropic's header, Anthropic's error shape.
        refused = httpx.post(f"{gw.url}/v1/messages", headers={"x-api-key": "mpx-wrong"},
                             json={"model": "openai/gpt-4o-mini", "max_tokens": 10, "messages": HI})
        assert refused.status_code == 401
        assert refused.json()["type"] == "error"
        assert refused.json()["error"]["type"] == "authentication_error"
    assert chat_requests(up) == 1


def test_an_expired_key_and_a_revoked_key_are_refused_within_a_second(tmp_path: Path) -> None:
    with ScriptedServer([openai_whole("hello")]) as up, keyed(tmp_path, up, admin=ADMIN) as gw:
        key, key_id = make_key(gw.store)
        client = sdk(gw.v1, key, max_retries=0)
        client.chat.completions.create(model="openai/gpt-4o", messages=HI)  # cached as valid now
        # A key valid for a few seconds is served while valid. The window must hold a call, and a call
        # to a fresh gateway on a busy machine has taken over 3 s: a window the call outlived is tried
        # again, longer (what is tested is the refusal after it, not how short the window can be).
        for window in (3.0, 6.0, 12.0, 24.0):
            expires = time.time() + window
            short, _ = make_key(gw.store, expires_at=expires)
            try:
                sdk(gw.v1, short, max_retries=0).chat.completions.create(model="openai/gpt-4o", messages=HI)
                break
            except openai.AuthenticationError:
                assert time.time() >= expires, "a key refused while still valid"
        else:
            pytest.fail("no window of up to 24 s held one call")
        time.sleep(max(0.0, expires - time.time()) + 0.1)
        with pytest.raises(openai.AuthenticationError, match="expired"):
            sdk(gw.v1, short, max_retries=0).chat.completions.create(model="openai/gpt-4o", messages=HI)
        revoked = httpx.delete(f"{gw.url}/admin/keys/{key_id}", headers={"authorization": f"Bearer {ADMIN}"})
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        at = time.monotonic()
        refused_after = None
        while time.monotonic() - at < 3:
            r = httpx.post(f"{gw.v1}/chat/completions", headers={"authorization": f"Bearer {key}"},
                           json={"model": "openai/gpt-4o", "messages": HI})
            if r.status_code == 401:
                refused_after = time.monotonic() - at
                break
            time.sleep(0.02)
        assert refused_after is not None and refused_after <= 1.0, refused_after
        assert "revoked" in r.json()["error"]["message"]
        # Once refused, refused for good (no cached "valid" answer comes back).
        for _ in range(5):
            assert httpx.post(f"{gw.v1}/chat/completions", headers={"authorization": f"Bearer {key}"},
                              json={"model": "openai/gpt-4o", "messages": HI}).status_code == 401
            time.sleep(TTL / 2)


# -- finding: over budget, 429 that the official SDKs do not retry ---------------------------------------

def test_over_its_budget_a_key_gets_a_429_that_neither_sdk_retries(tmp_path: Path) -> None:
    upstream = ScriptedServer([openai_whole("x")])  # replaced below, once the worst case is known
    config = write_config(tmp_path / "probe.toml", upstream, tmp_path / "probe.db")
    input_tokens, worst = asyncio.run(worst_case(config))
    with ScriptedServer([exact_reply(input_tokens)]) as up, keyed(tmp_path, up) as gw:
        budget = Decimal(nanos_up(worst) * 2) / Decimal(1_000_000_000)  # exactly two calls' worth
        key, key_id = make_key(gw.store, budget=budget, budget_window="day")
        oa = sdk(gw.v1, key)  # the SDK's default: two retries
        for _ in range(2):
            oa.chat.completions.create(model="openai/gpt-4o", messages=HI, max_tokens=MAX)
        with pytest.raises(openai.RateLimitError) as over:
            oa.chat.completions.create(model="openai/gpt-4o", messages=HI, max_tokens=MAX)
        assert over.value.response.headers["x-should-retry"] == "false"
        assert int(over.value.response.headers["retry-after"]) > 0
        assert over.value.body["code"] == "budget_exceeded"  # type: ignore[index]
        assert over.value.body["type"] == "insufficient_quota"  # type: ignore[index]
        assert f"key-{key_id}" in over.value.message
        assert gw.counted.seen[("POST", "/v1/chat/completions")] == 3  # not 5: no retry

        an = anthropic.Anthropic(base_url=gw.url, api_key=key)  # default: two retries
        with pytest.raises(anthropic.RateLimitError) as refused:
            an.messages.create(model="openai/gpt-4o", max_tokens=MAX, messages=HI)
        assert refused.value.response.headers["x-should-retry"] == "false"
        assert refused.value.body["type"] == "error"  # type: ignore[index]
        assert refused.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
        assert gw.counted.seen[("POST", "/v1/messages")] == 1
    assert chat_requests(up) == 2


# -- finding: a key's request limits --------------------------------------------------------------------

def test_over_its_rate_limit_a_key_gets_a_429_with_retry_after_and_room_comes_back(tmp_path: Path) -> None:
    with ScriptedServer([openai_whole("hello")]) as up, keyed(tmp_path, up, window=1.0) as gw:
        key, _ = make_key(gw.store, rpm=2)
        other, _ = make_key(gw.store)
        headers = {"authorization": f"Bearer {key}"}
        body = {"model": "openai/gpt-4o", "messages": HI}
        first = [httpx.post(f"{gw.v1}/chat/completions", headers=headers, json=body) for _ in range(3)]
        assert [r.status_code for r in first] == [200, 200, 429]
        assert first[2].json()["error"]["type"] == "rate_limit_error"
        assert first[2].json()["error"]["code"] == "rate_limit_exceeded"
        assert int(first[2].headers["retry-after"]) >= 1
        # Another key is not held back by this one's limit.
        assert httpx.post(f"{gw.v1}/chat/completions", headers={"authorization": f"Bearer {other}"},
                          json=body).status_code == 200
        time.sleep(1.1)  # one window after the requests ended
        assert httpx.post(f"{gw.v1}/chat/completions", headers=headers, json=body).status_code == 200
    assert chat_requests(up) == 4


def test_a_streamed_reply_holds_its_keys_concurrency_slot_until_its_last_event(tmp_path: Path) -> None:
    slow = Reply.stream([chunk(content="a"), chunk(content="b"), chunk(content="c"), chunk(finish="stop")],
                        delay=0.3)
    with ScriptedServer([slow, openai_whole("after")]) as up, keyed(tmp_path, up) as gw:
        key, _ = make_key(gw.store, concurrency=1)
        headers = {"authorization": f"Bearer {key}"}
        body: dict[str, Any] = {"model": "openai/gpt-4o", "messages": HI}
        with httpx.stream("POST", f"{gw.v1}/chat/completions", headers=headers,
                          json={**body, "stream": True}) as streamed:
            assert streamed.status_code == 200
            lines = streamed.iter_lines()
            assert any(line.startswith("data: ") for line in lines)  # the stream is under way
            during = httpx.post(f"{gw.v1}/chat/completions", headers=headers, json=body)
            assert during.status_code == 429
            assert during.json()["error"]["code"] == "rate_limit_exceeded"
            rest = list(lines)
        assert rest[-1] == "data: [DONE]" or "data: [DONE]" in rest
        # The slot is given back once the stream has ended, not when its head was sent.
        assert wait_for(lambda: httpx.post(f"{gw.v1}/chat/completions", headers=headers,
                                           json=body).status_code == 200, 2)


def test_with_its_limit_counters_unreachable_a_limited_key_is_refused_not_let_through(tmp_path: Path) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with ScriptedServer([openai_whole("hello")]) as up, keyed(tmp_path, up, redis=closed) as gw:
        limited, _ = make_key(gw.store, rpm=100)
        unlimited, _ = make_key(gw.store)
        body = {"model": "openai/gpt-4o", "messages": HI}
        refused = httpx.post(f"{gw.v1}/chat/completions", headers={"authorization": f"Bearer {limited}"},
                             json=body)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "limits_unavailable"
        assert "redis" not in refused.text.lower()
        assert httpx.post(f"{gw.v1}/chat/completions", headers={"authorization": f"Bearer {unlimited}"},
                          json=body).status_code == 200
    assert chat_requests(up) == 1


# -- finding: the admin key, and the administrative routes for it alone ---------------------------------

def test_admin_routes_need_the_admin_key_and_a_key_they_make_works(tmp_path: Path) -> None:
    admin = {"authorization": f"Bearer {ADMIN}"}
    with ScriptedServer([openai_whole("hello")]) as up, keyed(tmp_path, up, admin=ADMIN) as gw:
        made = httpx.post(f"{gw.url}/admin/keys", headers=admin,
                          json={"name": "team-a", "scopes": ["openai/*"], "rpm": 100, "expires": "1h"})
        assert made.status_code == 201
        key = made.json()["key"]
        reply = sdk(gw.v1, key, max_retries=0).chat.completions.create(model="openai/gpt-4o", messages=HI)
        assert reply.choices[0].message.content == "hello"
        as_user = httpx.get(f"{gw.url}/admin/keys", headers={"authorization": f"Bearer {key}"})
        assert as_user.status_code == 403
        assert httpx.get(f"{gw.url}/admin/keys").status_code == 401
        listed = httpx.get(f"{gw.url}/admin/keys", headers=admin)
        assert [k["name"] for k in listed.json()["keys"]] == ["team-a"]
        assert key not in listed.text and hashlib.sha256(key.encode()).hexdigest() not in listed.text
        bad = httpx.post(f"{gw.url}/admin/keys", headers=admin, json={"scopes": ["gpt-4o"]})
        assert bad.status_code == 400


# -- finding: no key material in logs, the database, metrics or responses -------------------------------

def test_no_key_material_in_logs_database_metrics_or_responses(tmp_path: Path,
                                                                 capfd: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []
    statuses: list[int] = []
    probe = write_config(tmp_path / "probe.toml", ScriptedServer([openai_whole("x")]), tmp_path / "probe.db")
    _, worst = asyncio.run(worst_case(probe))
    with captured_logs() as logs, ScriptedServer([openai_whole("hello")]) as up, \
            keyed(tmp_path, up, admin=ADMIN) as gw:
        # One call's worst case and a little: the first is served, the second (its worst case on top of
        # what the first spent) is over budget. From the estimate, not a figure that holds only where a
        # tokenizer is installed (the upper-leaning count without one made the first call over budget).
        budget = Decimal(nanos_up(worst) + 50_000) / Decimal(1_000_000_000)
        key, _ = make_key(gw.store, budget=budget, rpm=3, tags={"team": "a"})
        headers = {"authorization": f"Bearer {key}"}
        body = {"model": "openai/gpt-4o", "messages": HI, "max_tokens": MAX}
        for _ in range(4):  # served, then over budget, then over the limit
            r = httpx.post(f"{gw.v1}/chat/completions", headers=headers, json=body)
            statuses.append(r.status_code)
            seen.append(json.dumps(dict(r.headers)) + r.text)
        r = httpx.post(f"{gw.url}/v1/messages", headers={"x-api-key": key}, json={**body, "max_tokens": 5})
        seen.append(json.dumps(dict(r.headers)) + r.text)
        for path in ("/v1/models", "/metrics", "/providers"):
            r = httpx.get(gw.url + path, headers=headers)
            seen.append(json.dumps(dict(r.headers)) + r.text)
        r = httpx.get(f"{gw.url}/admin/keys", headers={"authorization": f"Bearer {ADMIN}"})
        seen.append(r.text)
        metrics = httpx.get(f"{gw.url}/metrics", headers=headers).text
    out, err = capfd.readouterr()
    assert statuses[0] == 200 and set(statuses[1:]) == {429}  # the refusals were made and answered
    texts = {"responses": "\n".join(seen), "metrics": metrics, "stdout": out, "stderr": err,
             "logs": json.dumps(logs, default=str),
             "database": b"".join(p.read_bytes() for p in tmp_path.glob("store.db*")).decode("latin-1")}
    for piece in (key, key[4:16], key[-12:], ADMIN, ADMIN[4:16]):
        leaks = [where for where, text in texts.items() if piece in text]
        assert not leaks, f"key material found in {leaks}"
