"""Read-only banking actions: balances and transaction history."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from actions.formatting import account_label, day, money
from actions.lookup import find_account
from actions.replies import ACCOUNT_NOT_FOUND, BANK_UNAVAILABLE, account_not_found, bank_unavailable
from actions.rich import card, card_says, table, table_says
from bot.bank import Account, BankError, Transaction
from bot.handlers import ActionContext, ActionResult, Attachment, Reply, action

DEFAULT_HISTORY = 5
MAX_HISTORY = 50


def _balance_line(ctx: ActionContext, account: Account, amount: Decimal, currency: str) -> str:
    if account.kind == "credit_card" and amount < 0:
        return ctx.text(
            "balance_line_owed", account=account_label(account), amount=money(-amount, currency)
        )
    return ctx.text("balance_line", account=account_label(account), amount=money(amount, currency))


def _balance_shown(amount: Decimal, account: Account, currency: str) -> tuple[str, bool]:
    """The balance as the customer reads it, and whether it is money owed (a credit card)."""
    owed = account.kind == "credit_card" and amount < 0
    return money(-amount if owed else amount, currency), owed


BALANCE_COLUMNS = ("account", "balance")
BALANCE_RICH = {
    **card_says("balance", ["account"]),
    **card_says("balance_owed", ["account"]),
    **table_says("balances", BALANCE_COLUMNS),
    "balance_cell_owed": ["amount"],
}


def _balance_attachment(
    ctx: ActionContext, shown: list[tuple[Account, Decimal, str]]
) -> Attachment | None:
    """One account: a card with its balance picked out; several: a table of them."""
    if len(shown) == 1:
        account, amount, currency = shown[0]
        text, owed = _balance_shown(amount, account, currency)
        name = "balance_owed" if owed else "balance"
        return card(ctx, name, text, title={"account": account_label(account)})
    rows = []
    for account, amount, currency in shown:
        text, owed = _balance_shown(amount, account, currency)
        cell = ctx.text("balance_cell_owed", amount=text) if owed else text
        rows.append({"account": account_label(account), "balance": cell})
    return table(ctx, "balances", BALANCE_COLUMNS, rows) if rows else None


@action(
    "check_balance",
    says={
        "utter_balance": ["lines"],
        "balance_line": ["account", "amount"],
        "balance_line_owed": ["account", "amount"],
        **BALANCE_RICH,
        **BANK_UNAVAILABLE,
        **ACCOUNT_NOT_FOUND,
    },
)
async def check_balance(ctx: ActionContext) -> ActionResult:
    """One account when the `account` slot names one, otherwise every account."""
    reference = str(ctx.slots.get("account") or "").strip()
    try:
        accounts, balances = await asyncio.gather(
            ctx.bank.list_accounts(ctx.customer_id), ctx.bank.get_balances(ctx.customer_id)
        )
    except BankError as exc:
        return bank_unavailable("check_balance", exc)
    if reference:
        account = find_account(accounts, reference)
        if account is None:
            return account_not_found(reference, accounts, "check_balance")
        accounts = [account]
    by_account = {b.account_id: b for b in balances}
    shown = [
        (a, by_account[a.id].amount, by_account[a.id].currency)
        for a in accounts
        if a.id in by_account
    ]
    lines = "\n".join(_balance_line(ctx, *row) for row in shown)
    attachment = _balance_attachment(ctx, shown)
    return ActionResult(replies=[Reply("utter_balance", {"lines": lines}, attachment=attachment)])


def dates_from_slots(slots: Mapping[str, Any]) -> tuple[date | None, date | None]:
    """From `date` or `date_range` ISO strings; ValueError if either is malformed."""
    if slots.get("date"):
        single = date.fromisoformat(str(slots["date"]))
        return single, single
    span = slots.get("date_range")
    if not span:
        return None, None
    if not isinstance(span, Mapping):
        raise ValueError(f"date_range is not a mapping: {span!r}")
    start, end = (
        date.fromisoformat(str(span[k])) if span.get(k) else None for k in ("start", "end")
    )
    if start and end and start > end:
        start, end = end, start
    return start, end


def _limit(raw: Any) -> int:
    try:
        wanted = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_HISTORY
    return min(max(wanted, 1), MAX_HISTORY)


PERIOD_TEXTS = {
    "period_account": ["account"],
    "period_all_accounts": [],
    "period_merchant": ["merchant"],
    "period_day": ["day"],
    "period_range": ["start", "end"],
    "period_since": ["start"],
    "period_until": ["end"],
}


def period_words(
    ctx: ActionContext,
    account: Account | None,
    merchant: str,
    start: date | None,
    end: date | None,
) -> str:
    """The scope of a listing in words: " at Tesco from 1 Nov 2026 to 15 Nov 2026"."""
    parts = [
        ctx.text("period_account", account=account_label(account))
        if account
        else ctx.text("period_all_accounts")
    ]
    if merchant:
        parts.append(ctx.text("period_merchant", merchant=merchant))
    if start and end and start == end:
        parts.append(ctx.text("period_day", day=day(start)))
    elif start and end:
        parts.append(ctx.text("period_range", start=day(start), end=day(end)))
    elif start:
        parts.append(ctx.text("period_since", start=day(start)))
    elif end:
        parts.append(ctx.text("period_until", end=day(end)))
    return "".join(f" {part}" for part in parts)


def _line(
    ctx: ActionContext, txn: Transaction, accounts: Mapping[str, Account], several: bool
) -> str:
    sign = "+" if txn.amount > 0 else ""
    said = {
        "day": day(txn.booked_at.date()),
        "what": txn.merchant or txn.description,
        "amount": sign + money(txn.amount, txn.currency),
    }
    account = accounts.get(txn.account_id)
    if several and account:
        return ctx.text("transaction_line_on", **said, account=account_label(account))
    return ctx.text("transaction_line", **said)


TRANSACTION_COLUMNS = ("day", "what", "amount")
TRANSACTION_COLUMNS_ON = (*TRANSACTION_COLUMNS, "account")


def _transaction_table(
    ctx: ActionContext,
    found: list[Transaction],
    accounts: Mapping[str, Account],
    several: bool,
    period: str,
) -> Attachment:
    """The same rows as the text, one per transaction, with the account when several."""
    rows = []
    for txn in found:
        account = accounts.get(txn.account_id)
        rows.append(
            {
                "day": day(txn.booked_at.date()),
                "what": txn.merchant or txn.description,
                "amount": ("+" if txn.amount > 0 else "") + money(txn.amount, txn.currency),
                "account": account_label(account) if account else "",
            }
        )
    name, columns = (
        ("transactions_on", TRANSACTION_COLUMNS_ON)
        if several
        else ("transactions", TRANSACTION_COLUMNS)
    )
    return table(ctx, name, columns, rows, count=len(found), period=period)


@action(
    "transaction_history",
    says={
        "utter_transactions": ["lines", "count", "period"],
        "utter_no_transactions": ["period"],
        "utter_history_date_invalid": [],
        "transaction_line": ["day", "what", "amount"],
        "transaction_line_on": ["day", "what", "amount", "account"],
        **PERIOD_TEXTS,
        **table_says("transactions", TRANSACTION_COLUMNS, ["count", "period"]),
        **table_says("transactions_on", TRANSACTION_COLUMNS_ON, ["count", "period"]),
        **BANK_UNAVAILABLE,
        **ACCOUNT_NOT_FOUND,
    },
)
async def transaction_history(ctx: ActionContext) -> ActionResult:
    """Last N (default 5), optionally on a date or range, at a merchant, on one account."""
    reference = str(ctx.slots.get("account") or "").strip()
    merchant = str(ctx.slots.get("merchant") or "").strip()
    try:
        start, end = dates_from_slots(ctx.slots)
    except (ValueError, TypeError):
        reply = Reply("utter_history_date_invalid")
        return ActionResult(ok=False, error="date_invalid", replies=[reply])
    try:
        accounts = await ctx.bank.list_accounts(ctx.customer_id)
        account = find_account(accounts, reference) if reference else None
        if reference and account is None:
            return account_not_found(reference, accounts, "transaction_history")
        found = await ctx.bank.list_transactions(
            ctx.customer_id,
            account_id=account.id if account else None,
            start=start,
            end=end,
            merchant=merchant or None,
            limit=_limit(ctx.slots.get("number")),
        )
    except BankError as exc:
        return bank_unavailable("transaction_history", exc)
    period = period_words(ctx, account, merchant, start, end)
    if not found:
        return ActionResult(replies=[Reply("utter_no_transactions", {"period": period})])
    by_id = {a.id: a for a in accounts}
    several = len({t.account_id for t in found}) > 1
    lines = "\n".join(_line(ctx, t, by_id, several) for t in found)
    said = {"lines": lines, "count": len(found), "period": period}
    attachment = _transaction_table(ctx, found, by_id, several, period)
    return ActionResult(replies=[Reply("utter_transactions", said, attachment=attachment)])
