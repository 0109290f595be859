"""Modelplex: one interface to every LLM provider, each provider a plugin found through entry points."""

from contextlib import suppress as _suppress

from attrs import resolve_types as _resolve_types

from modelplex._catalog import Capabilities, ModelInfo, Prices
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
from modelplex._responses import ChatResponse, FinishReason, ProviderWarning, Usage
from modelplex._secret import Secret
from modelplex._serde import structure, unstructure
from modelplex._stream import ChatStream
from modelplex._stream import parse_arguments as parse_tool_arguments
from modelplex._sync import Client, SyncChatStream
from modelplex._tools import Tool, ToolChoice
from modelplex.errors import ModelplexError

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "Capabilities",
    "ChatOptions",
    "ChatRequest",
    "ChatResponse",
    "ChatStream",
    "Client",
    "EmbedRequest",
    "EmbedResponse",
    "FinishReason",
    "Finished",
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
    "ReasoningDelta",
    "ReasoningPart",
    "Registry",
    "ResponseFormat",
    "ResponseStarted",
    "Secret",
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

# Objects show `modelplex.X`, not the private module they live in. Annotations are resolved first,
# against the modules that define them, since renaming the module would hide their names.
for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__attrs_attrs__"):
        _resolve_types(_obj)
    if getattr(_obj, "__module__", "").startswith("modelplex._"):
        with _suppress(AttributeError, TypeError):
            _obj.__module__ = "modelplex"
del _name, _obj, _resolve_types, _suppress
