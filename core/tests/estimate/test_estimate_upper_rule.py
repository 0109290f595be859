"""The character rule leans up: on every kind of text a prompt holds it counts at least the tokens
OpenAI's tokenizers make of it (the ground truth at hand), and not wildly more for prose."""

from __future__ import annotations

import base64
import random
import uuid
from pathlib import Path

import pytest

from modelplex._catalog.estimate import upper_tokens
from modelplex._catalog.tokenizers import encoder

ROOT = Path(__file__).resolve().parents[3]
_rng = random.Random(7)
SAMPLES = {
    "english prose": (ROOT / "README.md").read_text(encoding="utf-8"),
    "python code": (ROOT / "core/src/modelplex/_client.py").read_text(encoding="utf-8"),
    "json": (ROOT / "plugins/anthropic/tests/fixtures/02_parallel_tool_use.json").read_text(encoding="utf-8"),
    "uuids": " ".join(str(uuid.UUID(int=_rng.getrandbits(128))) for _ in range(200)),
    "hex digests": " ".join(f"{_rng.getrandbits(128):032x}" for _ in range(200)),
    "base64": base64.b64encode(_rng.randbytes(3000)).decode(),
    "numbers": " ".join(str(_rng.randint(0, 10**9)) for _ in range(500)),
    "chinese": "模型复用器为每个大型语言模型提供统一接口\uff0c每个提供者都是一个插件。" * 50,
    "german": "Die Überprüfung der Rechnungsstellung ergab Unstimmigkeiten bei den "
              "Zahlungsbedingungen. " * 40,
    "emoji": "🙂🚀✨👍🏽" * 200,
    "camel case": "parseHTTPResponseHeaderV2 getUserAccountID2FA " * 100,
}


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_the_rule_is_never_below_the_tokenizer(name: str, encoding: str) -> None:
    enc = encoder(encoding)
    assert enc is not None
    text = SAMPLES[name]
    assert upper_tokens(text) >= len(enc.encode_ordinary(text))


def test_prose_is_counted_about_one_and_a_half_times() -> None:
    enc = encoder("o200k_base")
    assert enc is not None
    text = SAMPLES["english prose"]
    assert 1.2 <= upper_tokens(text) / len(enc.encode_ordinary(text)) <= 1.8


def test_a_question_mark_is_not_taken_for_a_non_ascii_character() -> None:
    assert upper_tokens("???") == 1 and upper_tokens("é") == 1 and upper_tokens("🙂") == 3
    assert upper_tokens("") == 0
