"""A payment scheduled in the chat is paid by the bank on its date, exactly once, when the
sandbox clock reaches it; the seeded standing order likewise. Through REST, real servers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of


@pytest.fixture
async def clock(stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {stack.bank_api_key}"}
    async with httpx.AsyncClient(base_url=stack.bank_url, headers=headers) as client:
        yield client


async def bank_today(clock: httpx.AsyncClient) -> dt.date:
    body = (await clock.get("/sandbox/clock")).json()
    return dt.date.fromisoformat(body["Data"]["Clock"]["Date"])


async def paid_on(bank: BankClient, day: dt.date, amount: Decimal) -> int:
    """How many payments of `amount` left the current account on `day`."""
    booked = await bank.list_transactions("cust-001", "acc-001-current", start=day, end=day)
    return sum(1 for t in booked if t.amount == -amount)


async def test_scheduled_payment_and_standing_order_are_paid_once_on_their_dates(
    customer: Customer, bank: BankClient, clock: httpx.AsyncClient
) -> None:
    today = await bank_today(clock)
    on = today + dt.timedelta(days=3)
    said = f"{on.day} {on:%B %Y}"
    reply = customer.say(f"pay Bob Martin £40 on {said}")
    assert reply["state"]["flow"] == "schedule_payment", text_of(reply)
    assert "£40.00 to Bob Martin" in text_of(reply)
    reply = customer.press(reply, "yes")
    reply = customer.say(customer.latest_code())
    assert "will go on" in text_of(reply), text_of(reply)
    [booked] = [p for p in await bank.list_scheduled_payments("cust-001") if p.on == on]

    await clock.post("/sandbox/clock", json={"date": (on - dt.timedelta(days=1)).isoformat()})
    [waiting] = [p for p in await bank.list_scheduled_payments("cust-001") if p.id == booked.id]
    assert waiting.status == "InitiationPending", "nothing is paid before its date"
    await clock.post("/sandbox/clock", json={"date": on.isoformat()})
    await clock.post("/sandbox/clock", json={"date": on.isoformat()})  # again: no second run
    assert await paid_on(bank, on, Decimal("40.00")) == 1
    [paid] = [p for p in await bank.list_scheduled_payments("cust-001") if p.id == booked.id]
    assert paid.status == "InitiationCompleted"

    [rent] = [o for o in await bank.list_standing_orders("cust-001") if o.active]
    due = rent.next_date
    assert due is not None
    await clock.post("/sandbox/clock", json={"date": due.isoformat()})
    await clock.post("/sandbox/clock", json={"date": due.isoformat()})
    assert await paid_on(bank, due, rent.amount) == 1
    [after] = [o for o in await bank.list_standing_orders("cust-001") if o.id == rent.id]
    assert after.next_date is not None and after.next_date > due

    reply = customer.say("show my standing orders")
    assert f"{after.next_date.day} {after.next_date:%b %Y}" in text_of(reply)
