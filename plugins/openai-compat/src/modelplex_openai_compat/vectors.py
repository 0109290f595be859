"""How ``/embeddings`` vectors travel: JSON numbers, or base64 of packed values.

The reply never says how its base64 is packed, and byte counts cannot tell (1,024 int8 values are
256 float32 ones), so the layout is what the request asked for (its ``encoding_format``) or, when it
asked for nothing, the server's default that the profile states (``embedding_encoding``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import attrs


def _float32(raw: bytes) -> list[float] | None:
    if len(raw) % 4:
        return None
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def _int8(raw: bytes) -> list[float]:
    return [float(x) for x in struct.unpack(f"{len(raw)}b", raw)]


def _bits(raw: bytes) -> list[float]:
    return [float(byte >> bit & 1) for byte in raw for bit in range(8)]


@attrs.frozen(kw_only=True)
class Packing:
    """One base64 layout: what it holds (said in errors) and how its bytes become a vector
    (``None`` when they cannot be one)."""

    holds: str
    unpack: Callable[[bytes], list[float] | None]


FLOAT = "float"
"""JSON numbers: OpenAI's default, and what a server sends when asked for nothing else."""

PACKINGS: dict[str, Packing] = {
    # OpenAI's "base64", which its SDKs ask for by default.
    "base64": Packing(holds="little-endian float32 values", unpack=_float32),
    # Perplexity's default (docs.perplexity.ai, embeddings API reference): one signed byte a
    # dimension, returned as floats from -128 to 127, which cosine similarity compares as they are.
    "base64_int8": Packing(holds="signed int8 values", unpack=_int8),
    # Perplexity's 1 bit a dimension, least significant bit first: 0.0 or 1.0 each, which L1
    # distance compares as the Hamming distance Perplexity says to use.
    "base64_binary": Packing(holds="bits, least significant first", unpack=_bits),
}

ENCODINGS = frozenset({FLOAT, *PACKINGS})
"""Every ``encoding_format`` this library reads."""
