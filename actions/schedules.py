"""Money that will leave later: scheduled payments, standing orders, direct debits, and what
is coming up across all of them. Reading only here; the bank executes what falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from actions.formatting import day, money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.rich import table, table_says
from bot.bank import BankError, BankRejected, BankUnavailable, Creditor
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
        **table_says("scheduled_payments", ["on", "name", "amount"]),
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
    shown = table(ctx, "scheduled_payments", ["on", "name", "amount"], rows)
    return ActionResult(
        replies=[Reply("utter_scheduled_payments", {"lines": lines}, attachment=shown)]
    )


@action(
    "list_standing_orders",
    says={
        "utter_standing_orders": ["lines"],
        "utter_no_standing_orders": [],
        "standing_order_line": ["amount", "name", "next"],
        **table_says("standing_orders", ["name", "amount", "next"]),
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
    shown = table(ctx, "standing_orders", ["name", "amount", "next"], rows)
    return ActionResult(
        replies=[Reply("utter_standing_orders", {"lines": lines}, attachment=shown)]
    )


@action(
    "list_direct_debits",
    says={
        "utter_direct_debits": ["lines"],
        "utter_no_direct_debits": [],
        "direct_debit_line": ["name", "next"],
        "direct_debit_next": ["amount", "on"],
        "direct_debit_no_next": [],
        **table_says("direct_debits", ["name", "next"]),
        "direct_debit_cell_next": ["amount", "on"],
        "direct_debit_cell_no_next": [],
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
    rows, cells = [], []
    for d in active:
        known = d.next_date and d.next_amount is not None
        said = {"amount": money(d.next_amount), "on": day(d.next_date)} if known else {}
        nxt = ctx.text("direct_debit_next", **said) if known else ctx.text("direct_debit_no_next")
        rows.append({"name": d.name, "next": nxt})
        cell = ctx.text("direct_debit_cell_next", **said) if known else ""
        cells.append({"name": d.name, "next": cell or ctx.text("direct_debit_cell_no_next")})
    lines = _lines(ctx, "direct_debit_line", rows)
    shown = table(ctx, "direct_debits", ["name", "next"], cells)
    return ActionResult(replies=[Reply("utter_direct_debits", {"lines": lines}, attachment=shown)])


def _period(ctx: ActionContext, today: date) -> tuple[date, date]:
    """The period the customer named, read forward ("this month" ends on its last day, "on
    the 5th" is the next 5th), within a year from the bank's today; else the next 30 days."""
    start, end = today, None
    span = ctx.slots.get("period_ahead")
    if isinstance(span, dict):
        start = _day_or(span.get("start"), today)
        end = _day_or(span.get("end"), None)
    elif ctx.slots.get("date_ahead"):
        start = end = _day_or(ctx.slots.get("date_ahead"), None)
    if end is None or end < today:
        return today, today + timedelta(days=DEFAULT_DAYS)
    start = max(start or today, today)
    return start, min(end, today + timedelta(days=MAX_DAYS))


def _day_or(value: object, default: date | None) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return default


@action(
    "upcoming_payments",
    says={
        "utter_upcoming_payments": ["lines", "total", "until"],
        "utter_no_upcoming_payments": ["until"],
        "utter_upcoming_between": ["lines", "total", "start", "until"],
        "utter_none_upcoming_between": ["start", "until"],
        "upcoming_line": ["on", "name", "amount"],
        **table_says("upcoming", ["on", "name", "amount"], ["total", "until"]),
        **BANK_UNAVAILABLE,
    },
)
async def upcoming_payments(ctx: ActionContext) -> ActionResult:
    """Scheduled payments, standing orders, direct debits and card repayments due, with a
    total, so the customer can see what their balance has to cover."""
    today = ctx.now.date()
    start, end = _period(ctx, today)
    said = {"start": day(start), "until": day(end)}
    later = start > today
    try:
        due = await ctx.bank.upcoming_payments(ctx.customer_id, max((end - today).days, 1))
    except BankError as exc:
        return bank_unavailable("upcoming_payments", exc)
    due = sorted((u for u in due if start <= u.on <= end), key=lambda u: u.on)
    if not due:
        key = "utter_none_upcoming_between" if later else "utter_no_upcoming_payments"
        return ActionResult(replies=[Reply(key, said)])
    rows = [{"on": day(u.on), "name": u.name, "amount": money(u.amount)} for u in due]
    said |= {
        "lines": _lines(ctx, "upcoming_line", rows),
        "total": money(sum((u.amount for u in due), start=due[0].amount * 0)),
    }
    key = "utter_upcoming_between" if later else "utter_upcoming_payments"
    shown = table(
        ctx, "upcoming", ["on", "name", "amount"], rows, total=said["total"], until=said["until"]
    )
    return ActionResult(replies=[Reply(key, said, attachment=shown)])


@dataclass(frozen=True, slots=True)
class Plan:
    """One thing the customer may cancel, whichever kind it is: what they call it, and how
    it reads back in the confirm question."""

    id: str
    name: str
    text: str


async def _plans(ctx: ActionContext, kind: str) -> list[Plan]:
    """The live items of one kind; cancelled, paid and finished ones cannot be cancelled."""
    bank, who = ctx.bank, ctx.customer_id
    if kind == "direct_debit":
        return [
            Plan(d.id, d.name, ctx.text("plan_direct_debit", name=d.name))
            for d in await bank.list_direct_debits(who)
            if d.active
        ]
    if kind == "standing_order":
        return [
            Plan(
                o.id,
                o.creditor_name,
                ctx.text(
                    "plan_standing_order",
                    amount=money(o.next_amount or o.amount, o.currency),
                    name=o.creditor_name,
                ),
            )
            for o in await bank.list_standing_orders(who)
            if o.active and o.next_date
        ]
    if kind == "scheduled_payment":
        return [
            Plan(
                p.id,
                p.creditor_name,
                ctx.text(
                    "plan_scheduled_payment",
                    amount=money(p.amount, p.currency),
                    name=p.creditor_name,
                    on=day(p.on),
                ),
            )
            for p in await bank.list_scheduled_payments(who)
            if p.status == "InitiationPending"
        ]
    raise ValueError(f"unknown schedule kind {kind!r}")


def _plan_buttons(plans: list[Plan]) -> tuple[tuple[str, str], ...]:
    return tuple((p.text, payload("inform", schedule=p.id)) for p in plans)


PICK_SAYS = {
    "utter_no_plans_to_cancel": [],
    "utter_which_to_cancel": [],
    "utter_plan_not_found": ["given"],
    "plan_direct_debit": ["name"],
    "plan_standing_order": ["amount", "name"],
    "plan_scheduled_payment": ["amount", "name", "on"],
    **BANK_UNAVAILABLE,
}


@action("offer_schedules", says=PICK_SAYS, sets=["schedule", "schedule_id", "schedule_text"])
async def offer_schedules(ctx: ActionContext) -> ActionResult:
    """Before asking which one: stop if there is nothing to cancel, take the only one there
    is (the confirm still reads it back), else show them as buttons."""
    if ctx.slots.get("schedule"):
        return ActionResult()
    try:
        plans = await _plans(ctx, str(ctx.slots.get("schedule_kind")))
    except BankError as exc:
        return bank_unavailable("offer_schedules", exc)
    if not plans:
        reply = Reply("utter_no_plans_to_cancel")
        return ActionResult(ok=False, error="nothing_to_cancel", replies=[reply])
    if len(plans) == 1:
        only = plans[0]
        return ActionResult(
            slots={"schedule": only.id, "schedule_id": only.id, "schedule_text": only.text}
        )
    return ActionResult(replies=[Reply("utter_which_to_cancel", {}, _plan_buttons(plans))])


@action("validate_schedule", says=PICK_SAYS, sets=["schedule_id", "schedule_text"])
async def validate_schedule(ctx: ActionContext) -> ActionResult:
    """A button's id, or a name the customer typed ("netflix", "the rent one")."""
    given = " ".join(str(ctx.slots.get("schedule") or "").split())
    try:
        plans = await _plans(ctx, str(ctx.slots.get("schedule_kind")))
    except BankError as exc:
        return bank_unavailable("validate_schedule", exc)
    wanted = given.lower()
    matches = [p for p in plans if p.id == given] or [
        p for p in plans if p.name.lower() in wanted or wanted in p.name.lower()
    ]
    if len(matches) != 1 or not wanted:
        reply = Reply("utter_plan_not_found", {"given": given[:40]}, _plan_buttons(plans))
        return ActionResult(ok=False, error="schedule_not_found", replies=[reply])
    return ActionResult(slots={"schedule_id": matches[0].id, "schedule_text": matches[0].text})


@action(
    "cancel_schedule",
    says={
        "utter_direct_debit_cancelled": ["schedule_text"],
        "utter_standing_order_cancelled": ["schedule_text"],
        "utter_scheduled_payment_cancelled": ["schedule_text"],
        "utter_cancel_refused": ["schedule_text"],
        "utter_cancel_unconfirmed": ["schedule_text"],
        **BANK_UNAVAILABLE,
    },
)
async def cancel_schedule(ctx: ActionContext) -> ActionResult:
    """Cancel the confirmed item at the bank, with the turn's idempotency key."""
    kind = str(ctx.slots.get("schedule_kind") or "")
    item = str(ctx.slots.get("schedule_id") or "")
    if not item or not ctx.idempotency_key:
        raise ValueError("cancel_schedule needs schedule_id and an idempotency key")
    cancels = {
        "direct_debit": ctx.bank.cancel_direct_debit,
        "standing_order": ctx.bank.cancel_standing_order,
        "scheduled_payment": ctx.bank.cancel_scheduled_payment,
    }
    said = {"schedule_text": str(ctx.slots.get("schedule_text") or "")}
    audit: dict[str, object] = {
        "kind": kind,
        "id": item,
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        await cancels[kind](ctx.customer_id, item, ctx.idempotency_key)
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        reply = Reply("utter_cancel_refused", said)
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        key = "utter_bank_unavailable" if unsent else "utter_cancel_unconfirmed"
        audit["bank_error"] = type(exc).__name__
        reply = Reply(key, said)
        return ActionResult(ok=False, error="bank_unavailable", replies=[reply], audit=audit)
    return ActionResult(replies=[Reply(f"utter_{kind}_cancelled", said)], audit=audit)


MAX_AHEAD_DAYS = 365


@action(
    "validate_payment_date",
    says={
        "utter_payment_date_unreadable": [],
        "utter_payment_date_past": [],
        "utter_payment_date_today": [],
        "utter_payment_date_too_far": [],
        "send_it_now": [],
    },
    sets=["payment_date_text"],
)
async def validate_payment_date(ctx: ActionContext) -> ActionResult:
    """After today and within a year: today is a transfer now (offered), the past cannot be
    paid, and banks do not hold one-off payments more than a year ahead."""
    try:
        on = date.fromisoformat(str(ctx.slots.get("date") or ""))
    except ValueError:
        return _refuse_date("date_unreadable", "utter_payment_date_unreadable")
    today = ctx.now.date()
    if on < today:
        return _refuse_date("date_past", "utter_payment_date_past")
    if on == today:
        buttons = ((ctx.text("send_it_now"), payload("transfer_money")),)
        reply = Reply("utter_payment_date_today", {}, buttons)
        return ActionResult(ok=False, error="date_today", replies=[reply])
    if (on - today).days > MAX_AHEAD_DAYS:
        return _refuse_date("date_too_far", "utter_payment_date_too_far")
    return ActionResult(slots={"date": on.isoformat(), "payment_date_text": day(on)})


def _refuse_date(error: str, key: str) -> ActionResult:
    return ActionResult(ok=False, error=error, replies=[Reply(key)])


SCHEDULE_SAID = ["amount", "payee", "on"]


@action(
    "schedule_payment",
    says={
        "utter_payment_scheduled": SCHEDULE_SAID,
        "utter_schedule_refused": SCHEDULE_SAID,
        "utter_schedule_unconfirmed": SCHEDULE_SAID,
        **{key: SCHEDULE_SAID for key in BANK_UNAVAILABLE},
    },
)
async def schedule_payment(ctx: ActionContext) -> ActionResult:
    """Book the confirmed payment at the bank, which pays it on the date (its clock)."""
    needed = ("payee_id", "amount", "date", "source_account_id")
    missing = [name for name in needed if not ctx.slots.get(name)]
    if missing or not ctx.idempotency_key:
        raise ValueError(f"schedule_payment needs slots {missing} and an idempotency key")
    amount = Decimal(str(ctx.slots["amount"]))
    on = date.fromisoformat(str(ctx.slots["date"]))
    said = {"amount": money(amount), "payee": str(ctx.slots.get("payee") or ""), "on": day(on)}
    audit: dict[str, object] = {
        "payee_id": ctx.slots["payee_id"],
        "amount": f"{amount:.2f}",
        "on": on.isoformat(),
        "source_account_id": ctx.slots["source_account_id"],
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        booked = await ctx.bank.schedule_payment(
            ctx.customer_id,
            source_account_id=str(ctx.slots["source_account_id"]),
            creditor=Creditor.payee(str(ctx.slots["payee_id"])),
            amount=amount,
            on=on,
            reference=None,
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        reply = Reply("utter_schedule_refused", said)
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        key = "utter_bank_unavailable" if unsent else "utter_schedule_unconfirmed"
        audit["bank_error"] = type(exc).__name__
        reply = Reply(key, said)
        return ActionResult(ok=False, error="bank_unavailable", replies=[reply], audit=audit)
    audit["scheduled_payment_id"] = booked.id
    return ActionResult(replies=[Reply("utter_payment_scheduled", said)], audit=audit)
