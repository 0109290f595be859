"""No key reaches a recording: not from the credential headers, not from a ``key=`` query parameter, not
from a body that quotes it (a request's own text, or a server that echoes the key in its error)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from modelplex_testing import cli_env
from modelplex_testing._recorder import REDACTED
from modelplex_testing.compat_server import Reply, ScriptedServer
from modelplex_testing.echo_server import EchoServer
from modelplex_testing.recording import Recorder, RecordingFormatError, validate
from modelplex_testing.secret_walk import find_secrets

KEY = "sk-recorder-secret-walk-0a1b2c3d4e5f"
OTHER = "gsk_another-key-the-test-names-7777"


def assert_clean(path: Path, *secrets: str) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert [s for s in secrets if s in text] == []
    assert find_secrets(data, secrets) == []
    return dict(validate(path))


@pytest.mark.parametrize("header", ["authorization", "x-api-key", "api-key", "x-goog-api-key"])
@pytest.mark.parametrize("answer", ["401", "stream-malformed"])
def test_credential_headers_query_and_echoed_bodies_are_scrubbed(tmp_path: Path, header: str,
                                                                 answer: str) -> None:
    value = f"Bearer {KEY}" if header == "authorization" else KEY
    recorder = Recorder(tmp_path / "x.json", description="a server that quotes the key back")
    with EchoServer([answer]) as server, httpx.Client(transport=recorder) as client:
        response = client.post(f"{server.url}/v1/chat?key={KEY}&api-version=2024-06-01",
                               headers={header: value, "x-trace": OTHER},
                               json={"model": "m", "note": f"my key is {KEY}"})
        assert KEY in response.text  # the server did echo it: there was something to scrub
    data = assert_clean(recorder.written[0], KEY)
    request = data["request"]
    assert isinstance(request, dict)
    assert request["url"] == f"{server.url}/v1/chat?api-version=2024-06-01"
    assert header not in request["headers"] and "x-trace" not in request["headers"]
    assert request["body"] == {"model": "m", "note": f"my key is {REDACTED}"}


def test_given_secrets_are_scrubbed_besides_the_carried_ones(tmp_path: Path) -> None:
    """A key the request does not carry (another provider's, a token in a prompt) is named to it."""
    reply = Reply.json({"choices": [{"message": {"role": "assistant", "content": f"you said {OTHER}"}}]})
    recorder = Recorder(tmp_path / "x.json", description="a body with another key", secrets=[OTHER])
    with ScriptedServer([reply]) as server, httpx.Client(transport=recorder) as client:
        client.post(f"{server.url}/chat/completions", json={"prompt": OTHER},
                    headers={"authorization": f"Bearer {KEY}"}).read()
    data = assert_clean(recorder.written[0], KEY, OTHER)
    assert data["request"] == {"method": "POST", "url": f"{server.url}/chat/completions",
                               "headers": {"accept": "*/*", "content-type": "application/json"},
                               "body": {"prompt": REDACTED}}


def test_validation_refuses_a_recording_that_kept_a_credential(tmp_path: Path) -> None:
    good = json.loads((Path(__file__).parent / "fixtures" / "01_chat_text.json").read_text())
    good["request"]["headers"]["authorization"] = "Bearer x"
    path = tmp_path / "leaky.json"
    path.write_text(json.dumps(good))
    with pytest.raises(RecordingFormatError) as info:
        validate(path)
    assert (info.value.path, info.value.field) == (path, "request.headers.authorization")


def test_the_command_records_a_real_call_without_the_key(tmp_path: Path) -> None:
    """``modelplex-testing record`` through the generic plugin, its key from the environment, against a
    server that quotes the key in its 401: the file is written (an error scenario), the key is not."""
    out = tmp_path / "fixtures" / "error_401.json"
    env = cli_env(tmp_path / "config.toml", ACME_API_KEY=KEY)
    with EchoServer(["401"]) as server:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("modelplex-testing")), "record", "openai-like/acme-1",
             "Hello", "--out", str(out), "--set", f"base_url={server.url}/v1",
             "--set", "api_key_env=ACME_API_KEY"],
            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "AuthenticationError" in done.stderr and KEY not in done.stderr
    data = assert_clean(out, KEY)
    assert data["response"]["status"] == 401  # type: ignore[index]
    assert "Incorrect API key provided" in json.dumps(data["response"])
    assert data["request"]["body"]["messages"] == [{"role": "user", "content": "Hello"}]  # type: ignore[index]


@pytest.mark.parametrize(("args", "reply", "path"), [
    (["--stream", "--system", "Be brief"],
     Reply.stream([{"choices": [{"index": 0, "delta": {"content": "1, 2, 3"}, "finish_reason": "stop"}]}]),
     "/v1/chat/completions"),
    (["--call", "list_models"], Reply.json({"object": "list", "data": [{"id": "acme-1"}]}), "/v1/models"),
    (["--call", "embed"], Reply.json({"data": [{"index": 0, "embedding": [0.5, 0.25]}]}), "/v1/embeddings"),
], ids=["stream", "list_models", "embed"])
def test_the_command_records_each_kind_of_call(tmp_path: Path, args: list[str], reply: Reply,
                                               path: str) -> None:
    from modelplex_testing._record_command import main

    out = tmp_path / "x.json"
    env = cli_env(tmp_path / "config.toml", ACME_API_KEY=KEY)
    with ScriptedServer([reply]) as server:
        address = "openai-like" if "list_models" in args else "openai-like/acme-1"
        status = main(["record", address, "Count to 3", "--out", str(out), "--set", f"base_url={server.url}",
                       "--set", "api_key_env=ACME_API_KEY", *args], env=env)
    assert status == 0
    data = assert_clean(out, KEY)
    assert data["request"]["url"] == f"{server.url.removesuffix('/v1')}{path}"  # type: ignore[index]
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it did travel, and was scrubbed
    if "--system" in args:
        assert data["request"]["body"]["messages"][0] == {"role": "system", "content": "Be brief"}  # type: ignore[index]


def test_a_setting_that_is_not_key_value_is_refused(tmp_path: Path) -> None:
    from modelplex_testing._record_command import main

    with pytest.raises(SystemExit, match="--set 'base_url' is not KEY=VALUE"):
        main(["record", "openai-like/m", "Hi", "--out", str(tmp_path / "x.json"), "--set", "base_url"],
             env=cli_env(tmp_path / "config.toml"))
    assert not (tmp_path / "x.json").exists()
