"""A standing order set up and changed in the chat, and a scheduled payment moved, are paid by
the bank on their dates, exactly once each, by the right amount, from the right account to the
right payee, when the sandbox clock moves; an open-ended order the bank refuses leaves nothing.
Through REST, real servers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of

CURRENT = "acc-001-current"


@pytest.fixture
async def sandbox(stack) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {stack.bank_api_key}"}
    async with httpx.AsyncClient(base_url=stack.bank_url, headers=headers) as client:
        yield client


async def bank_today(sandbox: httpx.AsyncClient) -> dt.date:
    body = (await sandbox.get("/sandbox/clock")).json()
    return dt.date.fromisoformat(body["Data"]["Clock"]["Date"])


async def move_to(sandbox: httpx.AsyncClient, day: dt.date) -> None:
    response = await sandbox.post("/sandbox/clock", json={"date": day.isoformat()})
    assert response.status_code == 200, response.text


async def fund(sandbox: httpx.AsyncClient, amount: Decimal) -> None:
    """Money in from another bank, so a payment due months on is not refused for want of it."""
    body = {
        "Data": {
            "IncomingPayment": {
                "AccountId": CURRENT,
                "InstructedAmount": {"Amount": str(amount), "Currency": "GBP"},
                "DebtorName": "A Friend",
                "Reference": "for the test",
            }
        }
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    response = await sandbox.post(
        "/sandbox/customers/cust-001/incoming-payments", json=body, headers=headers
    )
    assert response.status_code == 201, response.text


async def executions_of(sandbox: httpx.AsyncClient, source_id: str) -> list[dict[str, Any]]:
    body = (await sandbox.get("/customers/cust-001/executions")).json()
    return sorted(
        (e for e in body["Data"]["Execution"] if e["SourceId"] == source_id),
        key=lambda e: e["DueDate"],
    )


async def debits(bank: BankClient, day: dt.date, amount: Decimal) -> list[Any]:
    booked = await bank.list_transactions("cust-001", CURRENT, start=day, end=day)
    return [t for t in booked if t.amount == -amount]


def said(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def first_day_after(today: dt.date, weekday: int, days: int) -> dt.date:
    """The first `weekday` (0 Monday) at least `days` after both today and the bank's today."""
    start = max(today, dt.date.today()) + dt.timedelta(days=days)
    return start + dt.timedelta((weekday - start.weekday()) % 7)


def approve(customer: Customer, reply: dict[str, Any], button: str) -> dict[str, Any]:
    reply = customer.press(reply, button)
    assert reply["state"]["awaiting"] == "otp", text_of(reply)
    return customer.say(customer.latest_code())


async def test_a_standing_order_set_up_and_raised_in_the_chat_pays_each_date_once(
    customer: Customer, bank: BankClient, sandbox: httpx.AsyncClient
) -> None:
    first = first_day_after(await bank_today(sandbox), 2, 7)  # a Wednesday, a week or more on
    reply = customer.say(
        f"set up a standing order to Alice Johnson for £23.17 every week from {said(first)}"
    )
    assert reply["state"]["flow"] == "set_up_standing_order", text_of(reply)
    assert reply["state"]["awaiting"] == "order_end", text_of(reply)
    reply = customer.say("after 3 payments")
    assert reply["state"]["awaiting"] == "reference", text_of(reply)
    reply = customer.say("Lunch money")
    assert "£23.17 every Wednesday" in text_of(reply), text_of(reply)
    assert "3 payments" in text_of(reply)
    reply = approve(customer, reply, "Yes, set it up")
    assert "is set up" in text_of(reply), text_of(reply)

    [order] = [
        o
        for o in await bank.list_standing_orders("cust-001")
        if o.active and o.creditor_name == "Alice Johnson"
    ]
    assert order.frequency == "IntrvlWkDay:01:03"
    assert (order.first_date, order.payments, order.amount) == (first, 3, Decimal("23.17"))
    assert order.account_id == CURRENT and order.reference == "Lunch money"

    # Raise it before it starts: a higher amount asks for a code
    reply = customer.say("change my standing order")
    if reply["state"]["awaiting"] == "schedule":  # the seeded rent order is there too
        reply = customer.press(reply, "£23.17 to Alice Johnson")
    assert reply["state"]["awaiting"] == "change", text_of(reply)
    reply = customer.press(reply, "The amount")
    reply = customer.say("£30")
    assert "from £23.17 to £30.00" in text_of(reply), text_of(reply)
    reply = approve(customer, reply, "Yes, change it")
    assert "is changed" in text_of(reply), text_of(reply)

    await move_to(sandbox, first - dt.timedelta(days=1))
    assert await executions_of(sandbox, order.id) == [], "nothing goes before the first date"
    weeks = [first + dt.timedelta(weeks=n) for n in range(4)]
    for day in weeks:
        await move_to(sandbox, day)
        await move_to(sandbox, day)  # again: no second run
    ran = await executions_of(sandbox, order.id)
    assert [(e["DueDate"], e["Status"]) for e in ran] == [
        (day.isoformat(), "executed") for day in weeks[:3]
    ]
    assert {(e["AccountId"], e["Amount"]["Amount"]) for e in ran} == {(CURRENT, "30.00")}
    for day in weeks[:3]:
        [paid] = await debits(bank, day, Decimal("30.00"))
        assert paid.description == "FP ALICE JOHNSON Lunch money", paid  # to her, by reference
        assert await debits(bank, day, Decimal("23.17")) == []
    assert await debits(bank, weeks[3], Decimal("30.00")) == [], "three payments, no fourth"
    [done] = [o for o in await bank.list_standing_orders("cust-001") if o.id == order.id]
    assert not done.active and done.next_date is None


async def test_a_scheduled_payment_moved_in_the_chat_goes_on_its_new_date_only(
    customer: Customer, bank: BankClient, sandbox: httpx.AsyncClient
) -> None:
    await fund(sandbox, Decimal("1000.00"))  # earlier tests' orders may have spent it all
    on = max(await bank_today(sandbox), dt.date.today()) + dt.timedelta(days=5)
    later = on + dt.timedelta(days=2)
    reply = customer.say(f"pay Bob Martin £31.50 on {said(on)}")
    assert reply["state"]["flow"] == "schedule_payment", text_of(reply)
    reply = approve(customer, reply, "Yes, schedule it")
    assert "will go on" in text_of(reply), text_of(reply)

    reply = customer.say("change my scheduled payment")
    if reply["state"]["awaiting"] == "schedule":
        reply = customer.press(reply, "£31.50 to Bob Martin")
    reply = customer.press(reply, "The date")
    reply = customer.say(said(later))
    assert "£31.50 to Bob Martin" in text_of(reply), text_of(reply)
    reply = customer.press(reply, "Yes, change it")
    assert reply["state"]["awaiting"] is None, "a new date alone needs no code"
    assert "is changed" in text_of(reply), text_of(reply)
    [moved] = [
        p for p in await bank.list_scheduled_payments("cust-001") if p.amount == Decimal("31.50")
    ]
    assert (moved.on, moved.status) == (later, "InitiationPending")

    await move_to(sandbox, on)
    assert await debits(bank, on, Decimal("31.50")) == [], "not on the old date"
    await move_to(sandbox, later)
    await move_to(sandbox, later)
    paid_later = await debits(bank, later, Decimal("31.50"))
    assert len(paid_later) == 1, [
        (e["DueDate"], e["Status"], e["Reason"]) for e in await executions_of(sandbox, moved.id)
    ]
    [paid] = paid_later
    assert "BOB MARTIN" in paid.description, paid
    assert [e["DueDate"] for e in await executions_of(sandbox, moved.id)] == [later.isoformat()]


async def test_an_open_ended_order_the_bank_refuses_sets_nothing_up(
    customer: Customer, bank: BankClient, sandbox: httpx.AsyncClient
) -> None:
    first = first_day_after(await bank_today(sandbox), 4, 3)
    before = await bank.list_standing_orders("cust-001")
    reply = customer.say(f"pay Bob Martin £1,500 every week from {said(first)} with no end date")
    reply = customer.say("skip")
    assert "with no end date" in text_of(reply), text_of(reply)
    reply = approve(customer, reply, "Yes, set it up")
    assert "won't set up an open-ended standing order" in text_of(reply), text_of(reply)
    assert reply["state"]["flow"] is None
    assert await bank.list_standing_orders("cust-001") == before

    reply = customer.press(reply, "Set it up with an end")
    assert reply["state"]["awaiting"] == "order_end", text_of(reply)
    reply = customer.say("after 2 payments")
    reply = approve(customer, reply, "Yes, set it up")
    assert "is set up" in text_of(reply), text_of(reply)
    [made] = [
        o
        for o in await bank.list_standing_orders("cust-001")
        if o.active and o.amount == Decimal("1500.00")
    ]
    assert (made.first_date, made.payments) == (first, 2)
