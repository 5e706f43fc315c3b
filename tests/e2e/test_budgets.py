"""Budgets through REST against the sandbox bank: what Teller says equals the bank's rows,
and a card payment that takes a budget past 80% and 100% is told on the next turn, once.

cust-003 (Aisha) spends on her debit card here; other tests' balances are read before and
after, so her payments do not disturb them. Her budgets are removed again at the end.
"""

from __future__ import annotations

import calendar
import math
import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from actions.bank_client import BankClient
from actions.spending import category_of
from tests.e2e.conftest import Customer, text_of
from tests.support.stack import Stack


def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


@pytest.fixture
def aisha(http: httpx.Client) -> Customer:
    token = http.post("/dev/token", json={"customer_id": "cust-003"}).json()["token"]
    return Customer(http, "cust-003", token)


async def groceries_this_month(bank: BankClient, customer_id: str, today: date) -> Decimal:
    """The bank's rows: money out this month at merchants whose code is groceries."""
    found = await bank.list_transactions(
        customer_id, start=today.replace(day=1), end=today, limit=500
    )
    return sum(
        (-t.amount for t in found if t.amount < 0 and category_of(t) == "groceries"),
        Decimal("0"),
    )


def pay_by_card(stack: Stack, amount: Decimal, merchant: str = "Tesco", mcc: str = "5411") -> None:
    body = {
        "Data": {
            "CardPayment": {
                "CardId": "card-003-debit",
                "InstructedAmount": {"Amount": f"{amount:.2f}", "Currency": "GBP"},
                "MerchantName": merchant,
                "MerchantCategoryCode": mcc,
            }
        }
    }
    response = httpx.post(
        f"{stack.bank_url}/sandbox/customers/cust-003/card-payments",
        json=body,
        headers={
            "Authorization": f"Bearer {stack.bank_api_key}",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 201, response.text


async def bank_today(stack: Stack) -> date:
    async with httpx.AsyncClient(base_url=stack.bank_url) as client:
        body = (
            await client.get(
                "/sandbox/clock", headers={"Authorization": f"Bearer {stack.bank_api_key}"}
            )
        ).json()
    return date.fromisoformat(body["Data"]["Clock"]["Date"])


async def test_a_budget_set_in_the_chat_is_the_banks_and_its_status_sums_the_rows(
    aisha: Customer, bank: BankClient, stack: Stack
) -> None:
    reply = aisha.say("set a £400 budget for groceries")
    assert reply["nlu"]["intent"]["name"] == "set_budget"
    assert "a budget of £400.00 a month for groceries?" in text_of(reply)
    assert await bank.list_budgets("cust-003") == [], "nothing before the confirm"
    done = aisha.press(reply, "Yes, set it")
    assert "Done: your groceries budget is £400.00 a month." in text_of(done)
    [saved] = await bank.list_budgets("cust-003")
    assert (saved.category, saved.amount) == ("groceries", Decimal("400.00"))
    today = await bank_today(stack)
    spent = await groceries_this_month(bank, "cust-003", today)
    assert saved.spent == spent, "the bank's spent is its own rows of the month"
    status = text_of(aisha.say("how is my groceries budget going?"))
    days = calendar.monthrange(today.year, today.month)[1] - today.day + 1
    percent = int(spent * 100 / 400)
    assert f"you've spent {money(spent)} of £400.00 this month ({percent}%)" in status
    assert f"so {money(Decimal('400') - spent)} is left" in status
    assert f"{days} day" in status
    total = text_of(aisha.say("how much have I spent on groceries this month?"))
    assert money(spent) in total, "a budget's spent is the spending total's figure"
    removed = aisha.press(aisha.say("remove my groceries budget"), "Yes, remove it")
    assert "groceries budget is removed" in text_of(removed)
    assert await bank.list_budgets("cust-003") == []


async def test_a_card_payment_past_80_and_100_percent_is_told_on_the_next_turn_once(
    aisha: Customer, customer: Customer, bank: BankClient, stack: Stack
) -> None:
    today = await bank_today(stack)
    spent = await groceries_this_month(bank, "cust-003", today)
    budget = Decimal(max(100, math.ceil(spent * Decimal("1.5"))))  # at most 67% used now
    confirm = aisha.say(f"set a budget of £{budget} for groceries")
    assert f"£{budget:,.2f} a month for groceries" in text_of(confirm)
    aisha.press(confirm, "Yes, set it")
    assert await bank.new_budget_alerts("cust-003") == []

    [before] = await bank.get_balances("cust-003", "acc-003-current")
    first = (budget * Decimal("0.85") - spent).quantize(Decimal("0.01"), "ROUND_UP")
    pay_by_card(stack, first)  # to 85%
    [after] = await bank.get_balances("cust-003", "acc-003-current")
    assert after.amount == before.amount - first
    shown = text_of(aisha.say("what's my balance?"))
    now_spent = spent + first
    assert (
        f"Heads up: you've now spent {money(now_spent)} of your {money(budget)} groceries "
        "budget this month (85%)" in shown
    )
    assert money(after.amount) in shown, "the turn's own answer comes first"
    assert "Heads up" not in text_of(aisha.say("thanks")), "told once"
    assert "Heads up" not in text_of(customer.say("thanks")), "never told to someone else"

    pay_by_card(stack, Decimal("12.50"), "Pret A Manger", "5812")  # eating out: not groceries
    assert "Heads up" not in text_of(aisha.say("what's my balance?"))

    rest = budget - now_spent + Decimal("1.00")
    pay_by_card(stack, rest)  # past 100%
    shown = text_of(aisha.say("how is my groceries budget going"))
    total = now_spent + rest
    assert (
        f"you've now spent {money(total)} on groceries this month, past your {money(budget)} budget"
        in shown
    )
    assert f"{money(Decimal('1.00'))} over" in shown, "the status answer says it too"
    assert "Heads up" not in text_of(aisha.say("thanks"))
    assert await bank.new_budget_alerts("cust-003") == [], "both acknowledged"

    pay_by_card(stack, Decimal("3.00"))  # still past 100%: nothing new this month
    assert "Heads up" not in text_of(aisha.say("thanks"))

    [mine] = await bank.list_budgets("cust-003")
    assert mine.spent == await groceries_this_month(bank, "cust-003", today)
    aisha.press(aisha.say("delete my groceries budget"), "Yes, remove it")
    assert await bank.list_budgets("cust-003") == []


async def test_top_categories_of_a_month_are_the_sums_of_their_rows(
    customer: Customer, bank: BankClient
) -> None:
    end = date.today().replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    found = await bank.list_transactions("cust-001", start=start, end=end, limit=500)
    ids = [t.id for t in found]
    by_category: dict[str, Decimal] = {}
    for t in found:
        if t.amount < 0 and ids.count(t.id) == 1:
            name = category_of(t)
            by_category[name] = by_category.get(name, Decimal("0")) + -t.amount
    top = sorted(by_category.items(), key=lambda item: item[1], reverse=True)[:3]
    reply = customer.say(f"what were my top spending categories in {start:%B}?")
    assert reply["nlu"]["intent"]["name"] == "spending_summary"
    shown = text_of(reply)
    names = {
        "eating_out": "eating out",
        "health_and_beauty": "health and beauty",
        "other": "other payments",
    }
    for name, amount in top:
        assert f"{names.get(name, name)}: {money(amount)}" in shown, (name, shown)
    assert money(sum(by_category.values(), Decimal("0"))) in shown
