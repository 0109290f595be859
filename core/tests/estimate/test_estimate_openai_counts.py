"""Exact input counts: OpenAI's tokenizer on the recorded OpenAI traffic gives the prompt tokens the
provider reported, with the frame Chat Completions adds (4 tokens a message, 3 for the reply's start).

Requests of text alone are exact: equal to the reported count for gpt-4o and gpt-4.1, one more for gpt-5
models (whose frame is a token shorter), never fewer. Requests with tools are marked estimated and
never below the reported count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelplex import Client, TextPart
from modelplex._catalog.tokenizers import encoding_name
from modelplex_testing.replay import Recording
from modelplex_testing.wire_messages import read_request

FIXTURES = Path(__file__).resolve().parents[3] / "plugins"
DIRECTORIES = ("openai/tests/fixtures/openai", "openai/tests/fixtures/openai_responses",
               "azure/tests/fixtures/azure")


def _reported_input(recording: Recording) -> int | None:
    """The prompt tokens the provider reported: the last usage object in the body or the stream."""
    response = recording.response
    bodies: list[Any] = [response.get("body")]
    for line in str(response.get("body_text", "")).splitlines():
        line = line.removeprefix("data:").strip()
        if line.startswith("{"):
            bodies.append(json.loads(line))
    found = None

    def walk(value: Any) -> None:
        nonlocal found
        if isinstance(value, dict):
            usage = value.get("usage")
            if isinstance(usage, dict):
                count = usage.get("prompt_tokens", usage.get("input_tokens"))
                if isinstance(count, int):
                    found = count
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for body in bodies:
        walk(body)
    return found


def _chat_recordings() -> list[Recording]:
    out = []
    for directory in DIRECTORIES:
        for path in sorted((FIXTURES / directory).glob("*.json")):
            recording = Recording.load(path)
            body = recording.request_body
            if recording.status != 200 or not isinstance(body, dict) \
                    or "embeddings" in recording.request_path:
                continue
            if "api.openai.com" not in recording.request["url"] and "azure" not in recording.request["url"]:
                continue  # OpenRouter's and xAI's servers in the Responses format
            if encoding_name("openai", str(body.get("model"))) is None:
                continue  # another family's model on Azure
            if _reported_input(recording) is not None:
                out.append(recording)
    return out


RECORDINGS = _chat_recordings()
OPENAI = {"openai": {"api_key": "sk-test"}, "azure": {"api_key": "k"}}


def _estimate(recording: Recording) -> Any:
    request = read_request(recording.request["url"], recording.request_body)
    provider = "azure" if "azure" in str(recording.path) else "openai"
    with Client(config_file=False, env={}, providers=OPENAI) as client:
        return client.estimate(f"{provider}/{recording.request_body['model']}", list(request.messages),
                               **request.options()), request


def test_the_openai_recordings_are_found() -> None:
    assert len(RECORDINGS) >= 15


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: f"{r.path.parent.name}/{r.path.stem}")
def test_the_count_is_the_reported_prompt_tokens(recording: Recording) -> None:
    estimate, request = _estimate(recording)
    reported = _reported_input(recording)
    assert reported is not None
    text_only = not request.tools and all(isinstance(p, TextPart) for m in request.messages for p in m.parts)
    if text_only:
        assert estimate.tokenizer in ("o200k_base", "cl100k_base")
        assert not estimate.estimated
        slack = 1 if recording.request_body["model"].startswith("gpt-5") else 0
        assert reported <= estimate.input_tokens <= reported + slack
    else:
        assert estimate.estimated
        assert estimate.input_tokens >= reported
