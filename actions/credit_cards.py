"""Paying off a credit card: what is owed first, then how much, from where and when.

The card's latest statement comes from the bank (`card_statement`); the customer picks the
statement balance, the minimum payment or another amount (never more than is owed now),
from a current or savings account, today or on a later date (scheduled with the bank; a
date in the past is refused). A card with nothing owed says so and goes no further.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from actions.formatting import account_label, day, money
from actions.lookup import find_account
from actions.paying import Order, Outcome, pay, required
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.validators import validate_amount
from bot.bank import BankError, Creditor
from bot.handlers import ActionContext, ActionResult, Reply, action

_STATEMENT = re.compile(r"statement|\bfull\b|in full|whole|everything|all of it|pay it off", re.I)
_MINIMUM = re.compile(r"\bmin(?:imum|imun|\b)|\bleast\b", re.I)
_CURRENT = re.compile(r"current balance|balance now|everything i owe", re.I)
_OTHER = re.compile(r"^\s*(?:other|another|different|something else)", re.I)


def _left(total: Decimal, paid: Decimal) -> Decimal:
    return max(total - paid, Decimal(0))


@action(
    "show_card_statement",
    says={
        "utter_card_statement": [
            "card_name",
            "statement_balance_text",
            "minimum_payment_text",
            "due_date_text",
            "current_balance_text",
        ],
        "utter_card_paid_since": ["paid_since_text"],
        "utter_no_credit_card": [],
        "utter_card_nothing_owed": ["card_name"],
        "card_button_statement": ["amount"],
        "card_button_minimum": ["amount"],
        "card_button_other": [],
        **BANK_UNAVAILABLE,
    },
    sets=[
        "card_account_id",
        "card_name",
        "statement_due",
        "minimum_due",
        "current_balance",
    ],
)
async def show_card_statement(ctx: ActionContext) -> ActionResult:
    """What is owed on the customer's credit card, with the amounts to pick as buttons."""
    try:
        accounts = await ctx.bank.list_accounts(ctx.customer_id)
        cards = [a for a in accounts if a.kind == "credit_card"]
        named = str(ctx.slots.get("card_account") or "")
        card = (find_account(cards, named) if named else None) or (cards[0] if cards else None)
        statement = await ctx.bank.card_statement(ctx.customer_id, card.id) if card else None
    except BankError as exc:
        return bank_unavailable("show_card_statement", exc)
    if card is None:
        return ActionResult(
            ok=False, error="no_credit_card", replies=[Reply("utter_no_credit_card")]
        )
    name = account_label(card)
    if statement is None or statement.current_balance <= 0:
        reply = Reply("utter_card_nothing_owed", {"card_name": name})
        return ActionResult(ok=False, error="nothing_owed", replies=[reply])
    statement_due = min(
        _left(statement.statement_balance, statement.paid_since), statement.current_balance
    )
    minimum_due = min(statement.minimum_remaining, statement.current_balance)
    buttons = [
        (ctx.text(key, amount=money(value)), payload("inform", amount=f"{value:.2f}"))
        for key, value in (
            ("card_button_statement", statement_due),
            ("card_button_minimum", minimum_due),
        )
        if value > 0
    ]
    buttons.append((ctx.text("card_button_other"), payload("inform", amount="other")))
    replies = [
        Reply(
            "utter_card_statement",
            {
                "card_name": name,
                "statement_balance_text": money(statement.statement_balance),
                "minimum_payment_text": money(statement.minimum_payment),
                "due_date_text": day(statement.due_date),
                "current_balance_text": money(statement.current_balance),
            },
        )
    ]
    if statement.paid_since > 0:
        replies.append(
            Reply("utter_card_paid_since", {"paid_since_text": money(statement.paid_since)})
        )
    replies[-1] = Reply(replies[-1].key, replies[-1].vars, tuple(buttons))
    return ActionResult(
        replies=replies,
        slots={
            "card_account_id": card.id,
            "card_name": name,
            "statement_due": f"{statement_due:.2f}",
            "minimum_due": f"{minimum_due:.2f}",
            "current_balance": f"{statement.current_balance:.2f}",
        },
    )


@action(
    "validate_card_repayment",
    says={**validate_amount.says, "utter_card_repayment_too_much": ["amount_text", "owed"]},
    sets=["amount_text", "currency"],
)
async def validate_card_repayment(ctx: ActionContext) -> ActionResult:
    """ "The minimum", "the statement balance", "all of it" or an amount up to what is owed."""
    said = str(ctx.slots.get("amount") or "")
    if _OTHER.match(said):
        return ActionResult(ok=False, error="amount_not_given")  # asked again, plainly
    for pattern, slot in (
        (_MINIMUM, "minimum_due"),
        (_CURRENT, "current_balance"),
        (_STATEMENT, "statement_due"),
    ):
        if pattern.search(said):
            said = str(ctx.slots.get(slot) or "")
            break
    checked = await validate_amount(replace(ctx, slots={**ctx.slots, "amount": said}))
    if not checked.ok:
        return checked
    owed = Decimal(str(ctx.slots.get("current_balance") or 0))
    amount = Decimal(checked.slots["amount"])
    if amount > owed:
        reply = Reply(
            "utter_card_repayment_too_much",
            {"amount_text": checked.slots["amount_text"], "owed": money(owed)},
        )
        return ActionResult(ok=False, error="more_than_owed", replies=[reply])
    return checked


def _ahead(on: date, today: date) -> date | None:
    """The date a customer most likely meant when the NLU read it looking back (dates in
    questions about transactions are past): the same weekday, day of the month or day of
    the year next time round. None for "yesterday": that one was meant."""
    if (today - on).days < 2:
        return None
    for later in (on + timedelta(days=7), add_months(on, 1), add_months(on, 12)):
        if later > today:
            return later
    return None


def add_months(on: date, months: int) -> date:
    """The same day `months` later, or that month's last day if it is shorter."""
    month = on.month - 1 + months
    year, month = on.year + month // 12, month % 12 + 1
    return on.replace(year=year, month=month, day=min(on.day, monthrange(year, month)[1]))


@action(
    "validate_repayment_date",
    says={
        "utter_repayment_date_past": ["date"],
        "utter_repayment_date_unreadable": [],
        "when_now": [],
        "when_on": ["date"],
        "date_button_today": [],
        "date_button_on": ["date"],
    },
    sets=["pay_on", "when_text"],
)
async def validate_repayment_date(ctx: ActionContext) -> ActionResult:
    """No date, or today: paid now. A later date is scheduled; an earlier one refused, with
    the date it probably meant and today offered as buttons."""
    said = str(ctx.slots.get("pay_date") or "").strip().lower()
    today = ctx.now.date()
    if not said or said in ("now", "today", "straight away", "right away"):
        return ActionResult(slots={"pay_on": "now", "when_text": ctx.text("when_now")})
    try:
        on = today + timedelta(days=1) if said == "tomorrow" else date.fromisoformat(said)
    except ValueError:
        reply = Reply("utter_repayment_date_unreadable")
        return ActionResult(ok=False, error="date_unreadable", replies=[reply])
    if on < today:
        buttons = [(ctx.text("date_button_today"), payload("inform", date=today.isoformat()))]
        if (later := _ahead(on, today)) is not None:
            title = ctx.text("date_button_on", date=day(later))
            buttons.insert(0, (title, payload("inform", date=later.isoformat())))
        reply = Reply("utter_repayment_date_past", {"date": day(on)}, tuple(buttons))
        return ActionResult(ok=False, error="date_in_past", replies=[reply])
    if on == today:
        return ActionResult(slots={"pay_on": "now", "when_text": ctx.text("when_now")})
    when = ctx.text("when_on", date=day(on))
    return ActionResult(slots={"pay_on": on.isoformat(), "when_text": when})


CARD_REPAYMENT = Outcome(
    done="utter_card_repayment_done",
    scheduled="utter_card_repayment_scheduled",
    insufficient_funds="utter_card_repayment_insufficient_funds",
    daily_limit_exceeded="utter_card_repayment_rejected",
    rejected="utter_card_repayment_rejected",
    unconfirmed="utter_card_repayment_unconfirmed",
)
SAID = ["amount_text", "card_name", "source_account_name", "when_text"]


@action("pay_credit_card", says=CARD_REPAYMENT.says(SAID))
async def pay_credit_card(ctx: ActionContext) -> ActionResult:
    required(ctx, "card_account_id", "source_account_id", "amount", "pay_on")
    on = str(ctx.slots["pay_on"])
    order = Order(
        source_account_id=str(ctx.slots["source_account_id"]),
        creditor=Creditor.account(str(ctx.slots["card_account_id"])),
        amount=Decimal(str(ctx.slots["amount"])),
        on=None if on == "now" else date.fromisoformat(on),
    )
    return await pay(ctx, order, CARD_REPAYMENT, {name: ctx.slots.get(name, "") for name in SAID})
