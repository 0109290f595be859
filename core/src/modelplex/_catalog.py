"""What is known about a model: limits, prices and capabilities."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Prices:
    """US dollars per million tokens, per usage bucket. ``None`` is unknown, never zero."""

    input: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None
    output: float | None = None
    reasoning: float | None = None


@attrs.frozen(kw_only=True)
class Capabilities:
    """``None`` means not known; ``False`` means known not to."""

    chat: bool | None = None
    streaming: bool | None = None
    tools: bool | None = None
    parallel_tool_calls: bool | None = None
    vision: bool | None = None
    json_schema: bool | None = None
    reasoning: bool | None = None
    embeddings: bool | None = None


@attrs.frozen(kw_only=True)
class ModelInfo:
    id: str
    provider: str
    name: str | None = None
    context_window: int | None = None
    max_output: int | None = None
    prices: Prices = attrs.field(factory=Prices)
    capabilities: Capabilities = attrs.field(factory=Capabilities)
    local: bool = False

    @property
    def address(self) -> str:
        """How a user names this model: ``provider/model``."""
        return f"{self.provider}/{self.id}"
