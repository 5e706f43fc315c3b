"""Money that will leave later: scheduled payments, standing orders, direct debits, and what
is coming up across all of them. Reading only here; the bank executes what falls due."""

from __future__ import annotations

from datetime import date

from actions.accounts import dates_from_slots
from actions.formatting import day, money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from bot.bank import BankError
from bot.handlers import ActionContext, ActionResult, Reply, action

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _lines(ctx: ActionContext, key: str, rows: list[dict[str, str]]) -> str:
    return "\n".join(ctx.text(key, **row) for row in rows)


@action(
    "list_scheduled_payments",
    says={
        "utter_scheduled_payments": ["lines"],
        "utter_no_scheduled_payments": [],
        "scheduled_payment_line": ["amount", "name", "on"],
        **BANK_UNAVAILABLE,
    },
)
async def list_scheduled_payments(ctx: ActionContext) -> ActionResult:
    """Only those still to go: paid, failed and cancelled ones are history, not plans."""
    try:
        payments = await ctx.bank.list_scheduled_payments(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("list_scheduled_payments", exc)
    waiting = sorted((p for p in payments if p.status == "InitiationPending"), key=lambda p: p.on)
    if not waiting:
        return ActionResult(replies=[Reply("utter_no_scheduled_payments")])
    rows = [
        {"amount": money(p.amount, p.currency), "name": p.creditor_name, "on": day(p.on)}
        for p in waiting
    ]
    lines = _lines(ctx, "scheduled_payment_line", rows)
    return ActionResult(replies=[Reply("utter_scheduled_payments", {"lines": lines})])


@action(
    "list_standing_orders",
    says={
        "utter_standing_orders": ["lines"],
        "utter_no_standing_orders": [],
        "standing_order_line": ["amount", "name", "next"],
        **BANK_UNAVAILABLE,
    },
)
async def list_standing_orders(ctx: ActionContext) -> ActionResult:
    """Active orders with their next payment, the thing a customer plans around."""
    try:
        orders = await ctx.bank.list_standing_orders(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("list_standing_orders", exc)
    active = [o for o in orders if o.active and o.next_date]
    if not active:
        return ActionResult(replies=[Reply("utter_no_standing_orders")])
    rows = [
        {
            "amount": money(o.next_amount or o.amount, o.currency),
            "name": o.creditor_name,
            "next": day(o.next_date),
        }
        for o in active
        if o.next_date
    ]
    lines = _lines(ctx, "standing_order_line", rows)
    return ActionResult(replies=[Reply("utter_standing_orders", {"lines": lines})])


@action(
    "list_direct_debits",
    says={
        "utter_direct_debits": ["lines"],
        "utter_no_direct_debits": [],
        "direct_debit_line": ["name", "next"],
        "direct_debit_next": ["amount", "on"],
        "direct_debit_no_next": [],
        **BANK_UNAVAILABLE,
    },
)
async def list_direct_debits(ctx: ActionContext) -> ActionResult:
    """Active mandates, with the next collection when the company has told the bank."""
    try:
        debits = await ctx.bank.list_direct_debits(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("list_direct_debits", exc)
    active = [d for d in debits if d.active]
    if not active:
        return ActionResult(replies=[Reply("utter_no_direct_debits")])
    rows = []
    for d in active:
        nxt = (
            ctx.text("direct_debit_next", amount=money(d.next_amount), on=day(d.next_date))
            if d.next_date and d.next_amount is not None
            else ctx.text("direct_debit_no_next")
        )
        rows.append({"name": d.name, "next": nxt})
    lines = _lines(ctx, "direct_debit_line", rows)
    return ActionResult(replies=[Reply("utter_direct_debits", {"lines": lines})])


def _days_ahead(ctx: ActionContext, today: date) -> int:
    """The period the customer named, counted from the bank's today; else the next 30 days."""
    try:
        _, end = dates_from_slots(ctx.slots)
    except ValueError:
        end = None
    if end is None or end <= today:
        return DEFAULT_DAYS
    return min((end - today).days, MAX_DAYS)


@action(
    "upcoming_payments",
    says={
        "utter_upcoming_payments": ["lines", "total", "until"],
        "utter_no_upcoming_payments": ["until"],
        "upcoming_line": ["on", "name", "amount"],
        **BANK_UNAVAILABLE,
    },
)
async def upcoming_payments(ctx: ActionContext) -> ActionResult:
    """Scheduled payments, standing orders, direct debits and card repayments due, with a
    total, so the customer can see what their balance has to cover."""
    today = ctx.now.date()
    days = _days_ahead(ctx, today)
    until = day(date.fromordinal(today.toordinal() + days))
    try:
        due = await ctx.bank.upcoming_payments(ctx.customer_id, days)
    except BankError as exc:
        return bank_unavailable("upcoming_payments", exc)
    if not due:
        return ActionResult(replies=[Reply("utter_no_upcoming_payments", {"until": until})])
    due = sorted(due, key=lambda u: u.on)
    rows = [{"on": day(u.on), "name": u.name, "amount": money(u.amount)} for u in due]
    said = {
        "lines": _lines(ctx, "upcoming_line", rows),
        "total": money(sum((u.amount for u in due), start=due[0].amount * 0)),
        "until": until,
    }
    return ActionResult(replies=[Reply("utter_upcoming_payments", said)])
