"""Modelplex: one interface to every LLM provider, each provider a plugin found through entry points.

The names below load on first use (``import modelplex`` imports almost nothing), so that a program
pays at import only for what it uses. ``__all__`` lists them all; ``dir(modelplex)`` shows them too.
"""

from __future__ import annotations

from modelplex._httpx_cli import defer as _defer_httpx_cli
from modelplex._lazy import lazy_exports

_defer_httpx_cli()  # httpx's command line (click, rich, pygments) loads when it runs: see _httpx_cli.py

TYPE_CHECKING = False  # not typing's: importing typing would cost this import 4 ms
if TYPE_CHECKING:
    from modelplex._call.admission import AttemptInfo
    from modelplex._call.decision import Decision
    from modelplex._call.lifecycle import CallReservation
    from modelplex._call.records import CallInfo, CallOutcome
    from modelplex._catalog.cost import Cost
    from modelplex._catalog.estimate import Estimate
    from modelplex._catalog.records import Capabilities, ModelInfo, Prices, PriceTier
    from modelplex._chains import Chain, ChainEntry
    from modelplex._citations import Citation, CitationAdded, CitationSource
    from modelplex._client import AsyncClient
    from modelplex._codec import ToolCodec
    from modelplex._conversation import (
        AsyncConversation,
        Conversation,
        ConversationMessage,
        ConversationRecord,
        ConversationStore,
        ConversationSummary,
    )
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
    from modelplex._rerank import RerankRequest, RerankResponse, RerankResult
    from modelplex._responses import ChatResponse, FinishReason, ProviderWarning, Usage
    from modelplex._retry import RoutingPolicy
    from modelplex._secret import Secret, SecretHeaders
    from modelplex._serde import structure, unstructure
    from modelplex._stream import ChatStream
    from modelplex._stream import parse_arguments as parse_tool_arguments
    from modelplex._sync import Client, SyncChatStream
    from modelplex._tools import Tool, ToolChoice
    from modelplex._trace import RouteAttempt, RouteSkip, RoutingTrace
    from modelplex._translate import ExceptionSummary
    from modelplex.errors import ModelplexError

__version__ = "0.1.0"

# Where each public name lives: its module, and the name there where it differs.
_WHERE = {
    "AsyncClient": "_client",
    "AsyncConversation": "_conversation",
    "AttemptInfo": "_call.admission",
    "CallInfo": "_call.records",
    "Decision": "_call.decision",
    "CallOutcome": "_call.records",
    "CallReservation": "_call.lifecycle",
    "Capabilities": "_catalog.records",
    "Chain": "_chains",
    "ChainEntry": "_chains",
    "ChatOptions": "_options",
    "ChatRequest": "_options",
    "ChatResponse": "_responses",
    "ChatStream": "_stream",
    "Citation": "_citations",
    "CitationAdded": "_citations",
    "CitationSource": "_citations",
    "Client": "_sync",
    "Conversation": "_conversation",
    "ConversationMessage": "_conversation",
    "ConversationRecord": "_conversation",
    "ConversationStore": "_conversation",
    "ConversationSummary": "_conversation",
    "Cost": "_catalog.cost",
    "EmbedRequest": "_embeddings",
    "EmbedResponse": "_embeddings",
    "Estimate": "_catalog.estimate",
    "ExceptionSummary": "_translate",
    "FinishReason": "_responses",
    "Finished": "_events",
    "HealthStatus": "_health",
    "ImagePart": "_messages",
    "Message": "_messages",
    "ModelInfo": "_catalog.records",
    "ModelplexError": "errors",
    "Origin": "_messages",
    "Part": "_messages",
    "PluginFailure": "_plugins",
    "PluginRecord": "_plugins",
    "Prices": "_catalog.records",
    "PriceTier": "_catalog.records",
    "ProviderContext": "_provider",
    "ProviderInfo": "_provider",
    "ProviderSettings": "_provider",
    "ProviderWarning": "_responses",
    "RateLimits": "_ratelimit",
    "ReasoningDelta": "_events",
    "ReasoningPart": "_messages",
    "Registry": "_plugins",
    "ResponseFormat": "_options",
    "ResponseStarted": "_events",
    "RouteAttempt": "_trace",
    "RouteSkip": "_trace",
    "RerankRequest": "_rerank",
    "RerankResponse": "_rerank",
    "RerankResult": "_rerank",
    "RoutingPolicy": "_retry",
    "RoutingTrace": "_trace",
    "Secret": "_secret",
    "SecretHeaders": "_secret",
    "StreamEvent": "_events",
    "SyncChatStream": "_sync",
    "TextDelta": "_events",
    "TextPart": "_messages",
    "Tool": "_tools",
    "ToolCallDelta": "_events",
    "ToolCallEnded": "_events",
    "ToolCallPart": "_messages",
    "ToolCallStarted": "_events",
    "ToolChoice": "_tools",
    "ToolCodec": "_codec",
    "ToolResultPart": "_messages",
    "Usage": "_responses",
    "UsageReported": "_events",
    "WarningRaised": "_events",
    "parse_tool_arguments": "_stream:parse_arguments",
    "redact_secrets": "_logging",
    "structure": "_serde",
    "unstructure": "_serde",
}

__all__ = [
    "AsyncClient",
    "AsyncConversation",
    "AttemptInfo",
    "CallInfo",
    "CallOutcome",
    "CallReservation",
    "Capabilities",
    "Chain",
    "ChainEntry",
    "ChatOptions",
    "ChatRequest",
    "ChatResponse",
    "ChatStream",
    "Citation",
    "CitationAdded",
    "CitationSource",
    "Client",
    "Conversation",
    "ConversationMessage",
    "ConversationRecord",
    "ConversationStore",
    "ConversationSummary",
    "Cost",
    "Decision",
    "EmbedRequest",
    "EmbedResponse",
    "Estimate",
    "ExceptionSummary",
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
    "PriceTier",
    "Prices",
    "ProviderContext",
    "ProviderInfo",
    "ProviderSettings",
    "ProviderWarning",
    "RateLimits",
    "ReasoningDelta",
    "ReasoningPart",
    "Registry",
    "RerankRequest",
    "RerankResponse",
    "RerankResult",
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


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, public_module=True)
del TYPE_CHECKING, lazy_exports
