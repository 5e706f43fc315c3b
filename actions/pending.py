"""Pending items: card payments, transfers and cash withdrawals authorised but not booked.

Which kind a flow lists is its preset `pending_kind` slot, so one action serves every
"why is my ... still pending" request.
"""

from __future__ import annotations

from actions.formatting import day, money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from bot.bank import BankError, PendingTransaction
from bot.handlers import ActionContext, ActionResult, Reply, action

KINDS = ("card_payment", "transfer", "cash_withdrawal")
# Each kind named for one item and for several: "pending_card_payment", "pending_card_payments".
NAMES = {f"pending_{kind}{plural}": [] for kind in KINDS for plural in ("", "s")}


def _line(ctx: ActionContext, item: PendingTransaction) -> str:
    return ctx.text(
        "pending_line",
        day=day(item.created_at.date()),
        what=item.merchant or item.description,
        amount=money(item.amount, item.currency),
        clears=day(item.expected_on),
    )


@action(
    "pending_transactions",
    says={
        "utter_no_pending": ["what"],
        "utter_pending": ["what", "lines", "count"],
        "pending_line": ["day", "what", "amount", "clears"],
        **NAMES,
        **BANK_UNAVAILABLE,
    },
)
async def pending_transactions(ctx: ActionContext) -> ActionResult:
    kind = str(ctx.slots.get("pending_kind") or "")
    if kind not in KINDS:
        raise ValueError(f"pending flows must preset pending_kind to one of {sorted(KINDS)}")
    try:
        items = await ctx.bank.list_pending_transactions(ctx.customer_id, kind)
    except BankError as exc:
        return bank_unavailable("pending_transactions", exc)
    several = ctx.text(f"pending_{kind}s")
    if not items:
        return ActionResult(replies=[Reply("utter_no_pending", {"what": several})])
    what = ctx.text(f"pending_{kind}") if len(items) == 1 else several
    lines = "\n".join(_line(ctx, item) for item in items)
    reply = Reply("utter_pending", {"what": what, "lines": lines, "count": len(items)})
    return ActionResult(replies=[reply], audit={"count": len(items)})
