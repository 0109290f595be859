"""A virtual key's tokens a minute (issue 17, item 4: "budgets and rate limits ... with the key as a
scope"), in one gateway process (in-memory counters), on the wire: the official SDKs and plain HTTP in
front of a loopback upstream whose replies say how many tokens each call used.

Each attempt reserves its estimate before it is sent (the prompt by characters plus ``max_tokens``) and
settles with the upstream's count when it ends; the refusal is a 429 with ``retry-after`` in the shape of
the API asked, and nothing reaches the upstream. The fleet's proof (two processes, one redis-server) is
in ``test_fleet.py``.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from gateway_server import openai_whole
from modelplex_gateway.keys.store import KeyStore
from test_keys import HI, chat_requests, keyed, make_key

import modelplex
from modelplex._estimate import request_tokens
from modelplex_testing._cli import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

MAX = 100
#: What each upstream reply says it used: far less than a reservation (its input and MAX).
USED = {"prompt_tokens": 9, "completion_tokens": 21, "total_tokens": 30}


def reserved() -> int:
    """What a request of ``HI`` with ``max_tokens=MAX`` reserves: the core's figure for token limits."""
    return request_tokens([modelplex.Message.user("hi")], modelplex.ChatOptions(max_tokens=MAX))


def _post(url: str, key: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                      json={"model": "openai/gpt-4o", "messages": HI, "max_tokens": MAX, **body}, timeout=30)


# -- finding: keys create --tpm ---------------------------------------------------------------------------

def test_keys_create_takes_tpm_and_list_shows_it(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "modelplex.toml", MODELPLEX_STORE_URL=str(tmp_path / "store.db"))
    made = subprocess.run([modelplex_command(), "gateway", "keys", "create", "--tpm", "40000", "--rpm", "60",
                           "--json"], env=env, capture_output=True, text=True, timeout=60, check=True)
    created = json.loads(made.stdout)
    assert created["tpm"] == 40000 and created["rpm"] == 60
    listed = subprocess.run([modelplex_command(), "gateway", "keys", "list"], env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    assert "40000 tpm" in listed.stdout and "60 rpm" in listed.stdout
    refused = subprocess.run([modelplex_command(), "gateway", "keys", "create", "--tpm", "0"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--tpm" in refused.stderr
    keys = KeyStore(str(tmp_path / "store.db"))
    try:
        assert keys.get(created["id"]).tpm == 40000  # type: ignore[union-attr]
    finally:
        keys.close()


# -- finding: a key's tpm is enforced, counted from real usage ------------------------------------------

def test_over_its_tpm_a_key_gets_a_429_and_what_fits_is_counted_by_upstream_usage(tmp_path: Path) -> None:
    hold = reserved()
    tpm = 3 * hold  # three requests' reservations; the replies' real counts let more in
    reply = openai_whole("ok", usage=USED)
    with ScriptedServer([reply]) as up, keyed(tmp_path, up, window=30) as gw:
        key, key_id = make_key(gw.store, tpm=tpm)
        other, _ = make_key(gw.store, tpm=tpm)
        statuses = [_post(gw.url, key).status_code for _ in range(12)]
        served = statuses.count(200)
        # Settled with 30 tokens each, not held at their reservation: k served while 30 * (k - 1) + hold
        # fit, and then the refusals.
        fits = (tpm - hold) // USED["total_tokens"] + 1
        assert served == fits > 3, statuses
        assert statuses == [200] * fits + [429] * (12 - fits)
        assert chat_requests(up) == fits  # a refused request reached nothing
        over = _post(gw.url, key)
        assert over.status_code == 429
        error = over.json()["error"]
        assert error["type"] == "rate_limit_error" and error["code"] == "rate_limit_exceeded"
        assert f"key {key_id}" in error["message"] and f"{tpm} tokens a minute" in error["message"]
        assert int(over.headers["retry-after"]) >= 1
        assert "x-should-retry" not in over.headers  # room comes back: the SDKs may retry
        # Anthropic's shape on /v1/messages, from the same counters.
        an = anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=0)
        with pytest.raises(anthropic.RateLimitError) as refused:
            an.messages.create(model="openai/gpt-4o", max_tokens=MAX, messages=HI)
        assert refused.value.body["type"] == "error"  # type: ignore[index]
        assert refused.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
        assert int(refused.value.response.headers["retry-after"]) >= 1
        # Another key has its own tokens.
        assert _post(gw.url, other).status_code == 200
    assert chat_requests(up) == fits + 1


def test_a_request_alone_over_the_keys_tpm_is_refused_for_good_without_retries(tmp_path: Path) -> None:
    with ScriptedServer([openai_whole("ok", usage=USED)]) as up, keyed(tmp_path, up) as gw:
        key, _ = make_key(gw.store, tpm=reserved() - 1)
        client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=key)  # the SDK's default: two retries
        with pytest.raises(openai.RateLimitError) as over:
            client.chat.completions.create(model="openai/gpt-4o", messages=HI, max_tokens=MAX)
        assert over.value.response.headers["x-should-retry"] == "false"
        assert "lower max_tokens" in over.value.message
        assert gw.counted.seen[("POST", "/v1/chat/completions")] == 1  # not retried
        # A smaller request fits.
        assert _post(gw.url, key, max_tokens=MAX - 10).status_code == 200
    assert chat_requests(up) == 1


def test_a_streamed_reply_is_settled_with_the_usage_at_its_end_and_room_comes_back(tmp_path: Path) -> None:
    hold = reserved()
    stream = Reply.stream([chunk(content="a"), chunk(content="b"), chunk(finish="stop"),
                           chunk(usage=USED)])
    with ScriptedServer([stream]) as up, keyed(tmp_path, up, window=2.0) as gw:
        key, _ = make_key(gw.store, tpm=hold + USED["total_tokens"])  # one reservation, or one used and one
        client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=key, max_retries=0)
        for _ in range(2):  # the second fits only once the first was settled with its 30 tokens
            events = client.chat.completions.create(model="openai/gpt-4o", messages=HI, max_tokens=MAX,
                                                    stream=True)
            assert "".join(c.choices[0].delta.content or "" for c in events if c.choices) == "ab"
        assert _post(gw.url, key, stream=True).status_code == 429
        time.sleep(2.2)  # one window after the streams ended: their tokens leave the count
        assert _post(gw.url, key, stream=True).status_code == 200
    assert chat_requests(up) == 3


def test_with_its_limit_counters_unreachable_a_tpm_key_is_refused_not_let_through(tmp_path: Path) -> None:
    from gateway_server import free_port

    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with ScriptedServer([openai_whole("ok", usage=USED)]) as up, keyed(tmp_path, up, redis=closed) as gw:
        key, _ = make_key(gw.store, tpm=10_000)
        refused = _post(gw.url, key)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "limits_unavailable"
        assert "redis" not in refused.text.lower()
    assert chat_requests(up) == 0


def test_the_admin_route_makes_a_key_with_tpm_and_refuses_a_bad_one(tmp_path: Path) -> None:
    from test_keys import ADMIN

    admin = {"authorization": f"Bearer {ADMIN}"}
    with ScriptedServer([openai_whole("ok", usage=USED)]) as up, keyed(tmp_path, up, admin=ADMIN) as gw:
        made = httpx.post(f"{gw.url}/admin/keys", headers=admin, json={"name": "batch", "tpm": reserved()})
        assert made.status_code == 201 and made.json()["tpm"] == reserved()
        key = made.json()["key"]
        assert [_post(gw.url, key).status_code for _ in range(2)] == [200, 429]  # 30 used + a reservation
        listed = httpx.get(f"{gw.url}/admin/keys", headers=admin).json()["keys"]
        assert [(k["name"], k["tpm"]) for k in listed] == [("batch", reserved())]
        assert httpx.post(f"{gw.url}/admin/keys", headers=admin, json={"tpm": 0}).status_code == 400
    assert chat_requests(up) == 1


def test_a_chain_whose_every_model_is_over_the_keys_tpm_is_a_429_not_a_policy_refusal(tmp_path: Path) -> None:
    chain = '\n[chains.pair]\nmodels = ["openai/gpt-4o", "openai/gpt-4o-mini"]\n'
    with ScriptedServer([openai_whole("ok", usage=USED)]) as up, keyed(tmp_path, up, extra=chain) as gw:
        key, key_id = make_key(gw.store, tpm=reserved())
        assert _post(gw.url, key, model="chain/pair").status_code == 200
        over = _post(gw.url, key, model="chain/pair")  # each model of the chain refused in turn
        assert over.status_code == 429, over.text
        assert over.json()["error"]["code"] == "rate_limit_exceeded"
        assert f"key {key_id}" in over.json()["error"]["message"]
        assert int(over.headers["retry-after"]) >= 1 and "x-should-retry" not in over.headers
    assert chat_requests(up) == 1
