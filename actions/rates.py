"""Exchange rates: the bank's customer rates from GBP, quoted from the bank's own table.

With a currency, that rate (and, given an amount, what it converts to both ways, since
"100 euros" may be what they want or what they have); without one, the most asked-for.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from actions.bank_client import BankError, ExchangeRate
from actions.base import ActionContext, ActionResult, Reply, action
from actions.formatting import SYMBOLS, money
from actions.replies import bank_unavailable

POPULAR = ("EUR", "USD", "CHF", "JPY", "AUD", "CAD")
_PENNY = Decimal("0.01")


def _units(rate: ExchangeRate) -> str:
    """Rates keep their four decimals, unlike money: "€1.1650", "192.40 JPY"."""
    symbol = SYMBOLS.get(rate.currency)
    return f"{symbol}{rate.rate}" if symbol else f"{rate.rate} {rate.currency}"


def _amount(raw: object) -> Decimal | None:
    try:
        amount = Decimal(str(raw))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and amount > 0 else None


@action("exchange_rates")
async def exchange_rates(ctx: ActionContext) -> ActionResult:
    wanted = str(ctx.slots.get("currency") or "").strip().upper()
    try:
        rates = {r.currency: r for r in await ctx.bank.exchange_rates()}
    except BankError as exc:
        return bank_unavailable("exchange_rates", exc)
    codes = ", ".join(sorted(rates))
    if not wanted or wanted == "GBP":
        lines = "\n".join(f"£1 = {_units(rates[c])}" for c in POPULAR if c in rates)
        return ActionResult(replies=[Reply("utter_rates", {"lines": lines, "codes": codes})])
    rate = rates.get(wanted)
    if rate is None:
        reply = Reply("utter_rate_unsupported", {"currency": wanted, "codes": codes})
        return ActionResult(ok=False, error="currency_not_supported", replies=[reply])
    said = {"currency": wanted, "rate": f"£1 = {_units(rate)}", "conversion": ""}
    amount = _amount(ctx.slots.get("amount"))
    if amount is not None:
        buys = (amount * rate.rate).quantize(_PENNY, ROUND_HALF_UP)
        costs = (amount / rate.rate).quantize(_PENNY, ROUND_HALF_UP)
        said["conversion"] = (
            f" At that rate {money(amount)} buys {money(buys, wanted)},"
            f" and {money(amount, wanted)} costs {money(costs)}."
        )
    return ActionResult(replies=[Reply("utter_rate", said)])
