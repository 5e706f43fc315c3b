"""transfer_money: the one action that moves money.

It runs only after the dialogue has validated every slot, confirmed with the customer and
verified the one-time code; the idempotency key comes from the dialogue (conversation +
OTP challenge), so a replayed turn can at worst fetch the first payment, never make a second.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from actions.formatting import money
from actions.replies import BANK_UNAVAILABLE
from bot.bank import Bank, BankError, BankRejected, BankUnavailable, Creditor, Payment
from bot.handlers import ActionContext, ActionResult, Reply, action

log = logging.getLogger("actions.payments")

REFERENCE = "Sent via Teller"  # Faster Payments references are at most 18 characters
REQUIRED_SLOTS = ("payee", "payee_id", "amount", "source_account_id")
REFUSALS = {
    "insufficient_funds": ("insufficient_funds", "utter_transfer_insufficient_funds"),
    "daily_limit_exceeded": ("daily_limit_exceeded", "utter_transfer_limit"),
}


async def _new_balance(bank: Bank, customer_id: str, payment: Payment) -> Decimal | None:
    if payment.new_balance is not None:
        return payment.new_balance
    try:
        balances = await bank.get_balances(customer_id, payment.source_account_id)
    except BankError:
        return None
    return balances[0].amount if balances else None


SAID = ["amount", "currency", "payee", "source_account_name"]


@action(
    "transfer_money",
    says={
        "utter_transfer_done": [*SAID, "new_balance", "reference"],
        "utter_transfer_insufficient_funds": SAID,
        "utter_transfer_limit": SAID,
        "utter_transfer_rejected": SAID,
        "utter_transfer_unconfirmed": SAID,
        "balance_unavailable": [],
        **{key: SAID for key in BANK_UNAVAILABLE},
    },
)
async def transfer_money(ctx: ActionContext) -> ActionResult:
    missing = [name for name in REQUIRED_SLOTS if not ctx.slots.get(name)]
    if missing or not ctx.idempotency_key:
        # A flow bug, not a customer problem: refuse loudly rather than pay without a key.
        raise ValueError(f"transfer_money needs slots {missing} and an idempotency key")
    amount = Decimal(str(ctx.slots["amount"]))
    currency = str(ctx.slots.get("currency") or "GBP")
    payee = str(ctx.slots["payee"])
    said = {
        "amount": money(amount, currency),
        "currency": currency,
        "payee": payee,
        "source_account_name": str(ctx.slots.get("source_account_name") or ""),
    }
    audit = {
        "payee_id": ctx.slots["payee_id"],
        "amount": f"{amount:.2f}",
        "currency": currency,
        "source_account_id": ctx.slots["source_account_id"],
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        payment = await ctx.bank.create_domestic_payment(
            ctx.customer_id,
            source_account_id=str(ctx.slots["source_account_id"]),
            creditor=Creditor.payee(str(ctx.slots["payee_id"])),
            amount=amount,
            currency=currency,
            reference=REFERENCE,
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        error, key = REFUSALS.get(exc.code, ("bank_rejected", "utter_transfer_rejected"))
        audit |= {"bank_code": exc.code}
        return ActionResult(ok=False, error=error, replies=[Reply(key, said)], audit=audit)
    except BankError as exc:
        # Connection refused before sending: nothing moved. Anything else (timeout, 5xx,
        # a garbled answer): the payment may have gone through, so don't invite a retry.
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        log.warning("transfer_money: bank error (%s): %s", "not sent" if unsent else "unknown", exc)
        key = "utter_bank_unavailable" if unsent else "utter_transfer_unconfirmed"
        audit |= {"bank_error": type(exc).__name__, "outcome_unknown": not unsent}
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(key, said)], audit=audit
        )
    new_balance = await _new_balance(ctx.bank, ctx.customer_id, payment)
    reply = Reply(
        "utter_transfer_done",
        said
        | {
            "new_balance": money(new_balance, currency)
            if new_balance is not None
            else ctx.text("balance_unavailable"),
            "reference": payment.id,
        },
    )
    audit |= {"payment_id": payment.id, "status": payment.status}
    return ActionResult(replies=[reply], audit=audit)
