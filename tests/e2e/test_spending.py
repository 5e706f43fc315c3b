"""Spending and income totals through REST equal the bank's own rows added up."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from actions.bank_client import BankClient
from bot.bank import Transaction
from tests.e2e.conftest import Customer, text_of


def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def last_month() -> tuple[date, date]:
    end = date.today().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


async def rows(bank: BankClient, start: date, end: date, **filters: str) -> list[Transaction]:
    """The bank's rows for the period; a transfer between two own accounts (seen on both) is
    not spending or income."""
    found = await bank.list_transactions("cust-001", start=start, end=end, limit=500, **filters)
    ids = [t.id for t in found]
    return [t for t in found if ids.count(t.id) == 1]


async def test_spending_at_a_shop_last_month_is_the_sum_of_its_rows(
    customer: Customer, bank: BankClient
) -> None:
    start, end = last_month()
    tesco = [t for t in await rows(bank, start, end, merchant="Tesco") if t.amount < 0]
    assert tesco, "the sandbox seeds Tesco shopping every month"
    reply = customer.say("how much did I spend at Tesco last month?")
    assert reply["nlu"]["intent"]["name"] == "spending_summary"
    shown = text_of(reply)
    assert money(sum(-t.amount for t in tesco)) in shown
    assert f"{len(tesco)} payments" in shown and f"in {start:%B %Y}" in shown
    before_end = start - timedelta(days=1)
    before = [
        t
        for t in await rows(bank, before_end.replace(day=1), before_end, merchant="Tesco")
        if t.amount < 0
    ]
    assert money(sum(-t.amount for t in before)) in shown, "compared with the month before"


async def test_spending_on_a_category_counts_its_merchant_codes(
    customer: Customer, bank: BankClient
) -> None:
    start, end = last_month()
    groceries = [
        t
        for t in await rows(bank, start, end)
        if t.amount < 0 and t.merchant_category in {"5411", "5499"}
    ]
    reply = customer.say("how much did i spend on food shopping last month")
    shown = text_of(reply)
    assert "on groceries" in shown
    assert money(sum(-t.amount for t in groceries)) in shown


async def test_a_month_of_spending_names_the_top_categories(
    customer: Customer, bank: BankClient
) -> None:
    start, end = last_month()
    spent = [t for t in await rows(bank, start, end) if t.amount < 0]
    reply = customer.say("how much did I spend last month")
    shown = text_of(reply)
    assert money(sum(-t.amount for t in spent)) in shown
    # Which categories lead depends on the seeded month (seeds follow today's date): the
    # amounts of each are checked in tests/e2e/test_budgets.py.
    assert "Most went on:" in shown and "other payments: £" in shown


async def test_income_in_a_month_is_money_in(customer: Customer, bank: BankClient) -> None:
    start, end = last_month()
    received = [t for t in await rows(bank, start, end) if t.amount > 0]
    reply = customer.say(f"how much did I earn in {start:%B}")
    assert reply["nlu"]["intent"]["name"] == "income_summary"
    assert money(sum(t.amount for t in received)) in text_of(reply)


def test_a_period_with_nothing_in_it_says_so(customer: Customer) -> None:
    reply = customer.say("how much did I spend at Harrods last month")
    shown = text_of(reply)
    assert "couldn't find any money you spent at Harrods" in shown
