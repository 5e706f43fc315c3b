"""Top-up status: which top-ups are pending, failed or were reverted, and why.

The status a flow asks about is its preset `top_up_status` slot; the bank's reason codes
are turned into words here, and an unknown code is shown as "no reason given".
"""

from __future__ import annotations

from actions.bank_client import BankError, TopUp
from actions.base import ActionContext, ActionResult, Reply, action
from actions.formatting import day, money
from actions.replies import bank_unavailable

STATUSES = {"pending": "pending", "failed": "failed", "reverted": "reverted"}
REASONS = {
    "declined_by_card_issuer": "the bank that issued the card declined it",
    "card_verification_failed": "the card's security check (3-D Secure) wasn't completed",
    "card_verification_required": "the card needs verifying before the money can be added",
    "reversed_by_card_issuer": "the card's issuer took the payment back",
    "limit_exceeded": "it would have gone over your top-up limit",
    "under_review": "it's being checked by our security team, usually within 24 hours",
    "awaiting_funds": "we're waiting for the money to arrive from the other bank",
}


def _line(top_up: TopUp) -> str:
    why = REASONS.get(top_up.reason or "", "no reason given")
    source = f"from {top_up.source}" if top_up.method == "card" else "by bank transfer"
    amount = money(top_up.amount, top_up.currency)
    return f"{day(top_up.created_at.date())} · {amount} {source} · {why}"


@action("top_up_status")
async def top_up_status(ctx: ActionContext) -> ActionResult:
    status = str(ctx.slots.get("top_up_status") or "")
    if status not in STATUSES:
        raise ValueError(f"top-up flows must preset top_up_status to one of {sorted(STATUSES)}")
    try:
        top_ups = await ctx.bank.list_top_ups(ctx.customer_id, status)
    except BankError as exc:
        return bank_unavailable("top_up_status", exc)
    if not top_ups:
        return ActionResult(replies=[Reply("utter_no_top_ups", {"status": status})])
    lines = "\n".join(_line(t) for t in top_ups)
    reply = Reply("utter_top_ups", {"status": status, "lines": lines, "count": len(top_ups)})
    return ActionResult(replies=[reply], audit={"count": len(top_ups)})
