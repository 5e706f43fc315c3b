"""check_balance and transaction_history against the seeded sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actions.accounts import check_balance, transaction_history
from actions.bank_client import BankClient
from actions.formatting import day
from tests.actions.conftest import context, render


async def test_balance_of_every_account(bank: BankClient):
    result = await check_balance(context(bank))
    assert result.ok
    assert render(result.replies[0]) == (
        "Here are your balances:\n"
        "Current account ••4821: £2,450.00\n"
        "Savings account ••7730: £5,200.00\n"
        "Credit card ••1934: £342.18 owed"
    )


@pytest.mark.parametrize(
    ("said", "line"),
    [
        ("savings", "Savings account ••7730: £5,200.00"),
        ("ending:4821", "Current account ••4821: £2,450.00"),
    ],
)
async def test_balance_of_one_account(bank, said, line):
    result = await check_balance(context(bank, account=said))
    assert result.replies[0].vars["lines"] == line


async def test_balance_of_an_account_the_customer_does_not_have(bank: BankClient):
    result = await check_balance(context(bank, "cust-002", account="credit_card"))
    assert not result.ok and result.error == "account_not_found"
    [reply] = result.replies
    assert reply.buttons[0] == (
        "Current account ••3317",
        '/check_balance{"account": "ending:3317"}',
    )
    assert "Current account ••3317, Savings account ••0559" in render(reply)


async def test_last_five_transactions_by_default(bank: BankClient):
    result = await transaction_history(context(bank))
    [reply] = result.replies
    assert reply.vars["count"] == 5
    lines = reply.vars["lines"].split("\n")
    assert len(lines) == 5
    expected = await bank.list_transactions("cust-001", limit=5)
    assert lines[0].startswith(f"{day(expected[0].booked_at.date())} · ")
    assert render(reply).startswith("Here's what I found on all your accounts, newest first:")


async def test_history_for_a_merchant_on_one_account(bank: BankClient):
    result = await transaction_history(context(bank, merchant="Tesco", account="current", number=3))
    [reply] = result.replies
    lines = reply.vars["lines"].split("\n")
    assert len(lines) == 3
    assert all(" · Tesco · -£" in line for line in lines)
    assert reply.vars["period"] == " on your Current account ••4821 at Tesco"


async def test_history_for_a_date_range(bank: BankClient):
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = end - timedelta(days=2)
    slots = {"date_range": {"start": end.isoformat(), "end": start.isoformat()}, "number": 50}
    result = await transaction_history(context(bank, **slots))
    [reply] = result.replies
    shown = {line.split(" · ")[0] for line in reply.vars["lines"].split("\n")}
    assert shown <= {day(start + timedelta(days=n)) for n in range(3)}
    assert f"from {day(start)} to {day(end)}" in render(reply)


async def test_history_on_one_day_with_nothing_booked(bank: BankClient):
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    result = await transaction_history(context(bank, date=tomorrow))
    assert result.ok
    assert result.replies[0].key == "utter_no_transactions"
    assert render(result.replies[0]).startswith(
        "I couldn't find any transactions on all your accounts on "
    )


@pytest.mark.parametrize(
    "slots",
    [{"date": "last tuesday"}, {"date_range": "March"}, {"date_range": {"start": "2026-13-01"}}],
)
async def test_history_with_unreadable_dates(bank, slots):
    result = await transaction_history(context(bank, **slots))
    assert not result.ok and result.error == "date_invalid"
    assert render(result.replies[0])


@pytest.mark.parametrize(("number", "count"), [("7", 7), (0, 1), (10_000, 50), ("many", 5)])
async def test_history_length_is_bounded(bank, number, count):
    result = await transaction_history(context(bank, number=number))
    assert result.replies[0].vars["count"] == count


async def test_history_of_an_unknown_account(bank: BankClient):
    result = await transaction_history(context(bank, account="ending:0000"))
    assert not result.ok and result.error == "account_not_found"
    assert result.replies[0].buttons[0][1] == '/transaction_history{"account": "ending:4821"}'


async def test_reads_report_a_bank_outage(down_bank: BankClient):
    for handler in (check_balance, transaction_history):
        result = await handler(context(down_bank))
        assert not result.ok and result.error == "bank_unavailable"
        assert render(result.replies[0]).startswith("Sorry, I can't reach the bank")
