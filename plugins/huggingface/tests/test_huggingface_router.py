"""End to end: the installed ``huggingface`` plugin against a real HTTP server on 127.0.0.1 speaking the
router's format, through the public client: provider-selection suffixes on the wire and in the catalog,
the router's errors, stream faults and the model list."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import modelplex
from modelplex import FinishReason, Usage
from modelplex._catalog.merge import model_info
from modelplex.errors import (
    AuthenticationError,
    ModelNotFoundError,
    RateLimitError,
    StreamInterruptedError,
)
from modelplex_testing import cli_env, modelplex_command
from modelplex_testing.compat_server import Reply, ScriptedServer, chunk

TOKEN = "hf_router-e2e-token-0123456789abcdef"
OSS = "openai/gpt-oss-120b"
LLAMA = "meta-llama/Llama-3.3-70B-Instruct"


def reply(model: str, text: str = "Hi!", prompt: int = 12, completion: int = 3) -> dict[str, Any]:
    return {"id": "chatcmpl-hf", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion}}


def client(server: ScriptedServer, **env: str) -> modelplex.Client:
    return modelplex.Client(providers={"huggingface": {"base_url": server.url}}, config_file=False,
                            env={"HF_TOKEN": TOKEN, **env})


@pytest.mark.parametrize("suffix", [":groq", ":fastest", ":cheapest", ":together", ""])
def test_the_model_id_reaches_the_router_as_written(suffix: str) -> None:
    with ScriptedServer([Reply.json(reply(f"{OSS}{suffix}"))]) as server, client(server) as c:
        response = c.chat(f"huggingface/{OSS}{suffix}", "hi")
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.json["model"] == f"{OSS}{suffix}"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert response.text == "Hi!" and response.usage == Usage(input=12, output=3)


def test_a_policy_suffix_finds_the_base_model_s_facts_and_no_price() -> None:
    """``:fastest`` is served by whichever provider the router picks: the model's facts, no price."""
    with ScriptedServer([Reply.json(reply(f"{OSS}:fastest"))]) as server, client(server) as c:
        info = model_info(c, "huggingface", f"{OSS}:fastest")
        response = c.chat(f"huggingface/{OSS}:fastest", "hi")
    assert info is not None and info.name == "gpt-oss-120b" and info.context_window == 131072
    assert info.capabilities.reasoning is True and info.prices.input is None
    assert response.cost is not None and response.cost.status == "unknown" and response.cost.total is None


@pytest.mark.feature("cost", provider="huggingface")
def test_a_provider_suffix_is_priced_at_that_provider_s_price() -> None:
    """``:groq``: Groq's published price. 12 x 0.15 + 3 x 0.6 = 1.8 + 1.8 = 3.6 per 10^6."""
    with ScriptedServer([Reply.json(reply(f"{OSS}:groq"))]) as server, client(server) as c:
        response = c.chat(f"huggingface/{OSS}:groq", "hi")
    assert response.cost is not None and response.cost.status == "exact"
    assert response.cost.total == Decimal("0.0000036")


def test_a_suffix_of_a_model_the_catalog_does_not_know_still_goes_through() -> None:
    with ScriptedServer([Reply.json(reply("acme/unknown-7b:novita"))]) as server, client(server) as c:
        info = model_info(c, "huggingface", "acme/unknown-7b:novita")
        response = c.chat("huggingface/acme/unknown-7b:novita", "hi")
    assert info is None and server.requests[0].json["model"] == "acme/unknown-7b:novita"
    assert response.text == "Hi!"


@pytest.mark.feature("error_mapping", provider="huggingface")
def test_a_model_no_enabled_provider_serves_is_model_not_found() -> None:
    body = {"error": {"message": "The requested model 'acme/nope' is not supported by any provider you "
                                 "have enabled.", "type": "invalid_request_error",
                      "code": "model_not_supported"}}
    with ScriptedServer([Reply.json(body, status=400)]) as server, client(server) as c, \
            pytest.raises(ModelNotFoundError) as info:
        c.chat("huggingface/acme/nope", "hi")
    err = info.value
    assert err.status_code == 400 and err.code == "model_not_supported" and not err.is_retryable
    assert "not supported by any provider" in str(err) and "huggingface" in str(err)
    assert TOKEN not in repr(err) + str(vars(err))


@pytest.mark.feature("error_mapping", provider="huggingface")
def test_a_bad_token_and_a_rate_limit() -> None:
    with ScriptedServer([Reply.json({"error": "Invalid credentials in Authorization header"}, status=401),
                         Reply.json({"error": {"message": "Rate limit reached"}}, status=429,
                                    **{"retry-after": "9"})]) as server, client(server) as c:
        with pytest.raises(AuthenticationError, match="Invalid credentials"):
            c.chat(f"huggingface/{LLAMA}", "hi")
        with pytest.raises(RateLimitError) as info:
            c.chat(f"huggingface/{LLAMA}", "hi")
    assert info.value.retry_after == 9.0 and info.value.is_retryable


def test_the_older_token_variable_is_read_when_hf_token_is_unset() -> None:
    with ScriptedServer([Reply.json(reply(LLAMA))]) as server, modelplex.Client(
            providers={"huggingface": {"base_url": server.url}}, config_file=False,
            env={"HUGGING_FACE_HUB_TOKEN": "hf_older-variable-token-0123"}) as c:
        c.chat(f"huggingface/{LLAMA}", "hi")
    assert server.requests[0].headers["authorization"] == "Bearer hf_older-variable-token-0123"


THINK_STREAM = [chunk("<think>\nThe user"), chunk(" greets.</thi"), chunk("nk>\n\nHello"), chunk(" there."),
                {**chunk(finish="stop"), "usage": {"prompt_tokens": 5, "completion_tokens": 9,
                                                    "total_tokens": 14}}]


def test_a_stream_splits_think_tags_cut_across_chunks() -> None:
    with ScriptedServer([Reply.stream(THINK_STREAM)]) as server, client(server) as c, \
            c.stream("huggingface/deepseek-ai/DeepSeek-R1:together", "hello") as stream:
        list(stream)
    response = stream.response
    assert response is not None and response.reasoning == "The user greets."
    assert response.text == "Hello there." and response.finish_reason == FinishReason.STOP
    assert response.usage == Usage(input=5, output=9)
    assert server.requests[0].json["stream_options"] == {"include_usage": True}


def test_a_stream_cut_off_raises_after_what_arrived() -> None:
    seen: list[Any] = []
    with ScriptedServer([Reply.stream(THINK_STREAM, cut_after=3)]) as server, client(server) as c, \
            pytest.raises(StreamInterruptedError) as info, \
            c.stream("huggingface/deepseek-ai/DeepSeek-R1", "hello") as stream:
        seen.extend(stream)
    assert "huggingface" in str(info.value)
    assert "".join(e.text for e in seen if isinstance(e, modelplex.ReasoningDelta)) == "The user greets."


def test_leaving_a_stream_early_hangs_up() -> None:
    slow = Reply.stream([chunk("word ") for _ in range(50)], delay=0.02)
    with ScriptedServer([slow]) as server, client(server) as c:
        with c.stream(f"huggingface/{LLAMA}", "hello") as stream:
            for _ in stream:
                break
        assert server.wait_disconnect(5.0)


@pytest.mark.feature("model_listing", provider="huggingface")
def test_list_models() -> None:
    listing = {"object": "list", "data": [{"id": LLAMA, "object": "model", "owned_by": "meta-llama"},
                                          {"id": OSS, "object": "model", "owned_by": "openai"}]}
    with ScriptedServer([Reply.json(listing)]) as server, client(server) as c:
        models = c.list_models("huggingface")
    assert [m.address for m in models] == [f"huggingface/{LLAMA}", f"huggingface/{OSS}"]
    assert server.requests[0].method == "GET" and server.requests[0].path == "/v1/models"


def test_the_chat_command(tmp_path: Path) -> None:
    with ScriptedServer([Reply.json(reply(f"{OSS}:groq", "Bonjour"))]) as server:
        env = cli_env(tmp_path / "absent.toml", drop=("HF_", "HUGGING_FACE_"), HF_BASE_URL=server.url,
                      HF_TOKEN=TOKEN)
        done = subprocess.run([modelplex_command(), "chat", "-m", f"huggingface/{OSS}:groq", "Say hi"],
                              capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Bonjour" in done.stdout and TOKEN not in done.stdout + done.stderr
    assert server.requests[0].json["model"] == f"{OSS}:groq"
