"""The declarative differences between OpenAI-compatible servers, one flag each."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from modelplex.errors import ConfigurationError

#: ``vectors.FLOAT``, OpenAI's default (test_compat_embeddings.py checks they agree): a profile keeping
#: it does not import the packings, which nothing needs before the first embedding.
FLOAT = "float"

_OPTION_NAMES = frozenset({"temperature", "top_p", "max_tokens", "stop", "seed", "response_format",
                           "parallel_tool_calls", "reasoning_effort"})


def _encodings() -> frozenset[str]:
    from modelplex_openai_compat.vectors import ENCODINGS

    return ENCODINGS


def _fields(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What one server accepts and how it answers. The defaults describe OpenAI's Chat Completions.

    :param supports_tool_choice_required: takes ``tool_choice: "required"``; if not, ``"auto"`` is
        sent with a warning.
    :param supports_parallel_tool_calls: takes the ``parallel_tool_calls`` setting.
    :param supports_strict_tools: takes ``strict`` on function definitions.
    :param stream_usage: takes ``stream_options: {"include_usage": true}``. Whatever this says, a
        stream that ends without usage gets an estimate marked ``estimated=True``.
    :param reasoning_fields: message and delta fields that carry reasoning (``reasoning_content``
        for DeepSeek, ``reasoning`` for Groq and Ollama); the first is the one sent back.
    :param think_tags: reasoning arrives inline in the content, between ``<think>`` and
        ``</think>``.
    :param send_reasoning_back: the server wants its own earlier reasoning back in assistant
        messages (DeepSeek's thinking mode with tools). Reasoning from another provider or model is
        never sent.
    :param max_tool_name_length: longer tool names raise :class:`~modelplex.errors.ToolSchemaError`.
    :param max_tokens_field: ``max_tokens`` or ``max_completion_tokens`` (OpenAI's current name).
    :param supports_images: takes ``image_url`` parts in user messages.
    :param supports_json_object: takes ``response_format: {"type": "json_object"}``.
    :param supports_json_schema: takes ``response_format: {"type": "json_schema", ...}``.
    :param unsupported_options: chat options the server rejects (``"seed"``, ``"stop"``, ...): they
        are left out with a warning.
    :param tool_result_name: send the tool's ``name`` on ``role: tool`` messages.
    :param embedding_batch_size: the most inputs one ``/embeddings`` request takes.
    :param embedding_encoding: how the server packs vectors when a request sends no
        ``encoding_format``: ``"float"`` (JSON numbers, OpenAI's default), ``"base64"``
        (little-endian float32), ``"base64_int8"`` (Perplexity's default) or ``"base64_binary"``.
        Replies do not say, so a base64 vector from a server said to answer ``"float"`` is a
        :class:`~modelplex.errors.ResponseParseError`, not a guess.
    :param supports_embeddings: serves ``/embeddings``.
    :param supports_list_models: serves ``/models``.
    :param reasoning_in_completion: whether ``completion_tokens_details.reasoning_tokens`` is part of
        ``completion_tokens`` (OpenAI, DeepSeek: ``True``) or counted beside it (xAI: ``False``,
        ``total_tokens = prompt + completion + reasoning``). ``None`` decides each reply from the
        ``total_tokens`` it reports, and warns when neither convention adds up.
    """

    supports_tool_choice_required: bool = True
    supports_parallel_tool_calls: bool = True
    supports_strict_tools: bool = True
    stream_usage: bool = True
    reasoning_fields: tuple[str, ...] = ("reasoning_content", "reasoning")  # or one name, as a str
    think_tags: bool = False
    send_reasoning_back: bool = False
    max_tool_name_length: int = 64
    max_tokens_field: str = "max_tokens"
    supports_images: bool = True
    supports_json_object: bool = True
    supports_json_schema: bool = True
    unsupported_options: frozenset[str] = frozenset()  # any iterable of option names
    tool_result_name: bool = False
    embedding_batch_size: int = 2048
    embedding_encoding: str = FLOAT
    supports_embeddings: bool = True
    supports_list_models: bool = True
    reasoning_in_completion: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reasoning_fields", _fields(self.reasoning_fields))
        object.__setattr__(self, "unsupported_options", _names(self.unsupported_options))
        unknown = self.unsupported_options - _OPTION_NAMES
        if unknown:
            raise ValueError(f"Profile.unsupported_options: unknown option(s) {sorted(unknown)}; "
                             f"known: {sorted(_OPTION_NAMES)}")
        if self.max_tool_name_length < 1 or self.embedding_batch_size < 1:
            raise ValueError("Profile: max_tool_name_length and embedding_batch_size must be >= 1")
        if self.embedding_encoding != FLOAT and self.embedding_encoding not in _encodings():
            raise ValueError(f"Profile.embedding_encoding: unknown encoding {self.embedding_encoding!r}; "
                             f"known: {sorted(_encodings())}")

    @property
    def reasoning_field(self) -> str | None:
        """The field reasoning is sent back in, if any."""
        return self.reasoning_fields[0] if self.reasoning_fields else None

    def updated(self, overrides: Mapping[str, Any], *, provider: str = "") -> Profile:
        """This profile with ``overrides`` applied (a ``[providers.NAME.profile]`` config table).

        Unknown flags and values of the wrong type are a :class:`ConfigurationError`, not ignored.
        """
        where = f"provider {provider!r}: " if provider else ""
        if not isinstance(overrides, Mapping):
            raise ConfigurationError(f"{where}'profile' must be a table of flags")
        fields = {f.name: f for f in dataclasses.fields(Profile)}
        values: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in fields:
                raise ConfigurationError(f"{where}unknown profile flag {key!r}; known: "
                                         f"{', '.join(sorted(fields))}")
            default = fields[key].default
            if key == "reasoning_in_completion" and not isinstance(value, bool):
                # TOML has no null: leaving the flag out is how a config says "decide from totals".
                raise ConfigurationError(f"{where}profile flag {key!r} must be true or false")
            if isinstance(default, bool) and not isinstance(value, bool):
                raise ConfigurationError(f"{where}profile flag {key!r} must be true or false")
            if isinstance(default, int) and not isinstance(default, bool) and (
                    isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigurationError(f"{where}profile flag {key!r} must be an integer")
            if isinstance(default, str) and not isinstance(value, str):
                raise ConfigurationError(f"{where}profile flag {key!r} must be a string")
            if isinstance(default, tuple | frozenset) and not (
                    isinstance(value, str) or (isinstance(value, list | tuple)
                                               and all(isinstance(v, str) for v in value))):
                raise ConfigurationError(f"{where}profile flag {key!r} must be a list of strings")
            values[key] = value
        try:
            return dataclasses.replace(self, **values)
        except ValueError as exc:
            raise ConfigurationError(f"{where}{exc}") from None
