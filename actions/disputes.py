"""Disputes and fraud reports as cases the bank keeps (`bot.bank.CaseBank`).

A dispute starts from the customer's own recent debits, offered as buttons and a table (a
shop named in the message narrows them), never a typed id: the button carries the
transaction's id, and words ("the Tesco one, £45.20") are matched against the same debits.
How old a debit may be is the bank's rule, read from the bank with its own date
(`dispute_policy`), so a sandbox clock moved forward is honoured; the bank refuses an older
one too (`dispute_window_passed`). A reason, the amount (all of it or part, never more than
the debit took), a confirm, and the bank opens the case with a reference.

A fraud report is the compromised_card flow (bot/domain/protective.yml): after the card is
frozen, `open_fraud_case` opens a fraud case for it (and for the debit in the `transaction`
slot, when a flow starting it knows one), and the flow's handoff attaches the case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from actions.formatting import day, money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.rich import table, table_says
from actions.validators import AMOUNT_REASONS, amount_problem
from bot.bank import BankError, BankRejected, Case, DisputePolicy, Transaction
from bot.handlers import ActionContext, ActionResult, Reply, Table, action

SHOWN = 6  # buttons offered at a time
LOOKED_AT = 200  # debits read to match what the customer said
REASONS = ("not_received", "charged_twice", "wrong_amount", "not_recognised", "cancelled")
STATUSES = ("open", "investigating", "resolved", "rejected")
# What customers say for each reason, when they type it rather than press a button.
_REASON_WORDS = (
    ("charged_twice", r"twice|double|duplicate|two times|2 times|charged again|taken again"),
    ("cancelled", r"cancel+ed|cancel+ation|unsubscribed|still charg|still (?:being )?taken"),
    ("wrong_amount", r"wrong amount|overcharg|too much|more than|different amount|incorrect"),
    ("not_recognised", r"recogni[sz]e|don'?t know|wasn'?t me|not me|didn'?t make|fraud|no idea"),
    (
        "not_received",
        r"never (?:came|arrived|got|received|turned up)|not (?:received|arrived|delivered)"
        r"|didn'?t (?:arrive|get|receive|come|turn up)|hasn'?t (?:arrived|come)|non.?delivery"
        r"|not received|never received|no delivery|didn'?t turn up",
    ),
)
_WHOLE = re.compile(
    r"^\s*(?:all|all of it|the (?:whole|full|total)(?: amount| thing| lot)?|whole|full|everything"
    r"|the lot|full amount|whole amount|all of the payment|the entire (?:amount|payment))\s*$",
    re.IGNORECASE,
)
_AMOUNT_IN = re.compile(r"(?<![\d.])£?\s*(\d{1,7}(?:\.\d{2})?)(?![\d.])")
_TRANSACTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{2,39}$")

REASON_TEXTS = {f"dispute_reason_{reason}": [] for reason in REASONS}
STATUS_TEXTS = {
    **{f"case_status_{status}": [] for status in STATUSES},
    **{f"case_next_{status}": [] for status in STATUSES},
    "case_kind_dispute": [],
    "case_kind_fraud": [],
}
BUTTON = {"dispute_payment_button": ["what", "amount", "day"]}
PAYMENT_COLUMNS = ("day", "what", "amount")
CASE_COLUMNS = ("reference", "about", "opened", "status")
ABOUT = {"case_about_payment": ["amount", "what", "day"], "case_about_card": []}


def _what(t: Transaction) -> str:
    return t.merchant or t.description


def _button(ctx: ActionContext, t: Transaction) -> tuple[str, str]:
    title = ctx.text(
        "dispute_payment_button", what=_what(t), amount=money(-t.amount), day=day(t.booked_at)
    )
    return title, payload("inform", transaction=t.id)


def _buttons(ctx: ActionContext, debits: Sequence[Transaction]) -> tuple[tuple[str, str], ...]:
    return tuple(_button(ctx, t) for t in debits[:SHOWN])


def _payments_table(ctx: ActionContext, debits: Sequence[Transaction]) -> Table:
    rows = [
        {"day": day(t.booked_at), "what": _what(t), "amount": money(-t.amount)}
        for t in debits[:SHOWN]
    ]
    return table(ctx, "dispute_payments", PAYMENT_COLUMNS, rows)


async def _debits(ctx: ActionContext, merchant: str | None = None) -> list[Transaction]:
    """Money that left the customer, newest first: a transfer between their own accounts
    (booked on both) is not a payment anyone could dispute."""
    found = await ctx.bank.list_transactions(
        ctx.customer_id, merchant=merchant or None, limit=LOOKED_AT
    )
    incoming = {t.id for t in found if t.amount > 0}
    return [t for t in found if t.amount < 0 and t.id not in incoming]


def _recent(debits: Sequence[Transaction], policy: DisputePolicy) -> list[Transaction]:
    return [t for t in debits if t.booked_at.date() >= policy.earliest]


@action(
    "offer_disputable_payments",
    says={
        "utter_dispute_pick": ["days"],
        "utter_dispute_pick_merchant": ["merchant"],
        "utter_dispute_no_merchant_payments": ["merchant", "days"],
        "utter_no_disputable_payments": ["days"],
        "utter_dispute_too_old_merchant": ["merchant", "what", "day", "days"],
        **BUTTON,
        **table_says("dispute_payments", PAYMENT_COLUMNS),
        **BANK_UNAVAILABLE,
    },
    sets=["transaction", "merchant"],
)
async def offer_disputable_payments(ctx: ActionContext) -> ActionResult:
    """The debits to pick from: a shop's, when one is named (its only one is taken), else
    the most recent. A shop whose payments are all too old is answered here: no case."""
    if ctx.slots.get("transaction"):
        return ActionResult()  # a flow that started with the payment already chosen
    merchant = str(ctx.slots.get("merchant") or "").strip()
    try:
        policy = await ctx.bank.dispute_policy()
        named = await _debits(ctx, merchant) if merchant else []
        debits = named if named else await _debits(ctx)
    except BankError as exc:
        return bank_unavailable("offer_disputable_payments", exc)
    days = policy.max_age_days
    if merchant and named:
        recent = _recent(named, policy)
        if not recent:
            last = named[0]
            said = {"merchant": merchant, "what": money(-last.amount), "day": day(last.booked_at)}
            reply = Reply("utter_dispute_too_old_merchant", {**said, "days": days})
            return ActionResult(ok=False, error="dispute_window_passed", replies=[reply])
        if len(recent) == 1:
            return ActionResult(slots={"transaction": recent[0].id})
        reply = Reply(
            "utter_dispute_pick_merchant",
            {"merchant": merchant},
            _buttons(ctx, recent),
            attachment=_payments_table(ctx, recent),
        )
        return ActionResult(replies=[reply])
    recent = _recent(debits, policy)
    if not recent:
        reply = Reply("utter_no_disputable_payments", {"days": days})
        return ActionResult(ok=False, error="no_disputable_payments", replies=[reply])
    key, said = "utter_dispute_pick", {"days": days}
    if merchant:  # named, but nothing of theirs: say so, and offer the recent ones
        key, said = "utter_dispute_no_merchant_payments", {"merchant": merchant, "days": days}
    reply = Reply(key, said, _buttons(ctx, recent), attachment=_payments_table(ctx, recent))
    return ActionResult(replies=[reply], slots={"merchant": None})


_NOT_A_NAME = frozenset(
    [
        "the",
        "one",
        "that",
        "this",
        "payment",
        "charge",
        "for",
        "from",
        "was",
        "and",
        "its",
        "with",
        "paid",
        "pay",
        "card",
        "debit",
        "transaction",
        "purchase",
        "one's",
        "which",
        "last",
        "first",
        "please",
    ]
)


def _words(text: str) -> set[str]:
    found = re.findall(r"[a-z][a-z0-9']+", text.lower())
    return {w for w in found if len(w) > 2 and w not in _NOT_A_NAME}


def _matches(said: str, merchant: str, debits: Sequence[Transaction]) -> list[Transaction]:
    """The debits that what the customer typed could mean: the shop (named or in the words)
    and any amount in it."""
    found = list(debits)
    if merchant:
        wanted = merchant.lower()
        found = [t for t in found if wanted in _what(t).lower() or wanted in t.description.lower()]
    words = _words(said)
    by_name = [t for t in found if words & _words(f"{_what(t)} {t.description}")]
    if by_name:
        found = by_name
    elif not merchant:
        found = []
    amounts = {Decimal(m) for m in _AMOUNT_IN.findall(said.replace(",", ""))}
    if amounts:
        by_amount = [t for t in (found or debits) if -t.amount in amounts]
        found = by_amount
    return found


def _too_old(ctx: ActionContext, t: Transaction, policy: DisputePolicy) -> ActionResult:
    said = {
        "amount": money(-t.amount),
        "what": _what(t),
        "day": day(t.booked_at),
        "days": policy.max_age_days,
    }
    return ActionResult(
        ok=False, error="dispute_window_passed", replies=[Reply("utter_dispute_too_old", said)]
    )


def _label(ctx: ActionContext, prefix: str, value: str, known: Sequence[str]) -> str:
    return ctx.text(f"{prefix}_{value}") if value in known else value


@action(
    "validate_dispute_transaction",
    says={
        "utter_dispute_payment_not_found": ["said", "days"],
        "utter_dispute_which_of": ["count"],
        "utter_dispute_too_old": ["amount", "what", "day", "days"],
        "utter_dispute_case_exists": ["reference", "status"],
        **BUTTON,
        **STATUS_TEXTS,
        **table_says("dispute_payments", PAYMENT_COLUMNS),
        **BANK_UNAVAILABLE,
    },
    sets=["dispute_what", "dispute_day", "dispute_paid", "dispute_paid_amount"],
)
async def validate_dispute_transaction(ctx: ActionContext) -> ActionResult:
    said = str(ctx.slots.get("transaction") or "").strip()
    merchant = str(ctx.slots.get("merchant") or "").strip()
    try:
        policy = await ctx.bank.dispute_policy()
        debits = await _debits(ctx)
        by_id = [t for t in debits if t.id == said] if _TRANSACTION_ID.match(said) else []
        if not by_id:
            matched = _matches(said, merchant, debits)
            recent = _recent(matched, policy)
            if len(recent) > 1:
                reply = Reply(
                    "utter_dispute_which_of",
                    {"count": len(recent)},
                    _buttons(ctx, recent),
                    attachment=_payments_table(ctx, recent),
                )
                return ActionResult(ok=False, error="several_payments", replies=[reply])
            by_id = recent or matched[:1]
        if not by_id:
            reply = Reply(
                "utter_dispute_payment_not_found",
                {"said": said[:60], "days": policy.max_age_days},
                _buttons(ctx, _recent(debits, policy)),
            )
            return ActionResult(ok=False, error="payment_not_found", replies=[reply])
        chosen = by_id[0]
        if chosen.booked_at.date() < policy.earliest:
            return _too_old(ctx, chosen, policy)
        open_cases = await ctx.bank.list_cases(ctx.customer_id, "open")
    except BankError as exc:
        return bank_unavailable("validate_dispute_transaction", exc)
    existing = next((c for c in open_cases if c.transaction_id == chosen.id), None)
    if existing is not None:
        status = _label(ctx, "case_status", existing.status, STATUSES)
        reply = Reply(
            "utter_dispute_case_exists", {"reference": existing.reference, "status": status}
        )
        return ActionResult(ok=False, error="case_exists", replies=[reply])
    return ActionResult(
        slots={
            "transaction": chosen.id,
            "dispute_what": _what(chosen),
            "dispute_day": day(chosen.booked_at),
            "dispute_paid": money(-chosen.amount),
            "dispute_paid_amount": f"{-chosen.amount:.2f}",
        }
    )


def find_reason(said: object) -> str | None:
    text = " ".join(str(said or "").lower().replace("_", " ").split())
    if text.replace(" ", "_") in REASONS:
        return text.replace(" ", "_")
    for reason, pattern in _REASON_WORDS:
        if re.search(pattern, text):
            return reason
    return None


@action(
    "validate_dispute_reason",
    says={"utter_dispute_reason_unknown": [], **REASON_TEXTS},
    sets=["dispute_reason_text"],
)
async def validate_dispute_reason(ctx: ActionContext) -> ActionResult:
    reason = find_reason(ctx.slots.get("dispute_reason"))
    if reason is None:
        return ActionResult(
            ok=False, error="reason_unknown", replies=[Reply("utter_dispute_reason_unknown")]
        )
    return ActionResult(
        slots={
            "dispute_reason": reason,
            "dispute_reason_text": ctx.text(f"dispute_reason_{reason}"),
        }
    )


@action(
    "validate_dispute_amount",
    says={
        "utter_dispute_amount_too_much": ["dispute_paid", "amount"],
        "utter_dispute_amount_invalid": ["reason"],
        **AMOUNT_REASONS,
    },
    sets=["dispute_amount_text"],
)
async def validate_dispute_amount(ctx: ActionContext) -> ActionResult:
    said = str(ctx.slots.get("dispute_amount") or "").strip()
    paid = Decimal(str(ctx.slots.get("dispute_paid_amount") or "0"))
    if _WHOLE.match(said) or said.lower() in ("all of it please", "all please", "the lot please"):
        amount: Decimal | None = paid
    else:
        amount, reason = amount_problem(said)
        if amount is None:
            reply = Reply("utter_dispute_amount_invalid", {"reason": ctx.text(reason)})
            return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    if amount > paid:
        reply = Reply("utter_dispute_amount_too_much", {"amount": money(amount)})
        return ActionResult(ok=False, error="amount_too_much", replies=[reply])
    return ActionResult(
        slots={"dispute_amount": f"{amount:.2f}", "dispute_amount_text": money(amount)}
    )


@action(
    "open_dispute",
    says={
        "utter_dispute_opened": ["reference", "amount", "what"],
        "utter_dispute_refused_too_old": ["days"],
        "utter_dispute_refused_exists": [],
        "utter_dispute_refused": [],
        **BANK_UNAVAILABLE,
    },
    sets=["case_reference"],
)
async def open_dispute(ctx: ActionContext) -> ActionResult:
    amount = Decimal(str(ctx.slots["dispute_amount"]))
    try:
        case = await ctx.bank.open_case(
            ctx.customer_id,
            kind="dispute",
            reason=str(ctx.slots["dispute_reason"]),
            transaction_id=str(ctx.slots["transaction"]),
            amount=amount,
            idempotency_key=ctx.idempotency_key or "",
        )
    except BankRejected as exc:
        if exc.code == "dispute_window_passed":
            try:
                days = (await ctx.bank.dispute_policy()).max_age_days
            except BankError:
                days = 0
            reply = Reply("utter_dispute_refused_too_old", {"days": days})
        elif exc.code == "case_exists":
            reply = Reply("utter_dispute_refused_exists")
        else:
            reply = Reply("utter_dispute_refused")
        return ActionResult(ok=False, error=exc.code, replies=[reply])
    except BankError as exc:
        return bank_unavailable("open_dispute", exc)
    said = {"reference": case.reference, "amount": money(amount), "what": ctx.slots["dispute_what"]}
    audit = {"case_id": case.id, "reference": case.reference, "transaction_id": case.transaction_id}
    return ActionResult(
        replies=[Reply("utter_dispute_opened", said)],
        slots={"case_reference": case.reference},
        audit=audit,
    )


@action(
    "open_fraud_case",
    says={
        "utter_fraud_case_opened": ["reference", "card_label"],
        "utter_fraud_case_not_opened": ["card_label"],
    },
    sets=["case_reference"],
)
async def open_fraud_case(ctx: ActionContext) -> ActionResult:
    """After the freeze: a fraud case for the card (and the debit a flow knows of). If the
    bank will not open it, the customer still goes to a person, who opens it with them."""
    card_label = ctx.slots.get("card_label") or ""
    transaction = str(ctx.slots.get("transaction") or "").strip() or None
    reason = "card_stolen" if ctx.slots.get("freeze_reason") == "stolen" else "card_compromised"
    try:
        case = await ctx.bank.open_case(
            ctx.customer_id,
            kind="fraud",
            reason=reason,
            card_id=str(ctx.slots["card_id"]),
            transaction_id=transaction,
            idempotency_key=ctx.idempotency_key or "",
        )
    except BankError as exc:
        reply = Reply("utter_fraud_case_not_opened", {"card_label": card_label})
        audit = {"bank_error": getattr(exc, "code", type(exc).__name__)}
        return ActionResult(replies=[reply], audit=audit)
    reply = Reply(
        "utter_fraud_case_opened", {"reference": case.reference, "card_label": card_label}
    )
    audit = {"case_id": case.id, "reference": case.reference, "card_id": case.card_id}
    return ActionResult(replies=[reply], slots={"case_reference": case.reference}, audit=audit)


def _about(ctx: ActionContext, case: Case) -> str:
    if case.transaction_id and case.merchant:
        amount = case.amount if case.amount is not None else case.transaction_amount
        return ctx.text(
            "case_about_payment",
            amount=money(amount or Decimal("0")),
            what=case.merchant,
            day=day(case.booked_at) if case.booked_at else "",
        )
    return ctx.text("case_about_card")


def _case_vars(ctx: ActionContext, case: Case) -> dict[str, str]:
    return {
        "reference": case.reference,
        "kind": _label(ctx, "case_kind", case.kind, ("dispute", "fraud")),
        "about": _about(ctx, case),
        "opened": day(case.created_at),
        "status": _label(ctx, "case_status", case.status, STATUSES),
    }


@action(
    "case_status",
    says={
        "utter_no_cases": [],
        "utter_no_cases_for": ["merchant", "references"],
        "utter_case_status": ["kind", "reference", "about", "opened", "status", "next"],
        "utter_cases": ["lines"],
        "case_line": ["reference", "kind", "about", "opened", "status"],
        **STATUS_TEXTS,
        **ABOUT,
        **table_says("cases", CASE_COLUMNS),
        **BANK_UNAVAILABLE,
    },
)
async def case_status(ctx: ActionContext) -> ActionResult:
    """The customer's cases: one is told in full, several listed (open ones first)."""
    merchant = str(ctx.slots.get("merchant") or "").strip().lower()
    try:
        cases = await ctx.bank.list_cases(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("case_status", exc)
    if not cases:
        return ActionResult(replies=[Reply("utter_no_cases")])
    shown = cases
    if merchant:
        shown = [c for c in cases if c.merchant and merchant in c.merchant.lower()]
        if not shown:
            references = ", ".join(c.reference for c in cases)
            said = {"merchant": ctx.slots.get("merchant"), "references": references}
            return ActionResult(replies=[Reply("utter_no_cases_for", said)])
    shown = sorted(shown, key=lambda c: c.status in ("resolved", "rejected"))  # stable: newest
    if len(shown) == 1:
        case = shown[0]
        said = _case_vars(ctx, case)
        nxt = ctx.text(f"case_next_{case.status}") if case.status in STATUSES else ""
        return ActionResult(replies=[Reply("utter_case_status", {**said, "next": nxt})])
    rows = [_case_vars(ctx, c) for c in shown]
    lines = "\n".join(ctx.text("case_line", **row) for row in rows)
    attachment = table(ctx, "cases", CASE_COLUMNS, rows)
    return ActionResult(replies=[Reply("utter_cases", {"lines": lines}, attachment=attachment)])
