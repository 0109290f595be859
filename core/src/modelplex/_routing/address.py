"""Addresses: ``provider/model`` split in two."""

from __future__ import annotations

from modelplex.errors import UnknownModelError


def split_model(address: str) -> tuple[str, str]:
    """``"together/meta-llama/Llama-3:8b"`` -> ``("together", "meta-llama/Llama-3:8b")``."""
    provider, sep, model = address.partition("/")
    if not sep or not provider or not model:
        raise UnknownModelError(f"model {address!r} must be addressed as 'provider/model' (or "
                                "'chain/NAME'), for example 'openai/gpt-4o-mini'", model=address)
    return provider, model
