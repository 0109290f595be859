"""The Messages API's fixed facts: where it is, which version of it we speak, and the wire's names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeAlias

if TYPE_CHECKING:
    from modelplex import ProviderInfo

API_VERSION: Final = "2023-06-01"
"""Sent as ``anthropic-version`` with every request."""

DEFAULT_BASE_URL: Final = "https://api.anthropic.com"
"""Without ``/v1``, as Anthropic's SDKs take ``ANTHROPIC_BASE_URL``."""

API_KEY_ENV: Final = ("ANTHROPIC_API_KEY",)
BASE_URL_ENV: Final = ("ANTHROPIC_BASE_URL",)

MESSAGES_PATH: Final = "/v1/messages"
MODELS_PATH: Final = "/v1/models"
MODELS_PAGE_LIMIT: Final = 1000
"""The most ``/v1/models`` gives in one page."""

MIN_THINKING_BUDGET: Final = 1024
"""The smallest ``thinking.budget_tokens`` the API takes; it must also stay below ``max_tokens``."""

EFFORT_BUDGETS: Final = {"low": 1024, "medium": 4096, "high": 16384}
"""``reasoning_effort`` as a thinking budget (the API takes a budget of tokens, not an effort)."""

FALLBACK_MAX_TOKENS: Final = 4096
"""``max_tokens`` (which the API requires) for a model missing from the bundled table: every Claude
model takes at least this many."""

EPHEMERAL: Final = {"type": "ephemeral"}
"""The ``cache_control`` value that marks a prompt-cache breakpoint."""

THINKING_BLOCKS: Final = frozenset({"thinking", "redacted_thinking"})

Block: TypeAlias = dict[str, Any]
"""One content block as JSON (``{"type": "text", "text": ...}``, ``tool_use``, ``thinking``, ...)."""

WireMessage: TypeAlias = dict[str, Any]
"""``{"role": "user" | "assistant", "content": [Block, ...]}``."""


def info() -> ProviderInfo:
    """What the plugin says about the provider (``modelplex_provider_info``)."""
    from modelplex import ProviderInfo
    from modelplex.hookspecs import SPEC_VERSION

    return ProviderInfo(spec_version=SPEC_VERSION,
                        description="Anthropic: Claude through the Messages API (tools, extended "
                                    "thinking, prompt caching, images)",
                        api_key_env=API_KEY_ENV, base_url_env=BASE_URL_ENV,
                        default_base_url=DEFAULT_BASE_URL,
                        option_ranges={"temperature": (0, 1)}, option_limits={"max_tokens": 128_000},
                        catalog="modelplex_anthropic:models.json")
