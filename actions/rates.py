"""Exchange rates: the bank's customer rates from GBP, quoted from the bank's own table.

With a currency, that rate (and, given an amount, what it converts to both ways, since
"100 euros" may be what they want or what they have); without one, the most asked-for.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from actions.formatting import SYMBOLS, money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from bot.bank import BankError, ExchangeRate
from bot.handlers import ActionContext, ActionResult, Reply, action

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


@action(
    "exchange_rates",
    says={
        "utter_rates": ["lines", "codes"],
        "utter_rate_unsupported": ["currency", "codes"],
        "utter_rate": ["currency", "rate", "conversion"],
        "rate_line": ["units"],
        "rate_conversion": ["amount", "buys", "foreign", "costs"],
        **BANK_UNAVAILABLE,
    },
)
async def exchange_rates(ctx: ActionContext) -> ActionResult:
    wanted = str(ctx.slots.get("currency") or "").strip().upper()
    try:
        rates = {r.currency: r for r in await ctx.bank.exchange_rates()}
    except BankError as exc:
        return bank_unavailable("exchange_rates", exc)
    codes = ", ".join(sorted(rates))
    if not wanted or wanted == "GBP":
        lines = "\n".join(
            ctx.text("rate_line", units=_units(rates[c])) for c in POPULAR if c in rates
        )
        return ActionResult(replies=[Reply("utter_rates", {"lines": lines, "codes": codes})])
    rate = rates.get(wanted)
    if rate is None:
        reply = Reply("utter_rate_unsupported", {"currency": wanted, "codes": codes})
        return ActionResult(ok=False, error="currency_not_supported", replies=[reply])
    said = {"currency": wanted, "rate": ctx.text("rate_line", units=_units(rate)), "conversion": ""}
    amount = _amount(ctx.slots.get("amount"))
    if amount is not None:
        buys = (amount * rate.rate).quantize(_PENNY, ROUND_HALF_UP)
        costs = (amount / rate.rate).quantize(_PENNY, ROUND_HALF_UP)
        said["conversion"] = " " + ctx.text(
            "rate_conversion",
            amount=money(amount),
            buys=money(buys, wanted),
            foreign=money(amount, wanted),
            costs=money(costs),
        )
    return ActionResult(replies=[Reply("utter_rate", said)])
