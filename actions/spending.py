"""Spending and income totals: by merchant, category and period, against the period before.

Totals are the bank's own rows added up: every booked transaction in the period, money out
for spending and money in for income. A transfer between two of the customer's own
accounts (a credit-card repayment too) is neither: the bank books it as one transaction on
both accounts, so a transaction id seen twice is left out.
"""

from __future__ import annotations

import asyncio
import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

from actions.accounts import dates_from_slots
from actions.formatting import day, money
from actions.lookup import find_account
from actions.replies import ACCOUNT_NOT_FOUND, BANK_UNAVAILABLE, account_not_found, bank_unavailable
from bot.bank import Bank, BankError, Transaction
from bot.handlers import ActionContext, ActionResult, Reply, action

CATEGORY_FILE = Path(__file__).parent / "data" / "merchant_categories.yml"
OTHER = "other"
TOP = 3
# The bank answers at most this many rows a call: more than any customer books in a month.
MAX_ROWS = 500


@cache
def categories() -> dict[str, str]:
    """Merchant category code -> spending category, from the data file."""
    raw = yaml.safe_load(CATEGORY_FILE.read_text(encoding="utf-8"))
    by_code: dict[str, str] = {}
    for name, codes in raw.items():
        for code in codes:
            low, _, high = str(code).partition("-")
            for number in range(int(low), int(high or low) + 1):
                by_code.setdefault(f"{number:04d}", name)
    return by_code


def category_of(txn: Transaction) -> str:
    return categories().get(txn.merchant_category or "", OTHER)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def whole_month(self) -> bool:
        last = calendar.monthrange(self.end.year, self.end.month)[1]
        return self.start.day == 1 and self.end == self.start.replace(day=last)

    def before(self) -> Period:
        """The month before a whole month (or the same days of it, month to date); else the
        same number of days just before."""
        if self.start.day == 1 and self.start.month == self.end.month:
            first = (self.start - timedelta(days=1)).replace(day=1)
            last = calendar.monthrange(first.year, first.month)[1]
            return Period(
                first, first.replace(day=last if self.whole_month else min(self.end.day, last))
            )
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return Period(end - length, end)


def _period(ctx: ActionContext) -> Period:
    start, end = dates_from_slots(ctx.slots)
    today = ctx.now.date()
    if start is None and end is None:
        return Period(today.replace(day=1), today)
    return Period(start or (end or today).replace(day=1), end or today)


def _when(ctx: ActionContext, period: Period) -> str:
    today = ctx.now.date()
    if period.start == today.replace(day=1) and period.end == today:
        return ctx.text("period_this_month")
    if period.whole_month:
        return ctx.text("period_month", month=f"{period.start:%B %Y}")
    if period.start == period.end:
        return ctx.text("period_day", day=day(period.start))
    return ctx.text("period_range", start=day(period.start), end=day(period.end))


async def _rows(
    bank: Bank, customer_id: str, period: Period, account_id: str | None, merchant: str | None
) -> list[Transaction]:
    """Every account's rows, so a transfer between two of them is seen on both and left out,
    then those of `account_id` when one is named."""
    found = await bank.list_transactions(
        customer_id, start=period.start, end=period.end, merchant=merchant, limit=MAX_ROWS
    )
    seen = Counter(t.id for t in found)
    return [
        t for t in found if seen[t.id] == 1 and (account_id is None or t.account_id == account_id)
    ]


def _matching(rows: list[Transaction], outgoing: bool, category: str) -> list[Transaction]:
    return [
        t
        for t in rows
        if (t.amount < 0) == outgoing and (not category or category_of(t) == category)
    ]


def _total(rows: list[Transaction]) -> Decimal:
    return sum((abs(t.amount) for t in rows), Decimal("0"))


def _breakdown(ctx: ActionContext, rows: list[Transaction]) -> str:
    by_category: dict[str, Decimal] = {}
    for txn in rows:
        name = category_of(txn)
        by_category[name] = by_category.get(name, Decimal("0")) + abs(txn.amount)
    top = sorted(by_category.items(), key=lambda item: item[1], reverse=True)[:TOP]
    return "\n".join(
        ctx.text("spending_line", category=ctx.text(f"category_{name}"), amount=money(amount))
        for name, amount in top
    )


def _compared(ctx: ActionContext, now: Decimal, before: Decimal, when: str) -> str:
    if before == now:
        return ctx.text("spending_same", when=when)
    key = "spending_more" if now > before else "spending_less"
    return ctx.text(key, difference=money(abs(now - before)), when=when, before=money(before))


CATEGORY_TEXTS = {f"category_{name}": [] for name in {*categories().values(), OTHER}}


@action(
    "spending_summary",
    says={
        "utter_spending": ["direction", "total", "count", "scope", "when", "compared"],
        "utter_spending_breakdown": [
            "direction",
            "total",
            "count",
            "scope",
            "when",
            "compared",
            "lines",
        ],
        "utter_no_spending": ["direction", "scope", "when", "compared"],
        "utter_history_date_invalid": [],
        "spent": [],
        "received": [],
        "scope_merchant": ["merchant"],
        "scope_category": ["category"],
        "scope_account": ["account"],
        "period_month": ["month"],
        "period_this_month": [],
        "payment_one": ["count"],
        "payments": ["count"],
        "period_day": ["day"],
        "period_range": ["start", "end"],
        "spending_line": ["category", "amount"],
        "spending_more": ["difference", "when", "before"],
        "spending_less": ["difference", "when", "before"],
        "spending_same": ["when"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
        **ACCOUNT_NOT_FOUND,
    },
)
async def spending_summary(ctx: ActionContext) -> ActionResult:
    """How much went out (or, with direction "in", came in), with the period before."""
    outgoing = ctx.slots.get("direction") != "in"
    merchant = str(ctx.slots.get("merchant") or "").strip()
    category = str(ctx.slots.get("category") or "").strip()
    reference = str(ctx.slots.get("account") or "").strip()
    try:
        period = _period(ctx)
    except (ValueError, TypeError):
        reply = Reply("utter_history_date_invalid")
        return ActionResult(ok=False, error="date_invalid", replies=[reply])
    earlier = period.before()
    try:
        account = None
        if reference:
            accounts = await ctx.bank.list_accounts(ctx.customer_id)
            account = find_account(accounts, reference)
            if account is None:
                return account_not_found(reference, accounts, "spending_summary")
        account_id = account.id if account else None
        rows, rows_before = await asyncio.gather(
            *(
                _rows(ctx.bank, ctx.customer_id, p, account_id, merchant or None)
                for p in (period, earlier)
            )
        )
    except BankError as exc:
        return bank_unavailable("spending_summary", exc)
    found = _matching(rows, outgoing, category)
    total, total_before = _total(found), _total(_matching(rows_before, outgoing, category))
    scope = "".join(
        f" {ctx.text(key, **{name: value})}"
        for key, name, value in (
            ("scope_merchant", "merchant", merchant),
            ("scope_category", "category", ctx.text(f"category_{category}") if category else ""),
            ("scope_account", "account", account.name if account else ""),
        )
        if value
    )
    said = {
        "direction": ctx.text("spent" if outgoing else "received"),
        "scope": scope,
        "when": _when(ctx, period),
        "compared": _compared(ctx, total, total_before, _when(ctx, earlier)),
    }
    audit = {"start": period.start.isoformat(), "end": period.end.isoformat(), "rows": len(found)}
    if not found:
        return ActionResult(replies=[Reply("utter_no_spending", said)], audit=audit)
    said |= {
        "total": money(total),
        "count": ctx.text("payment_one" if len(found) == 1 else "payments", count=len(found)),
    }
    if outgoing and not merchant and not category:
        said["lines"] = _breakdown(ctx, found)
        return ActionResult(replies=[Reply("utter_spending_breakdown", said)], audit=audit)
    return ActionResult(replies=[Reply("utter_spending", said)], audit=audit)
