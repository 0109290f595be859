"""The cost engine: a :class:`~modelplex.Usage` priced with :class:`~modelplex.Prices`, in ``Decimal``.

Rules (one place, so that a response, a stream, an estimate and the usage store all price alike):

* prices are per million tokens; each bucket's amount is ``tokens * price / 10**6``, exactly (``Decimal``
  with the default 28 digits is exact for any real price and token count);
* long-context tiers re-price the *whole* request once its input (:attr:`Usage.total_input`: uncached,
  cache reads and cache writes) exceeds a tier's ``above`` (strictly: exactly ``above`` tokens keeps the
  base prices); the highest such tier applies, and a bucket the tier leaves ``None`` keeps the base price;
* ``reasoning`` unpriced is billed at the ``output`` price, ``cache_write_1h`` unpriced at the
  ``cache_write`` price (after the tier is applied, so a tier's output price reaches reasoning too);
* a bucket with no tokens costs ``0``; a bucket with tokens at an unknown price is ``None``, and so are
  the total and the status (``unknown``), never ``0``; no prices at all is the same, bucket by bucket;
* an estimated usage makes an ``estimated`` cost; an estimated usage of no tokens at all is a usage
  nobody counted (a stream that ended without a count), so its input and output are unknown, not free.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Final

from modelplex._catalog.cost import MONEY, ZERO, Cost, CostStatus

if TYPE_CHECKING:
    from modelplex._catalog.records import ModelInfo, Prices, PriceTier
    from modelplex._responses import Usage

_MILLION: Final = Decimal(1_000_000)
_UNRATED: Final[tuple[Decimal | None, ...]] = (None,) * 6
_new = object.__new__
_set = object.__setattr__
_multiply = MONEY.multiply


class Rates:
    """One model's prices made ready to apply: per token, per bucket (in :data:`BUCKETS`' order), with
    the fallbacks resolved, for the base prices and for each long-context tier.

    Built once per model (the client keeps one per ``provider``/``model``); :meth:`cost` is then a
    handful of multiplications. ``version`` is the :attr:`Cost.price_version` it stamps.
    """

    __slots__ = ("base", "tiers", "version")

    def __init__(self, prices: Prices | None, version: str | None) -> None:
        # Prices that price nothing (a live model the catalog does not know) are no prices at all.
        if prices is not None and not prices.tiers and all(p is None for p in _given(prices)):
            prices = None
        self.version = version if prices is not None else None
        if prices is None:
            self.base: tuple[Decimal | None, ...] = _UNRATED
            self.tiers: tuple[tuple[int, tuple[Decimal | None, ...]], ...] = ()
            return
        base = _given(prices)
        self.base = _per_token(base)
        tiers = []
        for tier in sorted(prices.tiers, key=lambda t: t.above):
            tiers.append((tier.above, _per_token(tuple(g if g is not None else b
                                                       for g, b in zip(_given(tier), base, strict=True)))))
        self.tiers = tuple(reversed(tiers))  # highest threshold first: the first one exceeded applies

    def cost(self, usage: Usage, partial: bool = False) -> Cost:
        """What ``usage`` cost at these rates (``partial``: a stream cut or cancelled)."""
        rates = self.base
        if self.tiers:
            total_input = usage.input + usage.cache_read + usage.cache_write + usage.cache_write_1h
            for above, tier in self.tiers:
                if total_input > above:
                    rates = tier
                    break
        tokens = (usage.input, usage.cache_read, usage.cache_write, usage.cache_write_1h, usage.output,
                  usage.reasoning)
        status: CostStatus = "estimated" if usage.estimated else "exact"
        amounts: list[Decimal | None] = []
        for count, rate in zip(tokens, rates, strict=True):
            if not count:
                amounts.append(ZERO)
            elif rate is None:
                amounts.append(None)
                status = "unknown"
            else:
                amounts.append(_multiply(rate, count))
        if usage.estimated and not any(tokens):  # nobody counted: unknown, not free
            amounts[0] = amounts[4] = None
            status = "unknown"
        return _cost(amounts, status, self.version, usage.reported_cost, partial)


def _given(prices: Prices | PriceTier) -> tuple[Decimal | None, ...]:
    """The prices as stated, per million tokens, in :data:`BUCKETS`' order."""
    return (prices.input, prices.cache_read, prices.cache_write, prices.cache_write_1h, prices.output,
            prices.reasoning)


def _per_token(prices: tuple[Decimal | None, ...]) -> tuple[Decimal | None, ...]:
    """Per-million prices as per-token ones, the two fallbacks applied (reasoning at the output price,
    one-hour cache writes at the cache-write price)."""
    input_, cache_read, cache_write, cache_write_1h, output, reasoning = (
        None if p is None else MONEY.divide(p, _MILLION) for p in prices)
    if reasoning is None:
        reasoning = output
    if cache_write_1h is None:
        cache_write_1h = cache_write
    return input_, cache_read, cache_write, cache_write_1h, output, reasoning


def _cost(amounts: list[Decimal | None], status: CostStatus, version: str | None, reported: Decimal | None,
          partial: bool) -> Cost:
    """A :class:`Cost` of values already checked (Decimal or None), without ``__init__``'s converters:
    this runs once per call, and the converters would double its cost."""
    cost = _new(Cost)
    _set(cost, "input", amounts[0])
    _set(cost, "cache_read", amounts[1])
    _set(cost, "cache_write", amounts[2])
    _set(cost, "cache_write_1h", amounts[3])
    _set(cost, "output", amounts[4])
    _set(cost, "reasoning", amounts[5])
    _set(cost, "status", status)
    _set(cost, "price_version", version)
    _set(cost, "reported", reported)
    _set(cost, "partial", partial)
    _set(cost, "currency", "USD")
    return cost


def price(usage: Usage, prices: Prices | None, *, partial: bool = False,
          price_version: str | None = None) -> Cost:
    """What ``usage`` cost at ``prices`` (``None``: no prices known; every bucket with tokens unknown).

    ``partial`` marks a stream cut or cancelled, priced from the usage seen so far. ``price_version``
    names the prices (:func:`version_of`), ``None`` to derive it from ``prices`` as catalog prices.
    See the module's docstring for the rules.
    """
    if prices is not None and price_version is None:
        price_version = catalog_version(prices)
    return Rates(prices, price_version).cost(usage, partial)


def catalog_version(prices: Prices) -> str:
    """``catalog:<effective date>`` (``catalog`` alone for prices without one)."""
    return "catalog" if prices.effective is None else f"catalog:{prices.effective.isoformat()}"


def version_of(info: ModelInfo) -> str:
    """The price version of a model's prices: ``override`` when the user's config set them, ``live``
    when the provider's listing said them, else the catalog's (:func:`catalog_version`)."""
    source = info.sources.get("prices")
    if source in ("override", "live"):
        return str(source)
    return catalog_version(info.prices)


def rates_of(info: ModelInfo | None) -> Rates:
    """The :class:`Rates` of a model as the catalog (or an override) knows it; unrated for ``None``."""
    if info is None:
        return Rates(None, None)
    return Rates(info.prices, version_of(info))
