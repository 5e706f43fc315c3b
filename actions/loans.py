"""Loans, fixed-term deposits and applications for a loan or a credit card.

The bank keeps the loans and the deposits and decides applications (`bot.bank_loans`); these
handlers read what it holds, check what the customer says before anything is confirmed (a
deposit's term against the bank's rate table, its amount against that term's bounds and the
account's balance) and send each write once with the flow's idempotency key. Opening a deposit
is approved with a one-time code bound to the term, the amount and the account (the flow's
step_up); the bank debits the account and opens the deposit in one transaction.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from actions.formatting import account_label, day, money
from actions.lookup import find_account
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.validators import AMOUNT_REASONS, PAYABLE_KINDS
from bot.bank import (
    Account,
    Application,
    ApplicationDetails,
    BankError,
    BankRejected,
    BankUnavailable,
    DepositProduct,
    FixedDeposit,
    Loan,
)
from bot.handlers import ActionContext, ActionResult, Reply, action, find_deposit_terms

log = logging.getLogger("actions.loans")

MAX_MONEY = Decimal("100000000")
_NUMBER = re.compile(
    r"(?<![\w.])£?\s*(?P<n>\d[\d,]*(?:\.\d{1,2})?)\s*(?P<k>k\b|grand\b|thousand\b)?", re.I
)
_NOTHING = re.compile(
    r"^(?:£?0+(?:\.0+)?|nothing|none|zero|nil|no|n/a|nowt)$|\b(?:don'?t|do\s+not|dont)\s+pay\b"
    r"|\blive\s+with\b|\brent[-\s]free\b|\bmortgage[-\s]free\b|\bpaid\s+off\b|\boutright\b",
    re.I,
)


def read_money(raw: object, *, zero: bool = False) -> tuple[Decimal | None, str]:
    """An amount from an entity value or what the customer typed ("40k", "about £900 a
    month", "32,000"); with `zero`, "nothing" and "£0" are 0. (None, reason key) otherwise."""
    text = " ".join(str(raw if raw is not None else "").split())
    if zero and _NOTHING.search(text):
        return Decimal(0), ""
    found = _NUMBER.search(text)
    if found is None:
        return None, "amount_unreadable"
    try:
        amount = Decimal(found.group("n").replace(",", ""))
    except InvalidOperation:
        return None, "amount_unreadable"
    if found.group("k"):
        amount *= 1000
    if amount == 0 and zero:
        return Decimal(0), ""
    if amount <= 0:
        return None, "amount_not_positive"
    if amount != amount.quantize(Decimal("0.01")):
        return None, "amount_more_than_pence"
    if amount >= MAX_MONEY:
        return None, "amount_too_large"
    return amount, ""


def _rate(value: Decimal) -> str:
    return f"{value:.2f}"


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for day_of_month in range(start.day, 27, -1):
        try:
            return date(year, month, day_of_month)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))


def deposit_interest(amount: Decimal, rate: Decimal, months: int) -> Decimal:
    """As the bank works it out: AER paid at maturity, compounded yearly beyond a year."""
    yearly = rate / 100
    years, extra = divmod(months, 12)
    grown = amount * (1 + yearly) ** years * (1 + yearly * extra / 12)
    return (grown - amount).quantize(Decimal("0.01"))


# -- loans ----------------------------------------------------------------------------------


def _payments(ctx: ActionContext, count: int) -> str:
    return ctx.text("loan_payment_left" if count == 1 else "loan_payments_left", count=count)


def _in_days(ctx: ActionContext, when: date, today: date) -> str:
    days = (when - today).days
    if days <= 0:
        return ctx.text("loan_today")
    if days == 1:
        return ctx.text("loan_in_a_day")
    return ctx.text("loan_in_days", days=days)


NO_LOAN = {"utter_no_loan": [], "apply_loan_button": []}


def _no_loan(ctx: ActionContext) -> ActionResult:
    button = (ctx.text("apply_loan_button"), payload("apply_loan"))
    return ActionResult(replies=[Reply("utter_no_loan", {}, (button,))])


async def _loans(ctx: ActionContext) -> tuple[list[Loan], dict[str, Account]]:
    loans = await ctx.bank.list_loans(ctx.customer_id)
    accounts = {a.id: a for a in await ctx.bank.list_accounts(ctx.customer_id)} if loans else {}
    return loans, accounts


def _account_name(accounts: dict[str, Account], account_id: str) -> str:
    account = accounts.get(account_id)
    return account_label(account) if account else account_id


@action(
    "loan_summary",
    says={
        "utter_loan_balance": [
            "balance", "product", "purpose", "rate", "monthly", "account", "left", "next_date",
        ],
        "utter_loan_next_payment": [
            "product", "monthly", "next_date", "in_days", "account", "left_after",
        ],
        "loan_payments_left": ["count"],
        "loan_payment_left": ["count"],
        "loan_in_days": ["days"],
        "loan_in_a_day": [],
        "loan_today": [],
        **NO_LOAN,
        **BANK_UNAVAILABLE,
    },
)  # fmt: skip
async def loan_summary(ctx: ActionContext) -> ActionResult:
    """What is still owed (`loan_view` balance) or the next payment (next_payment)."""
    try:
        loans, accounts = await _loans(ctx)
    except BankError as exc:
        return bank_unavailable("loan_summary", exc)
    if not loans:
        return _no_loan(ctx)
    replies = []
    for loan in loans:
        said = {
            "product": loan.product.lower(),
            "monthly": money(loan.monthly_payment),
            "next_date": day(loan.next_payment),
            "account": _account_name(accounts, loan.account_id),
        }
        if ctx.slots.get("loan_view") == "next_payment":
            after = max(loan.payments_left - 1, 0)
            replies.append(
                Reply(
                    "utter_loan_next_payment",
                    said
                    | {
                        "in_days": _in_days(ctx, loan.next_payment, ctx.now.date()),
                        "left_after": _payments(ctx, after),
                    },
                )
            )
        else:
            replies.append(
                Reply(
                    "utter_loan_balance",
                    said
                    | {
                        "balance": money(loan.balance),
                        "purpose": loan.purpose.lower(),
                        "rate": f"{loan.rate}",
                        "left": _payments(ctx, loan.payments_left),
                    },
                )
            )
    return ActionResult(replies=replies)


@action(
    "loan_settlement_quote",
    says={
        "utter_loan_settlement": [
            "product", "total", "balance", "interest", "charge", "minutes", "until", "reference",
        ],
        "utter_loan_settlement_failed": [],
        **NO_LOAN,
        **BANK_UNAVAILABLE,
    },
)  # fmt: skip
async def loan_settlement_quote(ctx: ActionContext) -> ActionResult:
    """The bank's figure to pay each loan off today, and until when it holds."""
    try:
        loans = await ctx.bank.list_loans(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("loan_settlement_quote", exc)
    if not loans:
        return _no_loan(ctx)
    replies, audit = [], {}
    for loan in loans:
        try:
            quote = await ctx.bank.settlement_quote(
                ctx.customer_id, loan.id, f"{ctx.idempotency_key or ''}:{loan.id}"
            )
        except BankRejected as exc:
            log.warning("settlement quote refused (%s): %s", exc.code, exc)
            return ActionResult(
                ok=False, error=exc.code, replies=[Reply("utter_loan_settlement_failed")]
            )
        except BankError as exc:
            return bank_unavailable("loan_settlement_quote", exc)
        hold = quote.expires_at - quote.created_at  # timed from now, as an FX quote is
        until = ctx.now + hold
        replies.append(
            Reply(
                "utter_loan_settlement",
                {
                    "product": loan.product.lower(),
                    "total": money(quote.total),
                    "balance": money(quote.balance),
                    "interest": money(quote.interest),
                    "charge": money(quote.charge),
                    "minutes": max(1, round(hold.total_seconds() / 60)),
                    "until": f"{until:%H:%M} UTC on {day(until.date())}",
                    "reference": quote.id,
                },
            )
        )
        audit[loan.id] = {"quote_id": quote.id, "total": f"{quote.total:.2f}"}
    return ActionResult(replies=replies, audit=audit)


# -- deposit rates and deposits -------------------------------------------------------------


_PLAN_END = re.compile(r"for:(\d{1,3}):([my])")


def _term_said(ctx: ActionContext) -> object:
    """The term entity, else a plan's length ("for a year") the message gave instead."""
    return ctx.slots.get("deposit_term") or ctx.slots.get("plan_end")


def find_term(products: list[DepositProduct], said: object) -> DepositProduct | None:
    """The product for "12", "12 months", "a year" (the deposit_term entity's value is the
    number of months; what the customer typed is read the same way)."""
    text = str(said or "").strip()
    if not text:
        return None
    if plan := _PLAN_END.fullmatch(text):  # "for a year" is read as how long a plan runs
        count = int(plan.group(1))
        text = str(count * 12 if plan.group(2) == "y" else count)
    if not text.isdigit():
        found = find_deposit_terms(text)
        text = str(found[0].value) if found else text
    if not text.isdigit():
        return None
    return next((p for p in products if p.term_months == int(text)), None)


def _term_text(ctx: ActionContext, months: int) -> str:
    return ctx.text("deposit_term_months", months=months)


def _rate_lines(ctx: ActionContext, products: list[DepositProduct]) -> str:
    return "\n".join(
        ctx.text("deposit_rate_line", term=_term_text(ctx, p.term_months), rate=_rate(p.rate))
        for p in products
    )


def _term_buttons(
    ctx: ActionContext, products: list[DepositProduct], intent: str
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (
            ctx.text("deposit_term_button", months=p.term_months, rate=_rate(p.rate)),
            payload(intent, deposit_term=str(p.term_months)),
        )
        for p in products
    )


RATE_TEXTS = {
    "deposit_rate_line": ["term", "rate"],
    "deposit_term_months": ["months"],
    "deposit_term_button": ["months", "rate"],
}


@action(
    "deposit_rates",
    says={
        "utter_deposit_rates": ["lines", "minimum", "maximum"],
        "utter_deposit_rate": ["term", "rate", "minimum", "maximum", "example", "interest"],
        "utter_deposit_rate_unknown": ["said", "lines"],
        "open_deposit_button": [],
        **RATE_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def deposit_rates(ctx: ActionContext) -> ActionResult:
    """The public rate table, or one term's rate with what an example amount would earn."""
    try:
        products = await ctx.bank.deposit_products()
    except BankError as exc:
        return bank_unavailable("deposit_rates", exc)
    said = _term_said(ctx)
    if said:
        product = find_term(products, said)
        if product is None:
            reply = Reply(
                "utter_deposit_rate_unknown",
                {"said": _said_term(ctx, said), "lines": _rate_lines(ctx, products)},
                _term_buttons(ctx, products, "deposit_rates"),
            )
            return ActionResult(replies=[reply])
        example = min(max(Decimal(10000), product.minimum), product.maximum)
        button = (
            ctx.text("open_deposit_button"),
            payload("open_deposit", deposit_term=str(product.term_months)),
        )
        reply = Reply(
            "utter_deposit_rate",
            {
                "term": _term_text(ctx, product.term_months),
                "rate": _rate(product.rate),
                "minimum": money(product.minimum),
                "maximum": money(product.maximum),
                "example": money(example),
                "interest": money(deposit_interest(example, product.rate, product.term_months)),
            },
            (button,),
        )
        return ActionResult(replies=[reply])
    lowest = min((p.minimum for p in products), default=Decimal(0))
    highest = max((p.maximum for p in products), default=Decimal(0))
    reply = Reply(
        "utter_deposit_rates",
        {"lines": _rate_lines(ctx, products), "minimum": money(lowest), "maximum": money(highest)},
        ((ctx.text("open_deposit_button"), payload("open_deposit")),),
    )
    return ActionResult(replies=[reply])


def _said_term(ctx: ActionContext, said: object) -> str:
    text = str(said).strip()
    if plan := _PLAN_END.fullmatch(text):
        count = int(plan.group(1))
        text = str(count * 12 if plan.group(2) == "y" else count)
    return _term_text(ctx, int(text)) if text.isdigit() else text


@action(
    "offer_deposit_terms",
    says={**RATE_TEXTS, **BANK_UNAVAILABLE},
    sets=["deposit_rate_lines"],
)
async def offer_deposit_terms(ctx: ActionContext) -> ActionResult:
    """The rate table the term question shows; the bank unreachable stops the flow here."""
    try:
        products = await ctx.bank.deposit_products()
    except BankError as exc:
        return bank_unavailable("offer_deposit_terms", exc)
    return ActionResult(slots={"deposit_rate_lines": _rate_lines(ctx, products)})


FIGURES = ["interest_text", "maturity_text", "source_balance_after"]


def _figures(ctx: ActionContext, slots: dict[str, Any], product: DepositProduct) -> dict[str, Any]:
    """What the confirm shows once the amount is known: recomputed when the term changes."""
    amount = slots.get("amount")
    if not amount or slots.get("source_balance_value") in (None, ""):
        return {}
    value = Decimal(str(amount))
    balance = Decimal(str(slots["source_balance_value"]))
    return {
        "interest_text": money(deposit_interest(value, product.rate, product.term_months)),
        "maturity_text": day(add_months(ctx.now.date(), product.term_months)),
        "source_balance_after": money(balance - value),
    }


def _product_slots(ctx: ActionContext, product: DepositProduct) -> dict[str, Any]:
    return {
        "deposit_term": str(product.term_months),
        "deposit_term_text": _term_text(ctx, product.term_months),
        "deposit_rate": _rate(product.rate),
        "deposit_min": money(product.minimum),
        "deposit_max": money(product.maximum),
    }


@action(
    "validate_deposit_term",
    says={"utter_deposit_term_unknown": ["said", "terms"], **RATE_TEXTS, **BANK_UNAVAILABLE},
    sets=["deposit_term_text", "deposit_rate", "deposit_min", "deposit_max", *FIGURES],
)
async def validate_deposit_term(ctx: ActionContext) -> ActionResult:
    try:
        products = await ctx.bank.deposit_products()
    except BankError as exc:
        return bank_unavailable("validate_deposit_term", exc)
    said = _term_said(ctx)
    if not said:
        return ActionResult(ok=False, error="term_not_said")  # the question is asked
    product = find_term(products, said)
    if product is None:
        terms = ", ".join(_term_text(ctx, p.term_months) for p in products)
        reply = Reply(
            "utter_deposit_term_unknown",
            {"said": _said_term(ctx, said), "terms": terms},
            _term_buttons(ctx, products, "inform"),
        )
        return ActionResult(ok=False, error="term_unknown", replies=[reply])
    slots = _product_slots(ctx, product)
    return ActionResult(slots=slots | _figures(ctx, {**ctx.slots, **slots}, product))


def _account_buttons(
    accounts: list[Account], balances: dict[str, Decimal]
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"{account_label(a)}", payload("inform", source_account=f"ending:{a.last4}"))
        for a in accounts
    )


@action(
    "validate_deposit_source",
    says={
        "utter_deposit_accounts": ["accounts"],
        "deposit_account_line": ["account", "balance"],
        "utter_deposit_source_ineligible": ["account"],
        **BANK_UNAVAILABLE,
    },
    sets=[
        "source_account_id", "source_account_name", "source_balance", "source_balance_value",
        *FIGURES,
    ],
)  # fmt: skip
async def validate_deposit_source(ctx: ActionContext) -> ActionResult:
    """The current or savings account that pays for the deposit; not said, the customer
    picks (the balances shown), unless there is only one."""
    said = str(ctx.slots.get("source_account") or ctx.slots.get("account") or "").strip()
    try:
        accounts = await ctx.bank.list_accounts(ctx.customer_id)
        balances = {b.account_id: b.amount for b in await ctx.bank.get_balances(ctx.customer_id)}
    except BankError as exc:
        return bank_unavailable("validate_deposit_source", exc)
    payable = [a for a in accounts if a.kind in PAYABLE_KINDS]
    account = find_account(accounts, said) if said else None
    if account is None and not said and len(payable) == 1:
        account = payable[0]
    if account is None:
        lines = "\n".join(
            ctx.text(
                "deposit_account_line",
                account=account_label(a),
                balance=money(balances.get(a.id, Decimal(0))),
            )
            for a in payable
        )
        reply = Reply("utter_deposit_accounts", {"accounts": lines}, _account_buttons(payable, {}))
        return ActionResult(ok=False, error="account_not_chosen", replies=[reply])
    if account.kind not in PAYABLE_KINDS:
        reply = Reply(
            "utter_deposit_source_ineligible",
            {"account": account_label(account)},
            _account_buttons(payable, {}),
        )
        return ActionResult(ok=False, error="account_not_eligible", replies=[reply])
    balance = balances.get(account.id, Decimal(0))
    slots = {
        "source_account": f"ending:{account.last4}",
        "source_account_id": account.id,
        "source_account_name": account_label(account),
        "source_balance": money(balance),
        "source_balance_value": f"{balance:.2f}",
    }
    product = await _product_of(ctx)
    figures = _figures(ctx, {**ctx.slots, **slots}, product) if product else {}
    return ActionResult(slots=slots | figures)


async def _product_of(ctx: ActionContext) -> DepositProduct | None:
    try:
        products = await ctx.bank.deposit_products()
    except BankError:
        return None
    return find_term(products, ctx.slots.get("deposit_term"))


@action(
    "validate_deposit_amount",
    says={
        "utter_deposit_amount_invalid": ["reason"],
        "utter_deposit_out_of_bounds": ["term", "minimum", "maximum", "amount"],
        "utter_deposit_too_much": ["account", "balance", "amount"],
        "deposit_term_months": ["months"],
        **AMOUNT_REASONS,
        **BANK_UNAVAILABLE,
    },
    sets=["amount_text", *FIGURES],
)
async def validate_deposit_amount(ctx: ActionContext) -> ActionResult:
    """Within the term's bounds and no more than the account holds, or nothing is confirmed."""
    amount, reason = read_money(ctx.slots.get("amount"))
    if amount is None:
        reply = Reply("utter_deposit_amount_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    try:
        products = await ctx.bank.deposit_products()
        balances = await ctx.bank.get_balances(ctx.customer_id, str(ctx.slots["source_account_id"]))
    except BankError as exc:
        return bank_unavailable("validate_deposit_amount", exc)
    product = find_term(products, ctx.slots.get("deposit_term"))
    if product is None:  # the table changed under the flow: the term's step asks again
        return ActionResult(ok=False, error="term_unknown")
    if not product.minimum <= amount <= product.maximum:
        said = {
            "term": _term_text(ctx, product.term_months),
            "minimum": money(product.minimum),
            "maximum": money(product.maximum),
            "amount": money(amount),
        }
        return ActionResult(
            ok=False,
            error="amount_out_of_bounds",
            replies=[Reply("utter_deposit_out_of_bounds", said)],
        )
    balance = balances[0].amount if balances else Decimal(0)
    if amount > balance:
        said = {
            "account": str(ctx.slots.get("source_account_name") or ""),
            "balance": money(balance),
            "amount": money(amount),
        }
        return ActionResult(
            ok=False, error="insufficient_funds", replies=[Reply("utter_deposit_too_much", said)]
        )
    slots = {"amount": f"{amount:.2f}", "amount_text": money(amount)}
    figures = _figures(ctx, {**ctx.slots, **slots, "source_balance_value": f"{balance}"}, product)
    return ActionResult(slots=slots | figures)


DEPOSIT_SAID = ["amount_text", "deposit_term_text", "source_account_name"]


@action(
    "open_fixed_deposit",
    says={
        "utter_deposit_opened": [
            "term", "amount", "rate", "maturity", "interest", "payout", "source",
            "balance_after", "reference",
        ],
        "utter_deposit_refused_funds": DEPOSIT_SAID,
        "utter_deposit_refused_bounds": DEPOSIT_SAID,
        "utter_deposit_rejected": [],
        "utter_deposit_unconfirmed": DEPOSIT_SAID,
        "deposit_term_months": ["months"],
        **BANK_UNAVAILABLE,
    },
)  # fmt: skip
async def open_fixed_deposit(ctx: ActionContext) -> ActionResult:
    """Exactly what was confirmed and approved, once (the code's idempotency key)."""
    missing = [n for n in ("deposit_term", "amount", "source_account_id") if not ctx.slots.get(n)]
    if missing or not ctx.idempotency_key:
        raise ValueError(f"opening a deposit needs slots {missing} and an idempotency key")
    said = {name: ctx.slots.get(name, "") for name in DEPOSIT_SAID}
    amount = Decimal(str(ctx.slots["amount"]))
    audit: dict[str, Any] = {
        "term_months": int(str(ctx.slots["deposit_term"])),
        "amount": f"{amount:.2f}",
        "source_account_id": str(ctx.slots["source_account_id"]),
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        deposit = await ctx.bank.open_fixed_deposit(
            ctx.customer_id,
            term_months=int(str(ctx.slots["deposit_term"])),
            amount=amount,
            source_account_id=str(ctx.slots["source_account_id"]),
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        key = {
            "insufficient_funds": "utter_deposit_refused_funds",
            "amount_out_of_bounds": "utter_deposit_refused_bounds",
            "term_unknown": "utter_deposit_refused_bounds",
        }.get(exc.code, "utter_deposit_rejected")
        return ActionResult(
            ok=False,
            error=exc.code,
            replies=[Reply(key, said if key != "utter_deposit_rejected" else {})],
            audit=audit | {"bank_code": exc.code},
        )
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        log.warning("open deposit: bank error (%s): %s", "not sent" if unsent else "unknown", exc)
        key = "utter_bank_unavailable" if unsent else "utter_deposit_unconfirmed"
        return ActionResult(
            ok=False,
            error="bank_unavailable",
            replies=[Reply(key, said if not unsent else {})],
            audit=audit | {"bank_error": type(exc).__name__, "outcome_unknown": not unsent},
        )
    accounts = {a.id: a for a in await _accounts_or_none(ctx)}
    reply = Reply(
        "utter_deposit_opened",
        {
            "term": _term_text(ctx, deposit.term_months),
            "amount": money(deposit.balance),
            "rate": _rate(deposit.rate),
            "maturity": day(deposit.matures_on),
            "interest": money(deposit.interest_at_maturity),
            "payout": _account_name(accounts, deposit.payout_account_id),
            "source": _account_name(accounts, deposit.source_account_id),
            "balance_after": money(deposit.source_balance_after or Decimal(0)),
            "reference": deposit.id,
        },
    )
    return ActionResult(replies=[reply], audit=audit | {"deposit_id": deposit.id})


async def _accounts_or_none(ctx: ActionContext) -> list[Account]:
    try:
        return await ctx.bank.list_accounts(ctx.customer_id)
    except BankError:
        return []


def _deposit_line(ctx: ActionContext, deposit: FixedDeposit, accounts: dict[str, Account]) -> str:
    then = (
        ctx.text("deposit_then_renew")
        if deposit.at_maturity == "renew"
        else ctx.text(
            "deposit_then_pay_out", account=_account_name(accounts, deposit.payout_account_id)
        )
    )
    return ctx.text(
        "deposit_line",
        amount=money(deposit.balance),
        term=ctx.text("deposit_term_months", months=deposit.term_months).replace("-", " ") + "s",
        rate=_rate(deposit.rate),
        maturity=day(deposit.matures_on),
        interest=money(deposit.interest_at_maturity),
        then=then,
        reference=deposit.id,
    )


@action(
    "list_fixed_deposits",
    says={
        "utter_deposits": ["lines"],
        "deposit_line": ["amount", "term", "rate", "maturity", "interest", "then", "reference"],
        "deposit_then_pay_out": ["account"],
        "deposit_then_renew": [],
        "deposit_term_months": ["months"],
        "utter_no_deposits": [],
        "open_deposit_button": [],
        **BANK_UNAVAILABLE,
    },
)
async def list_fixed_deposits(ctx: ActionContext) -> ActionResult:
    try:
        deposits = await ctx.bank.list_fixed_deposits(ctx.customer_id)
        accounts = {a.id: a for a in await ctx.bank.list_accounts(ctx.customer_id)}
    except BankError as exc:
        return bank_unavailable("list_fixed_deposits", exc)
    button = ((ctx.text("open_deposit_button"), payload("open_deposit")),)
    if not deposits:
        return ActionResult(replies=[Reply("utter_no_deposits", {}, button)])
    lines = "\n".join(_deposit_line(ctx, d, accounts) for d in deposits)
    return ActionResult(replies=[Reply("utter_deposits", {"lines": lines}, button)])


# -- applications ---------------------------------------------------------------------------

PRODUCT_TEXTS = {"product_personal_loan": [], "product_credit_card": []}
PURPOSES = {
    "car": r"car|van|vehicle|motor|motorbike|motorcycle",
    "home_improvements": r"home|house|kitchen|bathroom|extension|renovat\w*|improv\w*|garden"
    r"|roof|decorat\w*|diy|conservatory|loft|boiler",
    "debt_consolidation": r"debts?|consolidat\w*|credit\s+cards?|pay\s+off|overdraft|bills",
    "holiday": r"holiday|travel|trip|honeymoon|vacation",
    "wedding": r"wedding|marriage|getting\s+married",
    "education": r"education|course|studies|tuition|university|uni|college|training",
    "other": r"other|something\s+else|personal|misc\w*",
}
_PURPOSE = re.compile(
    "|".join(rf"(?P<{key}>\b(?:{words})\b)" for key, words in PURPOSES.items()), re.I
)
EMPLOYMENT = {
    "self_employed": r"self[-\s]?employed|freelanc\w*|contractor|sole\s+trader|own\s+business"
    r"|my\s+own\s+boss|run\s+my\s+own",
    "unemployed": r"unemployed|not\s+working|jobless|out\s+of\s+work|between\s+jobs"
    r"|no\s+job|don'?t\s+work|do\s+not\s+work|benefits",
    "retired": r"retired|pension\w*|retiree",
    "student": r"student|studying|at\s+uni\w*|university|college",
    "employed": r"employed|employee|full[-\s]?time|part[-\s]?time|work\s+for|work\s+at|job"
    r"|working|permanent|salaried|nhs|teacher|nurse|engineer|i\s+work",
}
_EMPLOYMENT = re.compile(
    "|".join(rf"(?P<{key}>\b(?:{words})\b)" for key, words in EMPLOYMENT.items()), re.I
)
EMPLOYMENT_TEXTS = {f"employment_{key}": [] for key in EMPLOYMENT}
PURPOSE_TEXTS = {f"purpose_{key}": [] for key in PURPOSES}


def _product_name(ctx: ActionContext, product: str) -> str:
    return ctx.text(f"product_{product}")


@action(
    "check_open_application",
    says={
        "utter_application_waiting": ["product", "reference", "date"],
        **PRODUCT_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=["loan_min", "loan_max", "loan_min_value", "loan_max_value"],
)
async def check_open_application(ctx: ActionContext) -> ActionResult:
    """Before the questions: an application of the same kind still with a colleague stops
    here (the bank would refuse a second); for a loan, the bounds the amount question says."""
    product = str(ctx.slots.get("product") or "personal_loan")
    try:
        applications = await ctx.bank.list_applications(ctx.customer_id)
        loan = await ctx.bank.loan_product() if product == "personal_loan" else None
    except BankError as exc:
        return bank_unavailable("check_open_application", exc)
    waiting = next(
        (a for a in applications if a.product == product and a.status == "UnderReview"), None
    )
    if waiting is not None:
        said = {
            "product": _product_name(ctx, product),
            "reference": waiting.id,
            "date": day(waiting.created_at.date()),
        }
        return ActionResult(
            ok=False,
            error="application_in_progress",
            replies=[Reply("utter_application_waiting", said)],
        )
    if loan is None:
        return ActionResult()
    return ActionResult(
        slots={
            "loan_min": money(loan.minimum),
            "loan_max": money(loan.maximum),
            "loan_min_value": f"{loan.minimum:.2f}",
            "loan_max_value": f"{loan.maximum:.2f}",
        }
    )


@action(
    "validate_loan_amount",
    says={
        "utter_loan_amount_invalid": ["reason"],
        "utter_loan_amount_out_of_bounds": ["minimum", "maximum", "amount"],
        **AMOUNT_REASONS,
    },
    sets=["amount_text"],
)
async def validate_loan_amount(ctx: ActionContext) -> ActionResult:
    amount, reason = read_money(ctx.slots.get("amount"))
    if amount is None:
        reply = Reply("utter_loan_amount_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    low = Decimal(str(ctx.slots.get("loan_min_value") or "0"))
    high = Decimal(str(ctx.slots.get("loan_max_value") or MAX_MONEY))
    if not low <= amount <= high:
        said = {"minimum": money(low), "maximum": money(high), "amount": money(amount)}
        return ActionResult(
            ok=False,
            error="amount_out_of_bounds",
            replies=[Reply("utter_loan_amount_out_of_bounds", said)],
        )
    return ActionResult(slots={"amount": f"{amount:.2f}", "amount_text": money(amount)})


@action("validate_loan_purpose", says=PURPOSE_TEXTS, sets=["loan_purpose_text"])
async def validate_loan_purpose(ctx: ActionContext) -> ActionResult:
    """A button's key, or the kind of purpose the customer's words name; anything else is
    "something else" (the bank does not decide on the purpose)."""
    said = str(ctx.slots.get("loan_purpose") or "").strip()
    key = said if said in PURPOSES else None
    if key is None:
        found = _PURPOSE.search(said.replace("_", " "))
        key = found.lastgroup if found and found.lastgroup else "other"
    return ActionResult(
        slots={"loan_purpose": key, "loan_purpose_text": ctx.text(f"purpose_{key}")}
    )


@action(
    "validate_annual_income",
    says={"utter_income_invalid": ["reason"], **AMOUNT_REASONS},
    sets=["annual_income_text"],
)
async def validate_annual_income(ctx: ActionContext) -> ActionResult:
    amount, reason = read_money(ctx.slots.get("annual_income"))
    if amount is None:
        reply = Reply("utter_income_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="income_invalid", replies=[reply])
    return ActionResult(
        slots={"annual_income": f"{amount:.2f}", "annual_income_text": money(amount)}
    )


@action(
    "validate_employment_status",
    says={"utter_employment_unknown": [], **EMPLOYMENT_TEXTS},
    sets=["employment_text"],
)
async def validate_employment_status(ctx: ActionContext) -> ActionResult:
    said = str(ctx.slots.get("employment_status") or "").strip()
    key = said if said in EMPLOYMENT else None
    if key is None:
        found = _EMPLOYMENT.search(said.replace("_", " "))
        key = found.lastgroup if found else None
    if key is None:
        return ActionResult(
            ok=False, error="employment_unknown", replies=[Reply("utter_employment_unknown")]
        )
    return ActionResult(
        slots={"employment_status": key, "employment_text": ctx.text(f"employment_{key}")}
    )


@action(
    "validate_housing_costs",
    says={"utter_housing_invalid": ["reason"], **AMOUNT_REASONS},
    sets=["housing_costs_text"],
)
async def validate_housing_costs(ctx: ActionContext) -> ActionResult:
    amount, reason = read_money(ctx.slots.get("housing_costs"), zero=True)
    if amount is None:
        reply = Reply("utter_housing_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="housing_invalid", replies=[reply])
    return ActionResult(
        slots={"housing_costs": f"{amount:.2f}", "housing_costs_text": money(amount)}
    )


WHY = ("income_too_low", "housing_costs_too_high", "amount_too_high_for_income")


@action(
    "submit_application",
    says={
        "utter_loan_approved": ["amount", "rate", "reference"],
        "utter_card_approved": ["limit", "reference"],
        "utter_application_referred": ["product", "reference"],
        "utter_application_declined": ["product", "why", "reference"],
        "utter_application_in_progress": ["product"],
        "utter_application_refused": [],
        "utter_application_unconfirmed": [],
        **{f"why_{reason}": [] for reason in (*WHY, "other")},
        **PRODUCT_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def submit_application(ctx: ActionContext) -> ActionResult:
    """Send what the customer told us once; say the bank's decision and its reference."""
    product = str(ctx.slots.get("product") or "personal_loan")
    loan = product == "personal_loan"
    details = ApplicationDetails(
        product=product,
        annual_income=Decimal(str(ctx.slots["annual_income"])),
        employment_status=str(ctx.slots["employment_status"]),
        housing_costs=Decimal(str(ctx.slots["housing_costs"])),
        amount=Decimal(str(ctx.slots["amount"])) if loan else None,
        purpose=str(ctx.slots.get("loan_purpose") or "") if loan else None,
    )
    name = _product_name(ctx, product)
    try:
        application = await ctx.bank.apply_for_product(
            ctx.customer_id, details, ctx.idempotency_key or ""
        )
    except BankRejected as exc:
        if exc.code == "application_in_progress":
            reply = Reply("utter_application_in_progress", {"product": name})
        else:
            reply = Reply("utter_application_refused")
        audit = {"bank_code": exc.code}
        return ActionResult(ok=False, error=exc.code, replies=[reply], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        reply = Reply("utter_bank_unavailable" if unsent else "utter_application_unconfirmed")
        return ActionResult(
            ok=False,
            error="bank_unavailable",
            replies=[reply],
            audit={"bank_error": type(exc).__name__, "outcome_unknown": not unsent},
        )
    audit = {"application_id": application.id, "status": application.status}
    return ActionResult(replies=[_decision(ctx, application, name)], audit=audit)


def _decision(ctx: ActionContext, application: Application, name: str) -> Reply:
    if application.status == "Approved":
        if application.product == "credit_card":
            return Reply(
                "utter_card_approved",
                {"limit": money(application.credit_limit or 0), "reference": application.id},
            )
        return Reply(
            "utter_loan_approved",
            {
                "amount": money(application.amount or 0),
                "rate": f"{application.rate}",
                "reference": application.id,
            },
        )
    if application.status == "UnderReview":
        return Reply("utter_application_referred", {"product": name, "reference": application.id})
    why = application.reason if application.reason in WHY else "other"
    return Reply(
        "utter_application_declined",
        {"product": name, "why": ctx.text(f"why_{why}"), "reference": application.id},
    )


STATUS = {"Approved": "status_approved", "UnderReview": "status_under_review"}


@action(
    "application_status",
    says={
        "utter_applications": ["lines"],
        "application_line": ["what", "date", "status", "reference"],
        "application_loan_what": ["amount"],
        "application_card_what": [],
        "status_approved": [],
        "status_under_review": [],
        "status_declined": [],
        "utter_no_applications": [],
        "apply_loan_button": [],
        "apply_card_button": [],
        **BANK_UNAVAILABLE,
    },
)
async def application_status(ctx: ActionContext) -> ActionResult:
    """The customer's applications, newest first (the last five)."""
    try:
        applications = await ctx.bank.list_applications(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("application_status", exc)
    if not applications:
        buttons = (
            (ctx.text("apply_loan_button"), payload("apply_loan")),
            (ctx.text("apply_card_button"), payload("apply_credit_card")),
        )
        return ActionResult(replies=[Reply("utter_no_applications", {}, buttons)])
    lines = []
    for a in applications[:5]:
        what = (
            ctx.text("application_loan_what", amount=money(a.amount or 0))
            if a.product == "personal_loan"
            else ctx.text("application_card_what")
        )
        lines.append(
            ctx.text(
                "application_line",
                what=what,
                date=day(a.created_at.date()),
                status=ctx.text(STATUS.get(a.status, "status_declined")),
                reference=a.id,
            )
        )
    return ActionResult(replies=[Reply("utter_applications", {"lines": "\n".join(lines)})])
