"""The Ollama provider for Modelplex, on Ollama's native API.

The plugin module is :mod:`modelplex_ollama.plugin`; model management (pull, list, show, remove,
update) is :class:`modelplex_ollama.manage.OllamaManager`. Names load on first use, so discovering the
plugin imports no HTTP library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex._lazy import lazy_exports

if TYPE_CHECKING:
    from modelplex_ollama.errors import ModelCapabilityError
    from modelplex_ollama.manage import OllamaManager
    from modelplex_ollama.records import (
        LocalModel,
        ModelDetails,
        PullProgress,
        RunningModel,
        UpdateResult,
    )
    from modelplex_ollama.tools import OllamaToolCodec

__version__ = "0.1.0"

_WHERE = {
    "LocalModel": "records",
    "ModelCapabilityError": "errors",
    "ModelDetails": "records",
    "OllamaManager": "manage",
    "OllamaToolCodec": "tools",
    "PullProgress": "records",
    "RunningModel": "records",
    "UpdateResult": "records",
}

__all__ = [
    "LocalModel",
    "ModelCapabilityError",
    "ModelDetails",
    "OllamaManager",
    "OllamaToolCodec",
    "PullProgress",
    "RunningModel",
    "UpdateResult",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
