"""Modelplex: one interface to every LLM provider, each provider a plugin found through entry points.

The names below load on first use (``import modelplex`` imports almost nothing), so that a program
pays at import only for what it uses. ``__all__`` lists them all; ``dir(modelplex)`` shows them too.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelplex._catalog import Capabilities, ModelInfo, Prices
    from modelplex._chains import Chain, ChainEntry
    from modelplex._client import AsyncClient
    from modelplex._codec import ToolCodec
    from modelplex._embeddings import EmbedRequest, EmbedResponse
    from modelplex._events import (
        Finished,
        ReasoningDelta,
        ResponseStarted,
        StreamEvent,
        TextDelta,
        ToolCallDelta,
        ToolCallEnded,
        ToolCallStarted,
        UsageReported,
        WarningRaised,
    )
    from modelplex._health import HealthStatus
    from modelplex._logging import redact_secrets
    from modelplex._messages import (
        ImagePart,
        Message,
        Origin,
        Part,
        ReasoningPart,
        TextPart,
        ToolCallPart,
        ToolResultPart,
    )
    from modelplex._options import ChatOptions, ChatRequest, ResponseFormat
    from modelplex._plugins import PluginFailure, PluginRecord, Registry
    from modelplex._provider import ProviderContext, ProviderInfo, ProviderSettings
    from modelplex._ratelimit import RateLimits
    from modelplex._responses import ChatResponse, FinishReason, ProviderWarning, Usage
    from modelplex._retry import RoutingPolicy
    from modelplex._secret import Secret, SecretHeaders
    from modelplex._serde import structure, unstructure
    from modelplex._stream import ChatStream
    from modelplex._stream import parse_arguments as parse_tool_arguments
    from modelplex._sync import Client, SyncChatStream
    from modelplex._tools import Tool, ToolChoice
    from modelplex._trace import RouteAttempt, RouteSkip, RoutingTrace
    from modelplex.errors import ModelplexError

__version__ = "0.1.0"

# Where each public name lives: (module, name there).
_WHERE: dict[str, tuple[str, str]] = {
    "AsyncClient": ("_client", "AsyncClient"),
    "Capabilities": ("_catalog", "Capabilities"),
    "Chain": ("_chains", "Chain"),
    "ChainEntry": ("_chains", "ChainEntry"),
    "ChatOptions": ("_options", "ChatOptions"),
    "ChatRequest": ("_options", "ChatRequest"),
    "ChatResponse": ("_responses", "ChatResponse"),
    "ChatStream": ("_stream", "ChatStream"),
    "Client": ("_sync", "Client"),
    "EmbedRequest": ("_embeddings", "EmbedRequest"),
    "EmbedResponse": ("_embeddings", "EmbedResponse"),
    "FinishReason": ("_responses", "FinishReason"),
    "Finished": ("_events", "Finished"),
    "HealthStatus": ("_health", "HealthStatus"),
    "ImagePart": ("_messages", "ImagePart"),
    "Message": ("_messages", "Message"),
    "ModelInfo": ("_catalog", "ModelInfo"),
    "ModelplexError": ("errors", "ModelplexError"),
    "Origin": ("_messages", "Origin"),
    "Part": ("_messages", "Part"),
    "PluginFailure": ("_plugins", "PluginFailure"),
    "PluginRecord": ("_plugins", "PluginRecord"),
    "Prices": ("_catalog", "Prices"),
    "ProviderContext": ("_provider", "ProviderContext"),
    "ProviderInfo": ("_provider", "ProviderInfo"),
    "ProviderSettings": ("_provider", "ProviderSettings"),
    "ProviderWarning": ("_responses", "ProviderWarning"),
    "RateLimits": ("_ratelimit", "RateLimits"),
    "ReasoningDelta": ("_events", "ReasoningDelta"),
    "ReasoningPart": ("_messages", "ReasoningPart"),
    "Registry": ("_plugins", "Registry"),
    "ResponseFormat": ("_options", "ResponseFormat"),
    "ResponseStarted": ("_events", "ResponseStarted"),
    "RouteAttempt": ("_trace", "RouteAttempt"),
    "RouteSkip": ("_trace", "RouteSkip"),
    "RoutingPolicy": ("_retry", "RoutingPolicy"),
    "RoutingTrace": ("_trace", "RoutingTrace"),
    "Secret": ("_secret", "Secret"),
    "SecretHeaders": ("_secret", "SecretHeaders"),
    "StreamEvent": ("_events", "StreamEvent"),
    "SyncChatStream": ("_sync", "SyncChatStream"),
    "TextDelta": ("_events", "TextDelta"),
    "TextPart": ("_messages", "TextPart"),
    "Tool": ("_tools", "Tool"),
    "ToolCallDelta": ("_events", "ToolCallDelta"),
    "ToolCallEnded": ("_events", "ToolCallEnded"),
    "ToolCallPart": ("_messages", "ToolCallPart"),
    "ToolCallStarted": ("_events", "ToolCallStarted"),
    "ToolChoice": ("_tools", "ToolChoice"),
    "ToolCodec": ("_codec", "ToolCodec"),
    "ToolResultPart": ("_messages", "ToolResultPart"),
    "Usage": ("_responses", "Usage"),
    "UsageReported": ("_events", "UsageReported"),
    "WarningRaised": ("_events", "WarningRaised"),
    "parse_tool_arguments": ("_stream", "parse_arguments"),
    "redact_secrets": ("_logging", "redact_secrets"),
    "structure": ("_serde", "structure"),
    "unstructure": ("_serde", "unstructure"),
}

__all__ = [
    "AsyncClient",
    "Capabilities",
    "Chain",
    "ChainEntry",
    "ChatOptions",
    "ChatRequest",
    "ChatResponse",
    "ChatStream",
    "Client",
    "EmbedRequest",
    "EmbedResponse",
    "FinishReason",
    "Finished",
    "HealthStatus",
    "ImagePart",
    "Message",
    "ModelInfo",
    "ModelplexError",
    "Origin",
    "Part",
    "PluginFailure",
    "PluginRecord",
    "Prices",
    "ProviderContext",
    "ProviderInfo",
    "ProviderSettings",
    "ProviderWarning",
    "RateLimits",
    "ReasoningDelta",
    "ReasoningPart",
    "Registry",
    "ResponseFormat",
    "ResponseStarted",
    "RouteAttempt",
    "RouteSkip",
    "RoutingPolicy",
    "RoutingTrace",
    "Secret",
    "SecretHeaders",
    "StreamEvent",
    "SyncChatStream",
    "TextDelta",
    "TextPart",
    "Tool",
    "ToolCallDelta",
    "ToolCallEnded",
    "ToolCallPart",
    "ToolCallStarted",
    "ToolChoice",
    "ToolCodec",
    "ToolResultPart",
    "Usage",
    "UsageReported",
    "WarningRaised",
    "parse_tool_arguments",
    "redact_secrets",
    "structure",
    "unstructure",
]


def _publish(module: str) -> None:
    """Objects show ``modelplex.X``, not the private module they live in: done for every public name
    of ``module`` when the first of them is asked for. Annotations are resolved first, against the
    module that defines them, since renaming the module would hide their names."""
    from attrs import resolve_types

    source = importlib.import_module(f"modelplex.{module}")
    for name, (where, attr) in _WHERE.items():
        if where != module:
            continue
        obj = getattr(source, attr)
        if hasattr(obj, "__attrs_attrs__"):
            resolve_types(obj)
        if getattr(obj, "__module__", "").startswith("modelplex._"):
            with contextlib.suppress(AttributeError, TypeError):
                obj.__module__ = "modelplex"
        globals()[name] = obj


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'modelplex' has no attribute {name!r}")
    _publish(where[0])
    return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
