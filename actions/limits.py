"""The daily limit on payments to other people: what is left, and a payment checked against
it when its amount is given, so an amount over the limit is asked again before the confirm
step rather than refused by the bank after the one-time code."""

from __future__ import annotations

from decimal import Decimal

from actions.formatting import money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from actions.validators import AMOUNT_REASONS, validate_amount
from bot.bank import BankError, PaymentLimit
from bot.handlers import ActionContext, ActionResult, Reply, action

# Past this share of what is left, the confirm step says what will be left afterwards.
MENTION_AT = Decimal("0.5")


def _said(limit: PaymentLimit) -> dict[str, str]:
    return {
        "daily": money(limit.daily),
        "used": money(limit.used),
        "remaining": money(limit.remaining),
    }


@action(
    "payment_limit",
    says={"utter_payment_limit": ["daily", "used", "remaining"], **BANK_UNAVAILABLE},
)
async def payment_limit(ctx: ActionContext) -> ActionResult:
    try:
        limit = await ctx.bank.payment_limits(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("payment_limit", exc)
    return ActionResult(replies=[Reply("utter_payment_limit", _said(limit))])


@action(
    "validate_transfer_amount",
    says={
        "utter_currency_unsupported": ["currency"],
        "utter_currency_uk_payee": ["payee", "currency"],
        "utter_amount_invalid": ["reason"],
        "utter_over_daily_limit": ["amount", "daily", "used", "remaining"],
        "limit_left_after": ["left", "daily"],
        **AMOUNT_REASONS,
        **BANK_UNAVAILABLE,
    },
    sets=["amount_text", "limit_note"],
)
async def validate_transfer_amount(ctx: ActionContext) -> ActionResult:
    """The amount's own checks (validate_amount), then today's limit."""
    checked = await validate_amount(ctx)
    if not checked.ok:
        return checked
    amount = Decimal(checked.slots["amount"])
    try:
        limit = await ctx.bank.payment_limits(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("validate_transfer_amount", exc)
    if amount > limit.remaining:
        reply = Reply("utter_over_daily_limit", {"amount": money(amount), **_said(limit)})
        return ActionResult(ok=False, error="daily_limit_exceeded", replies=[reply])
    note = ""
    if amount > limit.remaining * MENTION_AT:
        note = ctx.text(
            "limit_left_after", left=money(limit.remaining - amount), daily=money(limit.daily)
        )
    return ActionResult(slots={**checked.slots, "limit_note": note})
