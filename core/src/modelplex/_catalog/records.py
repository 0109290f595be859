"""The catalog's records: what is known of one model. ``None`` is unknown, never zero or false."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

import attrs

from modelplex._tuples import as_tuple

Tier = Literal["flagship", "standard", "fast", "local"]
TIERS: tuple[Tier, ...] = ("flagship", "standard", "fast", "local")
# Where a fact about a model came from, as ``modelplex models show`` tells it.
Source = Literal["catalog", "live", "override"]


def _money(value: Decimal | int | str | None) -> Decimal | None:
    # A float price would carry its binary error into every sum; strings and ints are exact.
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a price must be a Decimal, int, str or None, not {type(value).__name__}")
    return Decimal(value)


def _optional_tuple(items: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if items is None else as_tuple(items)


@attrs.frozen(kw_only=True)
class PriceTier:
    """Prices that replace the base ones for the *whole* request once its input exceeds ``above``
    tokens (Gemini 1.5 Pro past 128k, Claude Sonnet 4.5 past 200k). A bucket left ``None`` here keeps
    the base price."""

    above: int
    input: Decimal | None = attrs.field(default=None, converter=_money)
    cache_read: Decimal | None = attrs.field(default=None, converter=_money)
    cache_write: Decimal | None = attrs.field(default=None, converter=_money)
    cache_write_1h: Decimal | None = attrs.field(default=None, converter=_money)
    output: Decimal | None = attrs.field(default=None, converter=_money)
    reasoning: Decimal | None = attrs.field(default=None, converter=_money)


@attrs.frozen(kw_only=True)
class Prices:
    """US dollars per **million** tokens, per usage bucket (:class:`~modelplex.Usage`'s buckets).

    ``None`` is unknown, never zero: a call with tokens in a bucket whose price is unknown has an
    unknown cost for that bucket. Two buckets are the exception, because every provider bills them so
    unless it says otherwise: ``reasoning`` left ``None`` is billed at the ``output`` price, and
    ``cache_write_1h`` left ``None`` at the ``cache_write`` price. ``tiers`` re-price the whole request
    past a number of input tokens, lowest threshold first. ``effective`` is the date from which these
    prices apply and ``source`` where they were read (a URL, or ``genai-prices 0.2.3``): every price in
    the bundled catalog has both. A local model costs nothing: its prices are ``Decimal(0)``, stated.
    """

    input: Decimal | None = attrs.field(default=None, converter=_money)
    cache_read: Decimal | None = attrs.field(default=None, converter=_money)
    cache_write: Decimal | None = attrs.field(default=None, converter=_money)
    cache_write_1h: Decimal | None = attrs.field(default=None, converter=_money)
    output: Decimal | None = attrs.field(default=None, converter=_money)
    reasoning: Decimal | None = attrs.field(default=None, converter=_money)
    tiers: tuple[PriceTier, ...] = attrs.field(default=(), converter=as_tuple)
    effective: datetime.date | None = None
    source: str | None = None
    currency: str = "USD"

    @property
    def known(self) -> bool:
        """Whether at least input and output are priced."""
        return self.input is not None and self.output is not None


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
    """One model as Modelplex knows it: from the bundled catalog, the provider's live listing and the
    user's overrides, merged (see ``sources``).

    ``id`` is the provider's model id and ``provider`` the configured provider name, so ``address`` is
    what a user types. ``context_window`` is the input and output together; ``max_input`` and
    ``max_output`` are the limits of each, kept apart (``max_input`` ``None`` means the window less the
    output). ``modalities`` are what the model takes in and gives back (``text``, ``image``, ``audio``,
    ``pdf``, ``embedding``). ``local`` is true for a model that runs on this machine (nothing leaves
    it); ``retention`` the provider's data-retention note for a remote one. ``aliases`` are other names
    that resolve to this model (``claude-sonnet-4-5`` for ``claude-sonnet-4-5-20250929``).
    ``sources`` maps a field's name to where its value came from (``catalog``, ``live``,
    ``override``); it is not part of ``==``.
    """

    id: str
    provider: str
    name: str | None = None
    tier: Tier | None = None
    context_window: int | None = None
    max_input: int | None = None
    max_output: int | None = None
    input_modalities: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    output_modalities: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    prices: Prices = attrs.field(factory=Prices)
    capabilities: Capabilities = attrs.field(factory=Capabilities)
    local: bool = False
    retention: str | None = None
    aliases: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    sources: Mapping[str, Source] = attrs.field(factory=dict, eq=False)

    @property
    def address(self) -> str:
        """How a user names this model: ``provider/model``."""
        return f"{self.provider}/{self.id}"
