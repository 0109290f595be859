"""How base64 vectors are unpacked: in the layout the request or the profile states, never one guessed
from the byte count; one this library cannot read is refused, naming the provider and the field."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest
from compat_helpers import Harness, json_response
from modelplex_openai_compat import Profile

from modelplex.errors import ConfigurationError, InvalidRequestError, ResponseParseError

# 256 bytes: 256 int8 dimensions, or 64 float32 numbers (what the library once made of them).
INT8 = bytes(range(256))
SIGNED = tuple(float(b - 256 if b > 127 else b) for b in INT8)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _harness(*embeddings: Any, encoding: str | None = None) -> Harness:
    """A provider whose profile table states ``encoding`` (if given), answering ``embeddings``."""
    settings = {"profile": {"embedding_encoding": encoding}} if encoding else {}
    return Harness(settings=settings).reply(json_response(
        {"data": [{"index": i, "embedding": e} for i, e in enumerate(embeddings)]}))


def test_int8_as_the_profile_states_is_one_signed_byte_a_dimension() -> None:
    h = _harness(_b64(INT8), encoding="base64_int8")
    [vector] = h.run(lambda c: c.embed("acme/e-1", "x")).vectors
    assert vector == SIGNED
    assert "encoding_format" not in h.body()  # the server's default is what the profile describes


def test_a_base64_vector_from_a_server_said_to_answer_floats_is_refused_not_guessed() -> None:
    h = _harness(_b64(INT8))
    with pytest.raises(ResponseParseError, match="embedding_encoding") as info:
        h.run(lambda c: c.embed("acme/e-1", "x"))
    assert info.value.field == "data[0].embedding" and info.value.provider == "acme"


def test_the_requests_encoding_format_wins_over_the_profiles_default() -> None:
    floats = _b64(struct.pack("<2f", 0.5, -2.0))
    h = _harness(floats, encoding="base64_int8")
    response = h.run(lambda c: c.embed("acme/e-1", "x", encoding_format="base64"))
    assert response.vectors == ((0.5, -2.0),) and h.body()["encoding_format"] == "base64"
    h = _harness(_b64(b"\x7f\x80"))
    response = h.run(lambda c: c.embed("acme/e-1", "x", encoding_format="base64_int8"))
    assert response.vectors == ((127.0, -128.0),)


def test_packed_bits_are_read_least_significant_first() -> None:
    h = _harness(_b64(b"\x01\x80"))
    response = h.run(lambda c: c.embed("acme/e-1", "x", encoding_format="base64_binary"))
    assert response.vectors == ((1.0, *[0.0] * 14, 1.0),)


def test_numbers_are_read_whatever_was_asked_for() -> None:
    h = _harness([0.25, 1], encoding="base64_int8")  # some servers ignore encoding_format
    assert h.run(lambda c: c.embed("acme/e-1", "x")).vectors == ((0.25, 1.0),)


@pytest.mark.parametrize(("encoding", "embedding", "holds"), [
    ("base64", _b64(b"\x00" * 5), "float32"),  # 5 bytes are no float32 values
    ("base64_int8", "not base64!", "int8"),
])
def test_base64_that_does_not_fit_its_layout_names_the_field(encoding: str, embedding: str,
                                                              holds: str) -> None:
    h = _harness(embedding, encoding=encoding)
    with pytest.raises(ResponseParseError, match=holds) as info:
        h.run(lambda c: c.embed("acme/e-1", "x"))
    assert info.value.field == "data[0].embedding"


def test_an_encoding_this_library_cannot_read_is_refused_before_sending() -> None:
    h = Harness()
    with pytest.raises(InvalidRequestError, match="'ubinary'") as info:
        h.run(lambda c: c.embed("acme/e-1", "x", encoding_format="ubinary"))
    assert info.value.field == "extra.encoding_format" and info.value.provider == "acme"
    assert h.sent == []


def test_an_unknown_encoding_in_a_profile_table_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"acme.*embedding_encoding.*'int4'"):
        Profile().updated({"embedding_encoding": "int4"}, provider="acme")
    assert Profile().updated({"embedding_encoding": "base64_int8"}).embedding_encoding == "base64_int8"


def test_the_profiles_default_encoding_is_the_one_the_vectors_module_reads_as_json_numbers() -> None:
    """profile.py names OpenAI's default itself, so that a profile keeping it needs no import of the
    packings: the two names must stay one."""
    from modelplex_openai_compat import profile, vectors

    assert profile.FLOAT == vectors.FLOAT == Profile().embedding_encoding
    assert Profile(embedding_encoding="base64_int8").embedding_encoding == "base64_int8"
