"""Pending items: card payments, transfers and cash withdrawals authorised but not booked.

Which kind a flow lists is its preset `pending_kind` slot, so one action serves every
"why is my ... still pending" request.
"""

from __future__ import annotations

from actions.bank_client import BankError, PendingTransaction
from actions.base import ActionContext, ActionResult, Reply, action
from actions.formatting import day, money
from actions.replies import bank_unavailable

KINDS = {  # (one, several)
    "card_payment": ("card payment", "card payments"),
    "transfer": ("transfer", "transfers"),
    "cash_withdrawal": ("cash withdrawal", "cash withdrawals"),
}


def _line(item: PendingTransaction) -> str:
    what = item.merchant or item.description
    return (
        f"{day(item.created_at.date())} · {what} · {money(item.amount, item.currency)}"
        f" · should clear by {day(item.expected_on)}"
    )


@action("pending_transactions")
async def pending_transactions(ctx: ActionContext) -> ActionResult:
    kind = str(ctx.slots.get("pending_kind") or "")
    if kind not in KINDS:
        raise ValueError(f"pending flows must preset pending_kind to one of {sorted(KINDS)}")
    try:
        items = await ctx.bank.list_pending_transactions(ctx.customer_id, kind)
    except BankError as exc:
        return bank_unavailable("pending_transactions", exc)
    one, several = KINDS[kind]
    if not items:
        return ActionResult(replies=[Reply("utter_no_pending", {"what": several})])
    what = one if len(items) == 1 else several
    lines = "\n".join(_line(item) for item in items)
    reply = Reply("utter_pending", {"what": what, "lines": lines, "count": len(items)})
    return ActionResult(replies=[reply], audit={"count": len(items)})
