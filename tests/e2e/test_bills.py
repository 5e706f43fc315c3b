"""Own-account transfers, credit-card repayments and bills through REST, checked against the
bank's books: each moves money exactly once, by the amount confirmed, between the accounts
confirmed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of


def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


@pytest.fixture
def james(http: httpx.Client) -> Customer:
    """cust-002, who has British Gas and Thames Water saved as bills."""
    token = http.post("/dev/token", json={"customer_id": "cust-002"}).json()["token"]
    return Customer(http, "cust-002", token)


class Books:
    """Balances and booked rows of a customer's accounts, before and after."""

    def __init__(self, bank: BankClient, customer_id: str) -> None:
        self.bank, self.customer_id = bank, customer_id
        self.balances: dict[str, Decimal] = {}
        self.rows: dict[str, set[str]] = {}

    async def read(self) -> Books:
        self.balances = {
            b.account_id: b.amount for b in await self.bank.get_balances(self.customer_id)
        }
        self.rows = {
            account: {
                t.id
                for t in await self.bank.list_transactions(self.customer_id, account, limit=500)
            }
            for account in self.balances
        }
        return self

    async def moved(self) -> dict[str, tuple[Decimal, int]]:
        """Per account that changed: (how much it moved, how many new rows)."""
        after = await Books(self.bank, self.customer_id).read()
        changed = {}
        for account, balance in after.balances.items():
            rows = len(after.rows[account] - self.rows[account])
            if balance != self.balances[account] or rows:
                changed[account] = (balance - self.balances[account], rows)
        return changed


async def test_moving_money_to_savings_moves_both_balances_once_without_a_code(
    customer: Customer, bank: BankClient
) -> None:
    books = await Books(bank, "cust-001").read()
    reply = customer.say("move £50 to savings")
    assert reply["nlu"]["intent"]["name"] == "transfer_between_accounts"
    current, savings = books.balances["acc-001-current"], books.balances["acc-001-savings"]
    shown = text_of(reply)
    assert money(current - 50) in shown and money(savings + 50) in shown, "balances after"
    reply = customer.press(reply, "Yes")
    assert "has been moved" in text_of(reply) and reply["state"]["awaiting"] is None
    assert await books.moved() == {
        "acc-001-current": (Decimal("-50.00"), 1),
        "acc-001-savings": (Decimal("50.00"), 1),
    }


async def test_the_minimum_card_payment_shown_is_the_banks_and_is_paid_once(
    customer: Customer, bank: BankClient
) -> None:
    statement = await bank.card_statement("cust-001", "acc-001-card")
    assert statement is not None and statement.current_balance > 0, "the sandbox seeds one"
    books = await Books(bank, "cust-001").read()
    reply = customer.say("pay off my credit card")
    assert reply["nlu"]["intent"]["name"] == "pay_credit_card"
    shown = text_of(reply)
    assert money(statement.statement_balance) in shown and money(statement.current_balance) in shown
    assert f"{statement.due_date.day} {statement.due_date:%b %Y}" in shown
    reply = customer.press(reply, "Minimum payment")
    assert money(statement.minimum_remaining) in text_of(reply)
    reply = customer.press(reply, "Yes")
    assert reply["state"]["awaiting"] == "otp"
    assert await books.moved() == {}, "nothing moves before the code"
    reply = customer.say(customer.latest_code())
    assert "has been paid" in text_of(reply)
    paid = statement.minimum_remaining
    assert await books.moved() == {"acc-001-current": (-paid, 1), "acc-001-card": (paid, 1)}


async def test_a_card_payment_for_tomorrow_is_scheduled_with_the_bank_and_moves_nothing_now(
    customer: Customer, bank: BankClient
) -> None:
    books = await Books(bank, "cust-001").read()
    reply = customer.say("pay £30 off my credit card tomorrow")
    assert "pay £30.00 to your Credit card ••1934" in text_of(reply)
    reply = customer.press(reply, "Yes")
    reply = customer.say(customer.latest_code())
    assert "will be paid" in text_of(reply)
    assert await books.moved() == {}
    tomorrow = date.today() + timedelta(days=1)
    scheduled = [
        p
        for p in await bank.list_scheduled_payments("cust-001")
        if p.creditor.id == "acc-001-card" and p.on == tomorrow and p.status == "InitiationPending"
    ]
    assert [(p.amount, p.account_id) for p in scheduled] == [(Decimal("30.00"), "acc-001-current")]


async def test_paying_the_electricity_bill_pays_the_saved_energy_biller_once(
    james: Customer, bank: BankClient
) -> None:
    books = await Books(bank, "cust-002").read()
    reply = james.say("pay my electricity bill")
    assert reply["nlu"]["intent"]["name"] == "pay_bill"
    assert "British Gas" in text_of(reply)
    reply = james.say("£60")
    reply = james.press(reply, "Yes")
    james.say("000000" if james.latest_code() != "000000" else "111111")  # a wrong code
    assert await books.moved() == {}, "a wrong code moves nothing"
    reply = james.say(james.latest_code())
    assert "has been paid to British Gas" in text_of(reply)
    assert await books.moved() == {"acc-002-current": (Decimal("-60.00"), 1)}
    [row] = [
        t
        for t in await bank.list_transactions("cust-002", "acc-002-current", limit=500)
        if t.id not in books.rows["acc-002-current"]
    ]
    assert "9377" in row.description or "BRITISH GAS" in row.description.upper()


async def test_a_bill_the_account_cannot_cover_is_refused_and_nothing_moves(
    james: Customer, bank: BankClient
) -> None:
    books = await Books(bank, "cust-002").read()
    too_much = books.balances["acc-002-current"] + 100
    reply = james.say(f"pay british gas £{too_much}")
    reply = james.press(reply, "Yes")
    reply = james.say(james.latest_code())
    assert "there isn't enough money" in text_of(reply)
    assert await books.moved() == {}
