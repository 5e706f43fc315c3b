"""One write to the bank for every payment that is not to a payee: to one of the customer's
own accounts, a credit card repayment, a bill; now, or on a later date.

Each action that pays says what happened in its own words (`Outcome` names the response
keys); the refusals, the unknown outcome and the audit are the same everywhere, so they are
decided here once. The idempotency key is the dialogue's (the code's challenge, or this run
of the flow and its step), so a replayed turn at worst fetches the first payment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from actions.formatting import money
from bot.bank import BankError, BankRejected, BankUnavailable, Creditor
from bot.handlers import ActionContext, ActionResult, Reply

log = logging.getLogger("actions.paying")

REFUSED = ("insufficient_funds", "daily_limit_exceeded")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The responses an action says for each way a payment can end."""

    done: str
    scheduled: str  # the order was for a later date
    insufficient_funds: str
    daily_limit_exceeded: str
    rejected: str
    unconfirmed: str

    def says(self, said: list[str]) -> dict[str, list[str]]:
        """What the action declares: `done` also fills the new balance and reference."""
        keys = (self.insufficient_funds, self.daily_limit_exceeded, self.rejected)
        return {
            self.scheduled: [*said, "reference"],
            self.done: [*said, "new_balance", "reference"],
            self.unconfirmed: said,
            "balance_unavailable": [],
            "utter_bank_unavailable": [],
            **{k: said for k in keys},
        }


@dataclass(frozen=True, slots=True)
class Order:
    """What was confirmed and approved: exactly this is sent."""

    source_account_id: str
    creditor: Creditor
    amount: Decimal
    reference: str | None = None
    on: date | None = None  # a later date: scheduled, not paid now


def required(ctx: ActionContext, *names: str) -> None:
    """A flow bug, not a customer problem: refuse loudly rather than pay without a key."""
    missing = [name for name in names if not ctx.slots.get(name)]
    if missing or not ctx.idempotency_key:
        raise ValueError(f"payment needs slots {missing} and an idempotency key")


async def pay(
    ctx: ActionContext, order: Order, outcome: Outcome, said: Mapping[str, Any]
) -> ActionResult:
    """Send the order once; reply with `outcome.done` and the debtor's new balance, or say
    why nothing (or possibly something) moved."""
    key = str(ctx.idempotency_key)
    audit: dict[str, Any] = {
        "creditor": f"{order.creditor.scheme}:{order.creditor.id}",
        "amount": f"{order.amount:.2f}",
        "source_account_id": order.source_account_id,
        "idempotency_key": key,
    }
    try:
        if order.on is not None:
            scheduled = await ctx.bank.schedule_payment(
                ctx.customer_id,
                source_account_id=order.source_account_id,
                creditor=order.creditor,
                amount=order.amount,
                on=order.on,
                reference=order.reference,
                idempotency_key=key,
            )
            audit |= {"scheduled_payment_id": scheduled.id, "on": order.on.isoformat()}
            reply = Reply(outcome.scheduled, {**said, "reference": scheduled.id})
        else:
            payment = await ctx.bank.create_domestic_payment(
                ctx.customer_id,
                source_account_id=order.source_account_id,
                creditor=order.creditor,
                amount=order.amount,
                currency="GBP",
                reference=order.reference,
                idempotency_key=key,
            )
            audit |= {"payment_id": payment.id, "status": payment.status}
            balance = payment.new_balance
            if balance is None:
                balance = await _balance(ctx, order.source_account_id)
            shown = money(balance) if balance is not None else ctx.text("balance_unavailable")
            reply = Reply(outcome.done, {**said, "reference": payment.id, "new_balance": shown})
    except BankRejected as exc:
        error = exc.code if exc.code in REFUSED else "bank_rejected"
        response = getattr(outcome, error, outcome.rejected)
        return ActionResult(
            ok=False,
            error=error,
            replies=[Reply(response, said)],
            audit=audit | {"bank_code": exc.code},
        )
    except BankError as exc:
        # Refused before sending: nothing moved. Anything else may have gone through.
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        log.warning("payment: bank error (%s): %s", "not sent" if unsent else "unknown", exc)
        response = "utter_bank_unavailable" if unsent else outcome.unconfirmed
        audit |= {"bank_error": type(exc).__name__, "outcome_unknown": not unsent}
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(response, said)], audit=audit
        )
    return ActionResult(replies=[reply], audit=audit)


async def _balance(ctx: ActionContext, account_id: str) -> Decimal | None:
    try:
        balances = await ctx.bank.get_balances(ctx.customer_id, account_id)
    except BankError:
        return None
    return balances[0].amount if balances else None
