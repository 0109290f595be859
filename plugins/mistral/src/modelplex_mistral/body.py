"""Mistral's request body: the shared one, with ``seed`` under Mistral's name ``random_seed``."""

from __future__ import annotations

from typing import Any

from modelplex_openai_compat import Call
from modelplex_openai_compat import build_body as build_compat

from modelplex import ProviderWarning


def build_body(call: Call, messages: list[dict[str, Any]]) -> tuple[dict[str, Any],
                                                                    list[ProviderWarning]]:
    """The shared body; a seed travels as ``random_seed`` (Mistral refuses ``seed``)."""
    body, warnings = build_compat(call, messages)
    if "seed" in body and "seed" not in call.request.options.extra:
        body["random_seed"] = body.pop("seed")
    return body, warnings
