"""Statements (PDF or CSV) and spending charts (PNG), made from the bank's rows on request.

A statement is the bank's ledger for one account and whole days (`Bank.account_statement`):
opening and closing balance, every booked row with the balance after it, money in and out.
No period means last month; no account, the current account. The bank holds nothing before
an account opened nor after today, so such a period is answered in words before the bank is
asked, and a period that runs over either edge is cut to it, and the reply says so.

A chart adds up the customer's spending (money out; a transfer between their own accounts,
which the bank books on both, is not spending) by category or by week, for this month so far
unless a period is named. Categories come from the bank's merchant category codes, mapped in
`actions/data/merchant_categories.yml` (`actions/spending.py`). The chart's alt text and the
reply state the same figures, for screen readers and for channels that show no pictures.

The file is kept only until its link expires (`ctx.files`, `bot/files.py`); what the action
audits is the period, the account, the format and the row count, never a link.
"""

from __future__ import annotations

import asyncio
import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from actions.accounts import dates_from_slots
from actions.charts import HEIGHT, WIDTH, Bar, bar_chart_png
from actions.documents import CSV, PDF, Heading, statement_csv, statement_pdf
from actions.formatting import account_label, day, money
from actions.lookup import find_account
from actions.replies import (
    ACCOUNT_NOT_FOUND,
    BANK_UNAVAILABLE,
    account_not_found,
    bank_unavailable,
    payload,
)
from actions.spending import CATEGORY_TEXTS, OTHER, category_of
from bot.bank import Account, AccountStatement, BankError, BankRejected, Transaction
from bot.handlers import ActionContext, ActionResult, Reply, action

MAX_DAYS = 366  # the bank's longest statement
MAX_ROWS = 500  # the bank answers at most this many rows a call (more than a month holds)
TOP_CATEGORIES = 8  # a chart's bars; the rest are one "other" bar
FORMATS = {"pdf": PDF, "csv": CSV}

PDF_LABELS = (
    "made_on",
    "opening",
    "money_in",
    "money_out",
    "closing",
    "date",
    "description",
    "paid_in",
    "paid_out",
    "balance",
    "none",
    "footer",
)
CSV_COLUMNS = ("date", "description", "merchant", "amount", "balance", "id")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def whole_month(self) -> bool:
        last = calendar.monthrange(self.start.year, self.start.month)[1]
        return self.start.day == 1 and self.end == self.start.replace(day=last)


def _last_month(today: date) -> Period:
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def _asked_period(ctx: ActionContext, default: Period) -> Period:
    """The period the customer named: a `statement_period` ("2026-10-01..2026-10-31", from a
    button), else `date` / `date_range`; ValueError if malformed."""
    button = str(ctx.slots.get("statement_period") or "")
    if button:
        first, _, last = button.partition("..")
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    else:
        start, end = dates_from_slots(ctx.slots)
    today = ctx.now.date()
    if start is None and end is None:
        return _ahead_only(ctx.slots.get("period_ahead"), today) or default
    if start is None:
        assert end is not None
        start = end.replace(day=1)
    if end is None:
        end = max(today, start)
    return Period(min(start, end), max(start, end))


def _period_words(ctx: ActionContext, period: Period) -> str:
    if period.whole_month:
        return ctx.text("statement_period_month", month=f"{period.start:%B %Y}")
    if period.start == period.end:
        return ctx.text("statement_period_day", day=day(period.start))
    return ctx.text("statement_period_range", start=day(period.start), end=day(period.end))


def _file_name(account: Account, period: Period, extension: str) -> str:
    kind = account.kind.replace("_", "-")
    return f"statement-{kind}-{account.last4}-{period.start}-to-{period.end}.{extension}"


async def _statement_account(ctx: ActionContext) -> tuple[Account | None, list[Account]]:
    accounts = await ctx.bank.list_accounts(ctx.customer_id)
    reference = str(ctx.slots.get("account") or "").strip()
    if reference:
        return find_account(accounts, reference), accounts
    chosen = next((a for a in accounts if a.kind == "current"), accounts[0] if accounts else None)
    return chosen, accounts


STATEMENT_SAYS = {
    "utter_statement_ready": [
        "format_name",
        "account",
        "period",
        "count",
        "opening",
        "money_in",
        "money_out",
        "closing",
        "note",
        "lasts",
    ],
    "utter_statement_future": ["period"],
    "utter_statement_before_opening": ["account", "opened", "period"],
    "utter_statement_too_long": ["days"],
    "utter_files_unavailable": [],
    "utter_history_date_invalid": [],
    "statement_period_month": ["month"],
    "statement_period_day": ["day"],
    "statement_period_range": ["start", "end"],
    "statement_note_opened": ["day"],
    "statement_note_today": [],
    "statement_count_none": [],
    "statement_count_one": [],
    "statement_count": ["count"],
    "statement_lasts_minute": [],
    "statement_lasts_minutes": ["minutes"],
    "statement_format_pdf": [],
    "statement_format_csv": [],
    "statement_button_csv": [],
    "statement_button_pdf": [],
    "statement_title": [],
    **{f"statement_pdf_{name}": [] for name in PDF_LABELS if name not in ("made_on", "footer")},
    "statement_pdf_made_on": ["day"],
    "statement_pdf_footer": ["page", "pages"],
    **{f"statement_csv_{name}": [] for name in CSV_COLUMNS},
    **BANK_UNAVAILABLE,
    **ACCOUNT_NOT_FOUND,
}


def _pdf_labels(ctx: ActionContext) -> dict[str, str]:
    labels = {
        name: ctx.text(f"statement_pdf_{name}")
        for name in PDF_LABELS
        if name not in ("made_on", "footer")
    }
    # Filled by the renderer: the day it was made, the page numbers.
    labels["made_on"] = ctx.text("statement_pdf_made_on", day="{day}")
    labels["footer"] = ctx.text("statement_pdf_footer", page="{page}", pages="{pages}")
    return labels


def _lasts(ctx: ActionContext, seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes == 1:
        return ctx.text("statement_lasts_minute")
    return ctx.text("statement_lasts_minutes", minutes=minutes)


def _count(ctx: ActionContext, rows: int) -> str:
    if rows == 0:
        return ctx.text("statement_count_none")
    if rows == 1:
        return ctx.text("statement_count_one")
    return ctx.text("statement_count", count=rows)


def _ahead_only(span: Any, today: date) -> Period | None:
    """A period said only forward ("next month"): named, so the answer says it has not
    happened, rather than a statement for a default the customer did not ask for."""
    if not isinstance(span, dict) or not span.get("start") or not span.get("end"):
        return None
    start, end = date.fromisoformat(str(span["start"])), date.fromisoformat(str(span["end"]))
    return Period(start, end) if today < start <= end else None


@action("account_statement", says=STATEMENT_SAYS)
async def account_statement(ctx: ActionContext) -> ActionResult:
    """A statement of one account for whole days, as a PDF or (`file_format: csv`) a CSV."""
    if ctx.files is None:
        return ActionResult(ok=False, error="files_off", replies=[Reply("utter_files_unavailable")])
    today = ctx.now.date()
    try:
        asked = _asked_period(ctx, _last_month(today))
    except (ValueError, TypeError):
        reply = Reply("utter_history_date_invalid")
        return ActionResult(ok=False, error="date_invalid", replies=[reply])
    extension = "csv" if str(ctx.slots.get("file_format") or "") == "csv" else "pdf"
    try:
        account, accounts = await _statement_account(ctx)
        if account is None:
            reference = str(ctx.slots.get("account") or "")
            return account_not_found(reference, accounts, "account_statement")
        refused = _outside_history(ctx, account, asked, today)
        if refused is not None:
            return refused
        period = Period(max(asked.start, account.opened_on or asked.start), min(asked.end, today))
        if (period.end - period.start).days + 1 > MAX_DAYS:
            reply = Reply("utter_statement_too_long", {"days": MAX_DAYS})
            return ActionResult(ok=False, error="statement_too_long", replies=[reply])
        statement = await ctx.bank.account_statement(
            ctx.customer_id, account.id, period.start, period.end
        )
        customer = await ctx.bank.get_customer(ctx.customer_id)
    except BankRejected as exc:
        if exc.code in ("statement_before_account_opened", "statement_in_future"):
            reply = Reply("utter_statement_future", {"period": _period_words(ctx, asked)})
            return ActionResult(ok=False, error=exc.code, replies=[reply])
        return bank_unavailable("account_statement", exc)
    except BankError as exc:
        return bank_unavailable("account_statement", exc)
    period = Period(statement.start, statement.end)
    content = await _render(ctx, statement, extension, customer.name, account, period, today)
    name = _file_name(account, period, extension)
    attachment = await ctx.files.keep_file(ctx.customer_id, name, FORMATS[extension], content)
    note = ""
    if asked.start < statement.start:
        note = ctx.text("statement_note_opened", day=day(statement.start))
    elif asked.end > statement.end:
        note = ctx.text("statement_note_today")
    other = "pdf" if extension == "csv" else "csv"
    button = payload(
        "account_statement",
        account=f"ending:{account.last4}",
        statement_period=f"{period.start}..{period.end}",
        file_format=other,
    )
    seconds = (attachment.expires_at or ctx.now.timestamp()) - ctx.now.timestamp()
    said = {
        "format_name": ctx.text(f"statement_format_{extension}"),
        "account": account_label(account),
        "period": _period_words(ctx, period),
        "count": _count(ctx, len(statement.lines)),
        "opening": money(statement.opening_balance, statement.currency),
        "money_in": money(statement.money_in, statement.currency),
        "money_out": money(statement.money_out, statement.currency),
        "closing": money(statement.closing_balance, statement.currency),
        "note": f" {note}" if note else "",
        "lasts": _lasts(ctx, seconds),
    }
    reply = Reply(
        "utter_statement_ready",
        said,
        buttons=((ctx.text(f"statement_button_{other}"), button),),
        attachment=attachment,
    )
    audit = {
        "account_id": account.id,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "format": extension,
        "rows": len(statement.lines),
        "file": name,
        "bytes": len(content),
    }
    return ActionResult(replies=[reply], audit=audit)


def _outside_history(
    ctx: ActionContext, account: Account, asked: Period, today: date
) -> ActionResult | None:
    """A period wholly after today, or wholly before the account opened: the bank has none."""
    if asked.start > today:
        reply = Reply("utter_statement_future", {"period": _period_words(ctx, asked)})
        return ActionResult(ok=False, error="statement_in_future", replies=[reply])
    if account.opened_on is not None and asked.end < account.opened_on:
        said = {
            "account": account_label(account),
            "opened": day(account.opened_on),
            "period": _period_words(ctx, asked),
        }
        reply = Reply("utter_statement_before_opening", said)
        return ActionResult(ok=False, error="statement_before_account_opened", replies=[reply])
    return None


async def _render(
    ctx: ActionContext,
    statement: AccountStatement,
    extension: str,
    holder: str,
    account: Account,
    period: Period,
    today: date,
) -> bytes:
    """The file's bytes, made on a worker thread: the event loop keeps serving turns."""
    if extension == "csv":
        columns = {name: ctx.text(f"statement_csv_{name}") for name in CSV_COLUMNS}
        return await asyncio.to_thread(statement_csv, statement, columns)
    heading = Heading(
        title=ctx.text("statement_title"),
        customer=holder,
        account=account_label(account),
        period=_period_words(ctx, period),
        made_on=today,
    )
    return await asyncio.to_thread(statement_pdf, statement, heading, _pdf_labels(ctx))


# -- charts --------------------------------------------------------------------------------


def _chart_period(ctx: ActionContext) -> Period:
    today = ctx.now.date()
    return _asked_period(ctx, Period(today.replace(day=1), today))


def _chart_when(ctx: ActionContext, period: Period) -> str:
    today = ctx.now.date()
    if period.start == today.replace(day=1) and period.end == today:
        return ctx.text("period_this_month")
    if period.whole_month:
        return ctx.text("period_month", month=f"{period.start:%B %Y}")
    if period.start == period.end:
        return ctx.text("period_day", day=day(period.start))
    return ctx.text("period_range", start=day(period.start), end=day(period.end))


async def _spending_rows(
    ctx: ActionContext, period: Period, account_id: str | None
) -> list[Transaction]:
    """Money out in the period; a transaction on two of the customer's accounts (a transfer
    between them, a card repayment) is neither's spending."""
    found = await ctx.bank.list_transactions(
        ctx.customer_id, start=period.start, end=period.end, limit=MAX_ROWS
    )
    seen = Counter(t.id for t in found)
    return [
        t
        for t in found
        if seen[t.id] == 1 and t.amount < 0 and (account_id is None or t.account_id == account_id)
    ]


def _by_category(ctx: ActionContext, rows: list[Transaction]) -> list[Bar]:
    totals: dict[str, Decimal] = {}
    for txn in rows:
        name = category_of(txn)
        totals[name] = totals.get(name, Decimal(0)) + abs(txn.amount)
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > TOP_CATEGORIES:
        rest = sum((amount for _, amount in ranked[TOP_CATEGORIES - 1 :]), Decimal(0))
        ranked = [*ranked[: TOP_CATEGORIES - 1], (OTHER, rest)]
    return [
        Bar(ctx.text(f"category_{name}").capitalize(), amount, money(amount))
        for name, amount in ranked
    ]


def _by_week(ctx: ActionContext, rows: list[Transaction], period: Period) -> list[Bar]:
    monday = period.start - timedelta(days=period.start.weekday())
    weeks: dict[date, Decimal] = {}
    while monday <= period.end:
        weeks[monday] = Decimal(0)
        monday += timedelta(days=7)
    for txn in rows:
        booked = txn.booked_at.date()
        week = booked - timedelta(days=booked.weekday())
        weeks[week] = weeks.get(week, Decimal(0)) + abs(txn.amount)
    bars = []
    for week, amount in sorted(weeks.items()):
        first = max(week, period.start)  # the first week may start mid-week: say its first day
        label = ctx.text("chart_week_label", day=f"{first.day} {first:%b}")
        bars.append(Bar(label, amount, money(amount)))
    return bars


@action(
    "spending_chart",
    says={
        "utter_chart_ready": ["scope", "when", "by", "lines", "total"],
        "utter_chart_nothing": ["scope", "when"],
        "utter_files_unavailable": [],
        "utter_history_date_invalid": [],
        "chart_title": ["scope", "when", "by"],
        "chart_alt": ["scope", "when", "by", "lines", "total"],
        "chart_line": ["label", "amount"],
        "chart_week_label": ["day"],
        "chart_by_category": [],
        "chart_by_week": [],
        "chart_scope_account": ["account"],
        "period_month": ["month"],
        "period_this_month": [],
        "period_day": ["day"],
        "period_range": ["start", "end"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
        **ACCOUNT_NOT_FOUND,
    },
)
async def spending_chart(ctx: ActionContext) -> ActionResult:
    """A bar chart of spending by category (or `chart_by: week`), with its figures in words."""
    if ctx.files is None:
        return ActionResult(ok=False, error="files_off", replies=[Reply("utter_files_unavailable")])
    try:
        period = _chart_period(ctx)
    except (ValueError, TypeError):
        reply = Reply("utter_history_date_invalid")
        return ActionResult(ok=False, error="date_invalid", replies=[reply])
    period = Period(period.start, min(period.end, max(ctx.now.date(), period.start)))
    weekly = str(ctx.slots.get("chart_by") or "") == "week"
    reference = str(ctx.slots.get("account") or "").strip()
    try:
        account = None
        if reference:
            accounts = await ctx.bank.list_accounts(ctx.customer_id)
            account = find_account(accounts, reference)
            if account is None:
                return account_not_found(reference, accounts, "spending_chart")
        rows = await _spending_rows(ctx, period, account.id if account else None)
    except BankError as exc:
        return bank_unavailable("spending_chart", exc)
    scope = ctx.text("chart_scope_account", account=account.name) if account else ""
    said: dict[str, Any] = {
        "scope": f" {scope}" if scope else "",
        "when": _chart_when(ctx, period),
    }
    audit = {"start": period.start.isoformat(), "end": period.end.isoformat(), "rows": len(rows)}
    if not rows:
        return ActionResult(replies=[Reply("utter_chart_nothing", said)], audit=audit)
    bars = _by_week(ctx, rows, period) if weekly else _by_category(ctx, rows)
    total = sum((abs(t.amount) for t in rows), Decimal(0))
    said |= {
        "by": ctx.text("chart_by_week" if weekly else "chart_by_category"),
        "lines": "; ".join(ctx.text("chart_line", label=b.label, amount=b.shown) for b in bars),
        "total": money(total),
    }
    png = await asyncio.to_thread(
        bar_chart_png, ctx.text("chart_title", **said), bars, horizontal=not weekly
    )
    kind = "week" if weekly else "category"
    image = await ctx.files.keep_image(
        ctx.customer_id,
        f"spending-by-{kind}-{period.start}-to-{period.end}.png",
        png,
        alt=ctx.text("chart_alt", **said),
        width=WIDTH,
        height=HEIGHT,
    )
    audit |= {"by": kind, "bars": len(bars), "bytes": len(png)}
    return ActionResult(replies=[Reply("utter_chart_ready", said, attachment=image)], audit=audit)
