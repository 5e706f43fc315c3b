"""Top-up status: which top-ups are pending, failed or were reverted, and why.

The status a flow asks about is its preset `top_up_status` slot; the bank's reason codes
are turned into words here, and an unknown code is shown as "no reason given".
"""

from __future__ import annotations

from actions.formatting import day, money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from bot.bank import BankError, TopUp
from bot.handlers import ActionContext, ActionResult, Reply, action

STATUSES = ("pending", "failed", "reverted")
REASONS = (
    "declined_by_card_issuer",
    "card_verification_failed",
    "card_verification_required",
    "reversed_by_card_issuer",
    "limit_exceeded",
    "under_review",
    "awaiting_funds",
)
WORDS = {
    **{f"top_up_reason_{reason}": [] for reason in REASONS},
    "top_up_reason_unknown": [],
    **{f"top_up_status_{status}": [] for status in STATUSES},
    "top_up_from_card": ["source"],
    "top_up_by_bank_transfer": [],
    "top_up_line": ["day", "amount", "source", "why"],
}


def _line(ctx: ActionContext, top_up: TopUp) -> str:
    reason = top_up.reason if top_up.reason in REASONS else "unknown"
    if top_up.method == "card":
        source = ctx.text("top_up_from_card", source=top_up.source)
    else:
        source = ctx.text("top_up_by_bank_transfer")
    return ctx.text(
        "top_up_line",
        day=day(top_up.created_at.date()),
        amount=money(top_up.amount, top_up.currency),
        source=source,
        why=ctx.text(f"top_up_reason_{reason}"),
    )


@action(
    "top_up_status",
    says={
        "utter_no_top_ups": ["status"],
        "utter_top_ups": ["status", "lines", "count"],
        **WORDS,
        **BANK_UNAVAILABLE,
    },
)
async def top_up_status(ctx: ActionContext) -> ActionResult:
    status = str(ctx.slots.get("top_up_status") or "")
    if status not in STATUSES:
        raise ValueError(f"top-up flows must preset top_up_status to one of {sorted(STATUSES)}")
    try:
        top_ups = await ctx.bank.list_top_ups(ctx.customer_id, status)
    except BankError as exc:
        return bank_unavailable("top_up_status", exc)
    named = ctx.text(f"top_up_status_{status}")
    if not top_ups:
        return ActionResult(replies=[Reply("utter_no_top_ups", {"status": named})])
    lines = "\n".join(_line(ctx, t) for t in top_ups)
    reply = Reply("utter_top_ups", {"status": named, "lines": lines, "count": len(top_ups)})
    return ActionResult(replies=[reply], audit={"count": len(top_ups)})
