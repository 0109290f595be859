"""What a call cost: an amount per usage bucket, their total, and how sure that is."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Final, Literal

import attrs

from modelplex._catalog.records import _money

CostStatus = Literal["exact", "estimated", "unknown"]
BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
_RANK = {"exact": 0, "estimated": 1, "unknown": 2}

#: The context money is computed in, given to each operation rather than the running thread's or task's
#: (``decimal.getcontext()``): an application's own precision, rounding or traps (``prec=4``, ``Inexact``
#: trapped) must not round a cost or fail a call; and a task with no decimal context yet (each request a
#: server handles, each of ``asyncio.gather``'s) would be made one on every call, a ``Context`` and two
#: dicts kept as long as the task. A hundred digits: a price times a count of tokens is exact.
MONEY: Final = Context(prec=100, rounding=ROUND_HALF_EVEN, Emin=-999_999, Emax=999_999, capitals=1, clamp=0,
                       flags=[], traps=[InvalidOperation, DivisionByZero, Overflow])
_add = MONEY.add
#: Nothing, made once (the constructor, too, takes the current context): the pricing's every bucket of
#: no tokens is this object, which the usage store writes without formatting it.
ZERO: Final = Decimal(0)


def _sum(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else _add(a, b)


@attrs.frozen(kw_only=True)
class Cost:
    """US dollars per usage bucket (``None``: tokens in that bucket at an unknown price; ``0`` for a
    bucket with no tokens) and their ``total``, derived, never stored beside them.

    ``status``: ``exact`` (usage the provider counted, priced from known prices), ``estimated`` (some
    usage was estimated, :attr:`Usage.estimated`), ``unknown`` (some price is unknown: ``total`` is
    ``None``, never zero). ``price_version`` names the prices used (``catalog:<effective date>`` or
    ``override``), ``None`` when there were none. ``reported`` is what the provider said it charged,
    kept beside ours (a warning says when they differ). ``partial`` is true for a stream cut or
    cancelled, priced from the usage seen so far.
    """

    input: Decimal | None = attrs.field(default=None, converter=_money)
    cache_read: Decimal | None = attrs.field(default=None, converter=_money)
    cache_write: Decimal | None = attrs.field(default=None, converter=_money)
    cache_write_1h: Decimal | None = attrs.field(default=None, converter=_money)
    output: Decimal | None = attrs.field(default=None, converter=_money)
    reasoning: Decimal | None = attrs.field(default=None, converter=_money)
    status: CostStatus = "unknown"
    price_version: str | None = None
    reported: Decimal | None = attrs.field(default=None, converter=_money)
    partial: bool = False
    currency: str = "USD"

    @property
    def total(self) -> Decimal | None:
        """The sum of the buckets; ``None`` when any bucket is unknown."""
        total = ZERO
        for name in BUCKETS:
            amount = getattr(self, name)
            if amount is None:
                return None
            total = _add(total, amount)
        return total

    def __add__(self, other: Cost) -> Cost:
        """Costs of two calls together: unknown if either is, the less certain status of the two."""
        status = self.status if _RANK[self.status] >= _RANK[other.status] else other.status
        version = self.price_version if self.price_version == other.price_version else None
        reported = _sum(self.reported, other.reported)
        return Cost(**{name: _sum(getattr(self, name), getattr(other, name)) for name in BUCKETS},
                    status=status, price_version=version, reported=reported,
                    partial=self.partial or other.partial, currency=self.currency)
