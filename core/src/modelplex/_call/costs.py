"""Where the call path prices what came back: one :class:`Costs` per client, the prices of each
``provider``/``model`` looked up once and kept as :class:`~modelplex._catalog.pricing.Rates`.

A response gets its ``cost`` as the client hands it over (``docs/benchmarks.md``: about 1.5 µs a call
once the model's prices are looked up; the first call of a model reads the catalog). A price lookup that
fails (a plugin's bad catalog file) is logged and prices the call as unknown: it never fails a call that
succeeded.
"""

from __future__ import annotations

import weakref
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from modelplex._catalog.cost import MONEY
from modelplex._catalog.pricing import Rates, rates_of
from modelplex._logging import log

if TYPE_CHECKING:
    from modelplex._catalog.cost import Cost
    from modelplex._catalog.records import ModelInfo
    from modelplex._client import AsyncClient
    from modelplex._responses import ProviderWarning, Usage

#: Ours and the provider's figure may differ by this much before a ``cost-mismatch`` warning: a
#: millionth of a dollar (providers round what they report), or 1% of what the provider reported (its
#: price table and ours may be a few days apart), whichever is larger.
MISMATCH_ABSOLUTE: Final = Decimal("0.000001")
MISMATCH_RELATIVE: Final = Decimal("0.01")

_UNRATED: Final = Rates(None, None)
_BY_CLIENT: weakref.WeakKeyDictionary[AsyncClient, Costs] = weakref.WeakKeyDictionary()


def costs(client: AsyncClient) -> Costs:
    """``client``'s :class:`Costs`, made on first use."""
    found = _BY_CLIENT.get(client)
    if found is None:
        found = _BY_CLIENT[client] = Costs(client)
    return found


class Costs:
    """The pricing of one client's calls.

    Prices are looked up once per ``provider``/``model``: the catalog and the user's overrides do not
    change while the client runs; what a provider's listing says (merged over the catalog) does, so a
    listing forgets that provider's prices (:meth:`forget`). A model nobody prices is priced as
    unknown, never as zero and never at another model's prices. A chain's name is no model: ``chain``
    addresses are unknown too (a chain's response is priced by the model that answered).
    """

    __slots__ = ("_client", "_rates")

    def __init__(self, client: AsyncClient) -> None:
        # Weakly: the client keys this object in a weak mapping, which a strong reference would pin.
        self._client = weakref.ref(client)
        self._rates: dict[tuple[str, str], Rates] = {}

    def rates(self, provider: str, model: str) -> Rates:
        """The rates of ``provider``/``model``, looked up on first use."""
        key = (provider, model)
        rates = self._rates.get(key)
        if rates is None:
            rates = self._rates[key] = self._look_up(provider, model)
        return rates

    def forget(self, provider: str) -> None:
        """Look ``provider``'s prices up again on next use (its listing was just read)."""
        for key in [k for k in self._rates if k[0] == provider]:
            del self._rates[key]

    def _look_up(self, provider: str, model: str) -> Rates:
        client = self._client()
        if provider == "chain" or not model or client is None:
            return _UNRATED
        try:
            info = model_info(client, provider, model)
        except Exception as exc:  # a bad catalog entry must not fail the call it would price
            log("warning", "price_lookup_failed", provider=provider, model=model, error=str(exc))
            return _UNRATED
        return rates_of(info)

    def cost(self, provider: str, model: str, usage: Usage, partial: bool = False) -> Cost:
        """What ``usage`` of ``provider``/``model`` cost."""
        return self.rates(provider, model).cost(usage, partial)

    def attach(self, result: Any) -> Any:
        """``result`` (a response the client has just made, not yet handed out) with its ``cost`` set,
        in place, as its trace is (:func:`modelplex._call.direct.with_trace`); and, when the provider
        reported a charge that differs from ours, a ``cost-mismatch`` warning. A response already
        priced (one a plugin handed out twice) keeps its cost and warnings."""
        if result.cost is not None:
            return result
        usage = result.usage
        cost = self.rates(result.provider, result.model).cost(usage)
        object.__setattr__(result, "cost", cost)
        if usage.reported_cost is not None:
            warning = mismatch(cost)
            if warning is not None:
                object.__setattr__(result, "warnings", (*result.warnings, warning))
        return result


def model_info(client: AsyncClient, provider: str, model: str) -> ModelInfo | None:
    """What is known of ``provider``/``model`` (the configured provider's name): the catalog's entry,
    the provider's listing and the user's overrides merged (:func:`modelplex._catalog.merge.model_info`)."""
    from modelplex._catalog.merge import model_info

    return model_info(client, provider, model)


def mismatch(cost: Cost) -> ProviderWarning | None:
    """A ``cost-mismatch`` warning when the provider's reported charge and ours differ by more than the
    tolerance (:data:`MISMATCH_ABSOLUTE`, :data:`MISMATCH_RELATIVE`); ``None`` when they agree or
    either is unknown."""
    ours, theirs = cost.total, cost.reported
    if ours is None or theirs is None:
        return None
    apart = MONEY.abs(MONEY.subtract(ours, theirs))
    allowed = MONEY.max(MISMATCH_ABSOLUTE, MONEY.multiply(MONEY.abs(theirs), MISMATCH_RELATIVE))
    order = MONEY.compare(apart, allowed)  # -1, 0 or 1; read without a context, as ``>`` would take one
    if order.is_signed() or order.is_zero():
        return None
    from modelplex._responses import ProviderWarning

    return ProviderWarning(code="cost-mismatch", field="usage.reported_cost",
                           message=f"the provider reported a charge of {theirs} {cost.currency}; the "
                                   f"catalog's prices make it {ours} ({cost.price_version})")


def cancelled_cost(client: AsyncClient, address: str, usage: Usage | None) -> Cost | None:
    """What a call to ``address`` cancelled before its answer cost: its ``usage`` (the input sent,
    estimated) priced as ``address``'s model's, marked partial; ``None`` without usage."""
    if usage is None:
        return None
    provider, _, model = address.partition("/")
    return costs(client).cost(provider, model, usage, partial=True)
